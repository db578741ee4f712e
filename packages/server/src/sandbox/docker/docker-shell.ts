/**
 * @module sandbox/docker/docker-shell
 * The `ShellProcess` of a docker sandbox: `bash --noprofile --norc` started by an exec with its
 * standard input attached. Its processes carry a marker, so a second exec can kill the commands it
 * started (not the shell) or interrupt the shell itself.
 */
import { PassThrough, Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { InterruptibleShellProcess } from '../persistent-shell.ts';
import { startExec, type StartedExec } from './engine-exec.ts';
import { newMarker, signalMarked } from './process-control.ts';

/**
 * Starts a bash in the container; `terminate` ends it with everything it started (on close).
 *
 * @example
 * const shell = new PersistentShell(await startDockerShell(docker, container, terminate));
 */
export async function startDockerShell(
  docker: Docker,
  container: Docker.Container,
  terminate: (started: StartedExec, marker: { name: string; value: string }) => Promise<void>,
): Promise<InterruptibleShellProcess> {
  const marker = newMarker();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const exec: StartedExec = await startExec(
    docker,
    container,
    {
      argv: ['bash', '--noprofile', '--norc'],
      env: { [marker.name]: marker.value },
      interactive: true,
    },
    (chunk) => stdout.write(chunk),
    (chunk) => stderr.write(chunk),
  );
  void exec.exitCode
    .catch(() => null)
    .then(() => {
      stdout.end();
      stderr.end();
    });
  const { connection } = exec;
  const stdin = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      connection.write(chunk, callback);
    },
    final(callback) {
      connection.end();
      callback();
    },
  });
  connection.on('error', (error: Error) => stdin.destroy(error));

  return {
    stdin,
    stdout,
    stderr,
    killChildren: async () => {
      await signalMarked(docker, container, marker, 'children');
    },
    interrupt: async () => {
      await signalMarked(docker, container, marker, 'interrupt');
    },
    close: async () => {
      stdin.end();
      await terminate(exec, marker);
    },
  };
}
