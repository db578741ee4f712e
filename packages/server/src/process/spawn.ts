/**
 * @module process/spawn
 * Starting programs without stalling the server. A fork() copies the page tables of the process
 * that forks: in a server holding a few hundred MB (PGlite's heap) that blocks the event loop for
 * ~20 ms per program on this class of machine, against ~1 ms in a small process. So the server starts
 * a small spawn host first (`startSpawnHost`, before the database opens) and every program is
 * started there, with its stdio handed over as Unix sockets connected to the server: the bytes flow
 * between the program and the server directly. Without a host (tests, the CLI), programs are
 * spawned directly, behind the same interface.
 */
import { spawn } from 'node:child_process';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string | undefined;
  /** Its own process group, so `kill({ group: true })` reaches everything it starts. */
  detached?: boolean;
}

/**
 * A running program. Its stdout and stderr start paused: read them with `pipe`, `for await`, or a
 * `'data'` listener followed by `resume()`.
 */
export interface SpawnedProcess {
  readonly pid: number;
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  kill(signal?: NodeJS.Signals, options?: { group?: boolean }): void;
  /** Resolves when the program has exited, whether or not its output has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the program has exited and its output has been read to the end. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface Pending {
  io?: Socket;
  err?: Socket;
  pid?: number;
  /** Hands the process over once both sockets and its pid have arrived. */
  ready(): void;
  reject(error: Error): void;
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
}

type HostMessage =
  | { type: 'spawned'; id: number; pid: number }
  | { type: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { type: 'error'; id: number; message: string; code?: string };

const HOST_SCRIPT = fileURLToPath(new URL('./spawn-host-process.mjs', import.meta.url));

class SpawnHost {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly host: ChildProcess,
    private readonly server: Server,
    private readonly dir: string,
  ) {
    host.on('message', (message: HostMessage) => this.onMessage(message));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.onConnection(socket);
    });
  }

  static async start(): Promise<SpawnHost> {
    const dir = mkdtempSync(path.join(tmpdir(), 'lucid-spawn-'));
    const socketPath = path.join(dir, 'host.sock');
    const server = createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, resolve);
    });
    const host = fork(HOST_SCRIPT, [socketPath], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      host.once('spawn', resolve);
      host.once('error', reject);
    });
    host.unref();
    host.channel?.unref();
    server.unref();
    return new SpawnHost(host, server, dir);
  }

  get alive(): boolean {
    return this.host.connected;
  }

  spawn(command: string, args: string[], options: SpawnOptions): Promise<SpawnedProcess> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      let exited: ((value: { code: number | null; signal: NodeJS.Signals | null }) => void) | null =
        null;
      const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (r) => (exited = r),
      );
      const entry: Pending = {
        ready: () => {},
        reject,
        onExit: (code, signal) => exited?.({ code, signal }),
      };
      this.pending.set(id, entry);
      entry.ready = () => {
        if (!entry.io || !entry.err || entry.pid === undefined) return;
        const { io, err, pid } = entry;
        // Output is complete when the read side ends; the write side (stdin) may still be open.
        const ended = (stream: Readable) =>
          new Promise<void>((r) => {
            if (stream.readableEnded || stream.destroyed) r();
            else {
              stream.once('end', () => r());
              stream.once('close', () => r());
            }
          });
        resolve({
          pid,
          stdin: io,
          stdout: io,
          stderr: err,
          kill: (signal = 'SIGTERM', killOptions = {}) => {
            this.host.send({ type: 'kill', id, signal, group: killOptions.group ?? false });
          },
          exited: exit,
          closed: Promise.all([exit, ended(io), ended(err)]).then(([status]) => {
            this.pending.delete(id);
            io.destroy();
            err.destroy();
            return status;
          }),
        });
      };
      this.host.send({
        type: 'spawn',
        id,
        command,
        args,
        env: options.env,
        cwd: options.cwd,
        detached: options.detached ?? false,
      });
    });
  }

  async close(): Promise<void> {
    this.host.kill();
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private onMessage(message: HostMessage): void {
    const entry = this.pending.get(message.id);
    if (!entry) return;
    if (message.type === 'spawned') {
      entry.pid = message.pid;
      entry.ready();
    } else if (message.type === 'exit') {
      entry.onExit(message.code, message.signal);
    } else {
      this.pending.delete(message.id);
      entry.io?.destroy();
      entry.err?.destroy();
      entry.reject(Object.assign(new Error(message.message), { code: message.code }));
    }
  }

  private onConnection(socket: Socket): void {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(10);
      if (newline === -1) return;
      socket.off('data', onData);
      socket.pause();
      const [id = '', stream = ''] = head.subarray(0, newline).toString('utf8').split(' ');
      const rest = head.subarray(newline + 1);
      if (rest.length > 0) socket.unshift(rest);
      const entry = this.pending.get(Number(id));
      if (!entry) {
        socket.destroy();
        return;
      }
      if (stream === 'io') entry.io = socket;
      else entry.err = socket;
      entry.ready();
    };
    socket.on('data', onData);
  }
}

let host: SpawnHost | null = null;

/**
 * Starts the spawn host for this process. Call it early, while the process is still small.
 *
 * @example
 * await startSpawnHost();
 */
export async function startSpawnHost(): Promise<void> {
  host ??= await SpawnHost.start();
}

export async function stopSpawnHost(): Promise<void> {
  const current = host;
  host = null;
  await current?.close();
}

/** Starts a program: through the spawn host when one runs, else directly. */
export async function spawnProcess(
  command: string,
  args: string[],
  options: SpawnOptions,
): Promise<SpawnedProcess> {
  if (host?.alive) return host.spawn(command, args, options);
  return spawnDirectly(command, args, options);
}

function spawnDirectly(
  command: string,
  args: string[],
  options: SpawnOptions,
): Promise<SpawnedProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd,
      detached: options.detached ?? false,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.once('error', reject);
    child.once('spawn', () => {
      const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
        child.once('close', (code, signal) => r({ code, signal })),
      );
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
        child.once('exit', (code, signal) => r({ code, signal })),
      );
      resolve({
        pid: child.pid ?? 0,
        stdin: child.stdin,
        stdout: child.stdout,
        stderr: child.stderr,
        kill: (signal = 'SIGTERM', killOptions = {}) => {
          try {
            if (killOptions.group && child.pid) process.kill(-child.pid, signal);
            else child.kill(signal);
          } catch {
            // already gone
          }
        },
        exited,
        closed,
      });
    });
  });
}
