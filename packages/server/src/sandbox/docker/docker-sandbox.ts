/**
 * @module sandbox/docker/docker-sandbox
 * One sandbox as one container. Commands run by Engine API execs (demuxed into the shared capped
 * collector); a timeout or cancel kills the command with everything it started by a second exec;
 * a command the memory limit killed is told by the cgroup's OOM-kill counter.
 */
import { posix } from 'node:path';
import type Docker from 'dockerode';
import { AppError } from '../../errors.ts';
import type { ExecOptions, ExecResult, FileEntry, Sandbox, SandboxShell } from '../driver.ts';
import { OutputCollector } from '../output.ts';
import { PersistentShell } from '../persistent-shell.ts';
import { ContainerFiles } from './container-files.ts';
import { WORKSPACE } from './container-config.ts';
import { startDockerShell } from './docker-shell.ts';
import { statusOf } from './engine.ts';
import { startExec, type StartedExec } from './engine-exec.ts';
import { readOomKills } from './oom-kills.ts';
import { newMarker, signalMarked } from './process-control.ts';

/** Exit code of a process ended by SIGKILL, as the engine reports it. */
const KILLED = 128 + 9;
/** How long a killed command's output may stay open before the driver stops waiting on it. */
const KILL_GRACE_MS = 2000;
const KILL_RETRY_MS = 100;
/** How long the driver tries to reach a command to kill before it restarts the container. */
const UNREACHABLE_MS = 5000;

export class DockerSandbox implements Sandbox {
  private readonly files: ContainerFiles;
  private shellStarting: Promise<PersistentShell> | null = null;

  /**
   * @param oomKills The container's OOM-kill count when this object was made (0 for a new one).
   */
  constructor(
    private readonly docker: Docker,
    private readonly container: Docker.Container,
    readonly labels: Record<string, string>,
    private oomKills: number | null,
  ) {
    this.files = new ContainerFiles(docker, container);
  }

  get id(): string {
    return this.container.id;
  }

  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const started = performance.now();
    const output = new OutputCollector(options);
    if (options.signal?.aborted) {
      return { ...output.finish(), ...notRun(), cancelled: true, durationMs: 0 };
    }
    if (argv.length === 0) throw new AppError('bad_request', 'A command needs a program to run.');
    const marker = newMarker();
    const exec = await this.engineCall(() =>
      startExec(
        this.docker,
        this.container,
        {
          argv,
          cwd: posix.resolve(WORKSPACE, options.cwd ?? '.'),
          env: { ...options.env, [marker.name]: marker.value },
          ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
        },
        (chunk) => output.push('stdout', chunk),
        (chunk) => output.push('stderr', chunk),
      ),
    );

    let stoppedBy: 'timeout' | 'cancel' | null = null;
    let stopping: Promise<void> = Promise.resolve();
    const stop = (reason: 'timeout' | 'cancel') => {
      if (stoppedBy) return;
      stoppedBy = reason;
      stopping = this.terminate(exec, marker);
    };
    const timer =
      options.timeoutMs !== undefined ? setTimeout(() => stop('timeout'), options.timeoutMs) : null;
    const onAbort = () => stop('cancel');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) stop('cancel');

    let exitCode: number | null;
    try {
      exitCode = await exec.exitCode;
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      await stopping;
    }

    const oomKilled = stoppedBy === null && exitCode === KILLED && (await this.newOomKill());
    return {
      ...output.finish(),
      exitCode: stoppedBy !== null || oomKilled ? null : exitCode,
      timedOut: stoppedBy === 'timeout',
      cancelled: stoppedBy === 'cancel',
      oomKilled,
      durationMs: Math.round(performance.now() - started),
    };
  }

  shell(): Promise<SandboxShell> {
    const current = this.shellStarting;
    if (current) {
      return current.then((shell) => {
        if (shell.alive) return shell;
        if (this.shellStarting === current) this.shellStarting = null;
        return this.shell();
      });
    }
    const starting = this.engineCall(() =>
      startDockerShell(this.docker, this.container, (started, marker) =>
        this.terminate(started, marker),
      ),
    ).then((process) => new PersistentShell(process));
    this.shellStarting = starting;
    starting.catch(() => {
      if (this.shellStarting === starting) this.shellStarting = null;
    });
    return starting;
  }

  readFile(path: string): Promise<Buffer> {
    return this.engineCall(() => this.files.readFile(path));
  }

  writeFile(path: string, content: string | Buffer): Promise<void> {
    return this.engineCall(() => this.files.writeFile(path, content));
  }

  listFiles(path: string, options: { maxEntries?: number } = {}): Promise<FileEntry[]> {
    return this.engineCall(() => this.files.listFiles(path, options.maxEntries));
  }

  async remove(): Promise<void> {
    const shell = this.shellStarting;
    this.shellStarting = null;
    await shell?.then((s) => s.close()).catch(() => undefined);
    try {
      await this.container.remove({ force: true, v: true });
    } catch (error) {
      if (statusOf(error) !== 404 && !isRemovalInProgress(error)) throw error;
    }
  }

  /** Runs an Engine API call, turning "no such container" into a clear error. */
  private async engineCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) {
        throw new AppError('not_found', `The sandbox ${this.id} no longer exists.`);
      }
      if (status === 409) {
        throw new AppError('conflict', `The sandbox ${this.id} is not running.`);
      }
      throw error;
    }
  }

  /**
   * Kills a command's processes until its output closes. The kill is retried while it does not go
   * through (the engine refuses the exec, or processes keep appearing faster than it kills them);
   * when none went through for a while, the container is restarted, which ends every process in it
   * but keeps its volumes (the workspace). Once a kill went through, the driver stops waiting after
   * a grace period on output that a process outside the command still holds open.
   */
  private async terminate(
    started: StartedExec,
    marker: { name: string; value: string },
  ): Promise<void> {
    let gone = false;
    const settled = started.exitCode.then(
      () => (gone = true),
      () => (gone = true),
    );
    const restartAt = performance.now() + UNREACHABLE_MS;
    let killedAt: number | null = null;
    while (!gone) {
      const now = performance.now();
      if (killedAt !== null && now - killedAt >= KILL_GRACE_MS) break;
      if (killedAt === null && now >= restartAt) {
        await this.restart();
        killedAt = performance.now();
      } else if (await signalMarked(this.docker, this.container, marker, 'all')) {
        killedAt ??= performance.now();
      }
      await Promise.race([settled, sleep(KILL_RETRY_MS)]);
    }
    if (!gone) started.connection.destroy();
    await settled;
  }

  /** Ends every process in the container and starts it again; its volumes are kept. */
  private async restart(): Promise<void> {
    await this.container.restart({ t: 0 }).catch(() => undefined);
    this.oomKills = await readOomKills(this.docker, this.container);
  }

  /** True when the memory limit killed a process since the last look. */
  private async newOomKill(): Promise<boolean> {
    const count = await readOomKills(this.docker, this.container);
    if (count === null) return false;
    const before = this.oomKills;
    this.oomKills = count;
    return before !== null && count > before;
  }
}

function notRun(): Pick<ExecResult, 'exitCode' | 'timedOut' | 'cancelled' | 'oomKilled'> {
  return { exitCode: null, timedOut: false, cancelled: false, oomKilled: false };
}

function isRemovalInProgress(error: unknown): boolean {
  return statusOf(error) === 409 && /already in progress/i.test(String(error));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
