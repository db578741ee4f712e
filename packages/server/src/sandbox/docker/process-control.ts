/**
 * @module sandbox/docker/process-control
 * Finds and signals the processes of one command inside a container: every process the driver
 * starts carries a marker in its environment, which its descendants inherit, so a second exec
 * (kill-script.sh, bash builtins only) can kill the command with everything it started, including
 * what left its process group or session, or reach the shell that started it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { runExec } from './engine-exec.ts';

/** The environment variable that marks a command's processes. */
export const MARKER_VARIABLE = 'LUCID_SANDBOX_EXEC';

const killScript = readFileSync(new URL('./kill-script.sh', import.meta.url), 'utf8');

/** What to signal among a command's processes (see kill-script.sh). */
export type SignalMode = 'all' | 'children' | 'interrupt';

/** A new marker: the environment entry to start a command with. */
export function newMarker(): { name: string; value: string } {
  return { name: MARKER_VARIABLE, value: randomBytes(12).toString('hex') };
}

/**
 * Signals the processes carrying `marker`. Resolves true once the script reports it is done; false
 * when it could not run (the engine refused the exec, say while a fork bomb holds every process
 * slot) or processes were still appearing, so the caller may try again.
 *
 * @example
 * await signalMarked(docker, container, marker, 'all');
 */
export async function signalMarked(
  docker: Docker,
  container: Docker.Container,
  marker: { name: string; value: string },
  mode: SignalMode,
): Promise<boolean> {
  try {
    const { exitCode } = await runExec(docker, container, {
      argv: ['bash', '-c', killScript, 'lucid-kill', `${marker.name}=${marker.value}`, mode],
    });
    return exitCode === 0;
  } catch {
    return false;
  }
}
