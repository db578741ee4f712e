/**
 * @module sandbox/docker/engine-exec
 * One process started in a container through the Engine API's exec endpoints: its output demuxed
 * into stdout and stderr, its standard input written through the hijacked connection and then
 * closed, and its exit code from the exec's inspection.
 */
import { Writable } from 'node:stream';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';

export interface EngineExecSpec {
  argv: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Written to standard input, which is then closed; without it the process reads nothing. */
  stdin?: string | Buffer;
  /** Attach standard input and leave it open: the caller writes to the connection. */
  interactive?: boolean;
}

/** A started exec: its connection and a promise of its exit code. */
export interface StartedExec {
  /** The hijacked connection; destroying it detaches from the process. */
  connection: Duplex;
  /** Resolves with the exit code (128 + signal when a signal ended it) once the output closed. */
  exitCode: Promise<number | null>;
}

const ENGINE_ERROR = Buffer.from('OCI runtime exec failed');

/** Environment entries in the Engine API's `NAME=value` form. */
export function envList(env: Record<string, string> | undefined): string[] {
  return Object.entries(env ?? {}).map(([name, value]) => `${name}=${value}`);
}

/**
 * Starts `spec.argv` in the container and passes its output on as it arrives.
 *
 * @example
 * const { exitCode } = await startExec(docker, container, { argv: ['true'] }, out, err);
 * await exitCode; // 0
 */
export async function startExec(
  docker: Docker,
  container: Docker.Container,
  spec: EngineExecSpec,
  onStdout: (chunk: Buffer) => void,
  onStderr: (chunk: Buffer) => void,
): Promise<StartedExec> {
  const withStdin = spec.stdin !== undefined || spec.interactive === true;
  const exec = await container.exec({
    Cmd: spec.argv,
    Env: envList(spec.env),
    ...(spec.cwd !== undefined ? { WorkingDir: spec.cwd } : {}),
    AttachStdin: withStdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const connection = (await exec.start({ hijack: true, stdin: withStdin })) as Duplex;
  // When the engine cannot start the process (no such program or working directory), it says so
  // on stdout and the exec ends with 126 or 127. Output that starts like that message is held
  // back until the exit code tells which it is: the engine's message goes to stderr.
  let held: Buffer | null = Buffer.alloc(0);
  const stdout = (chunk: Buffer) => {
    if (held === null) return onStdout(chunk);
    held = Buffer.concat([held, chunk]);
    const length = Math.min(held.length, ENGINE_ERROR.length);
    if (held.subarray(0, length).equals(ENGINE_ERROR.subarray(0, length))) return;
    const text = held;
    held = null;
    onStdout(text);
  };
  docker.modem.demuxStream(connection, sink(stdout), sink(onStderr));
  const closed = new Promise<void>((resolve) => {
    connection.once('end', resolve);
    connection.once('close', resolve);
    connection.once('error', () => resolve());
  });
  if (spec.stdin !== undefined) connection.end(spec.stdin);
  const exitCode = closed.then(async () => {
    const code = await exitCodeOf(exec);
    const message = held?.toString('utf8') ?? '';
    held = null;
    if (message === '') return code;
    if (code !== 126 && code !== 127) {
      onStdout(Buffer.from(message));
      return code;
    }
    onStderr(Buffer.from(message.replace(/\r\n/g, '\n')));
    // What a shell answers for a program or working directory that is not there.
    return /not found|no such file/i.test(message) ? 127 : code;
  });
  return { connection, exitCode };
}

/**
 * Runs `spec.argv` to the end and returns its exit code and whole output (for the driver's own
 * short commands; agent commands go through the capped collector).
 */
export async function runExec(
  docker: Docker,
  container: Docker.Container,
  spec: EngineExecSpec,
): Promise<{ exitCode: number | null; stdout: Buffer; stderr: Buffer }> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const started = await startExec(
    docker,
    container,
    spec,
    (chunk) => stdout.push(chunk),
    (chunk) => stderr.push(chunk),
  );
  const exitCode = await started.exitCode;
  return { exitCode, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) };
}

function sink(write: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      write(chunk);
      callback();
    },
  });
}

/** The exec's exit code; the engine may record it a moment after the output closed. */
async function exitCodeOf(exec: Docker.Exec): Promise<number | null> {
  for (let attempt = 0; ; attempt++) {
    const info = await exec.inspect();
    if (!info.Running || attempt >= 100) return info.Running ? null : (info.ExitCode ?? null);
    await new Promise((resolve) => setTimeout(resolve, Math.min(5 * (attempt + 1), 50)));
  }
}
