/**
 * @module sandbox/local/run-process
 * Runs one launched command to its end: spawned in its own session and process group, standard
 * input written then closed, output collected with the cap, and the whole process tree killed on
 * timeout or cancel — and, when the command exits, whatever it left running in the background
 * (which bubblewrap's PID namespace does by itself).
 */
import { existsSync } from 'node:fs';
import { spawnProcess } from '../../process/spawn.ts';
import type { ExecOptions, ExecResult } from '../driver.ts';
import { OutputCollector } from '../output.ts';
import type { Launch } from './launch.ts';
import { killProcessTree } from './processes.ts';

/**
 * Spawns `launch` and resolves when it has ended and its output is closed.
 *
 * @example
 * const result = await runProcess(launch, { stdin: 'hello', timeoutMs: 5000 });
 */
export function runProcess(
  launch: Launch,
  options: Pick<ExecOptions, 'stdin' | 'timeoutMs' | 'signal' | 'onOutput' | 'maxOutputBytes'>,
  /** Holds the command's kill function while it runs, for the sandbox's `remove()`. */
  running?: Set<() => Promise<void>>,
): Promise<ExecResult> {
  const started = performance.now();
  const output = new OutputCollector(options);
  const finish = (
    exitCode: number | null,
    flags: { timedOut: boolean; cancelled: boolean },
  ): ExecResult => ({
    ...output.finish(),
    exitCode,
    ...flags,
    oomKilled: false,
    durationMs: Math.round(performance.now() - started),
  });
  if (options.signal?.aborted) {
    return Promise.resolve(finish(null, { timedOut: false, cancelled: true }));
  }

  return new Promise((resolve) => {
    const flags = { timedOut: false, cancelled: false };
    let pid: number | undefined;
    let killing: Promise<void> | null = null;
    const killTree = () => {
      if (pid === undefined) return Promise.resolve();
      killing ??= killProcessTree(pid).catch(() => undefined);
      return killing;
    };
    running?.add(killTree);
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            flags.timedOut = true;
            void killTree();
          }, options.timeoutMs)
        : null;
    const onAbort = () => {
      flags.cancelled = true;
      void killTree();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (result: ExecResult) => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      running?.delete(killTree);
      resolve(result);
    };

    // Started by the spawn host: forking this (large) process would stall it for each command.
    spawnProcess(launch.file, launch.args, { cwd: launch.cwd, env: launch.env, detached: true })
      .then(async (child) => {
        pid = child.pid;
        if (flags.cancelled || flags.timedOut) void killTree();
        child.stdout.on('data', (chunk: Buffer) => output.push('stdout', chunk));
        child.stderr.on('data', (chunk: Buffer) => output.push('stderr', chunk));
        child.stdout.resume();
        child.stderr.resume();
        child.stdin.on('error', () => undefined);
        if (options.stdin !== undefined) child.stdin.end(options.stdin);
        else child.stdin.end();
        if (!launch.contained) void child.exited.then(() => killTree());
        const { code, signal } = await child.closed;
        await (killing ?? Promise.resolve());
        done(finish(signal ? null : code, flags));
      })
      .catch((error: NodeJS.ErrnoException) => {
        const missingCwd = !existsSync(launch.cwd);
        output.push('stderr', `${startFailure(launch, error, missingCwd)}\n`);
        done(finish(missingCwd ? 1 : 127, flags));
      });
  });
}

function startFailure(launch: Launch, error: NodeJS.ErrnoException, missingCwd: boolean): string {
  if (missingCwd) return 'The working directory does not exist in the sandbox.';
  if (error.code === 'ENOENT') return `${launch.file}: command not found`;
  return `${launch.file} could not start: ${error.message}`;
}
