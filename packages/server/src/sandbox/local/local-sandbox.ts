/**
 * @module sandbox/local/local-sandbox
 * One sandbox of the local driver: a folder holding `workspace/` (the sandbox's /workspace), `tmp/`
 * and `sandbox.json`. Commands are launched by `launch.ts`, with bubblewrap (on the bridge network
 * in the sandbox's own network, `network.ts`) or unconfined; the persistent shell is a bash
 * launched the same way.
 */
import { rm } from 'node:fs/promises';
import type {
  ExecOptions,
  ExecResult,
  FileEntry,
  Sandbox,
  SandboxShell,
  SandboxSpec,
} from '../driver.ts';
import { spawnProcess } from '../../process/spawn.ts';
import { PersistentShell, type InterruptibleShellProcess } from '../persistent-shell.ts';
import { launchCommand, type LocalTools, type SandboxFolders } from './launch.ts';
import type { NetworkNamespace, SandboxNetwork } from './network.ts';
import { findShellPid, killProcessTree, killShellChildren } from './processes.ts';
import { runProcess } from './run-process.ts';

/** What `sandbox.json` holds. */
export interface SandboxRecord {
  id: string;
  labels: Record<string, string>;
  createdAt: string;
  spec: SandboxSpec;
}

export interface LocalSandboxContext {
  tools: LocalTools;
  systemArgs: readonly string[];
  /** The sandbox's own network (bubblewrap only). */
  network: SandboxNetwork | null;
  /** The sandbox's folder, `<root>/<id>`. */
  folder: string;
  folders: SandboxFolders;
  /** Called once the sandbox is removed. */
  onRemoved: () => void;
}

/**
 * A sandbox whose processes run on this host.
 *
 * @example
 * const sandbox = await driver.create(spec);
 * const { stdout } = await sandbox.exec(['ls', '-la']);
 */
export class LocalSandbox implements Sandbox {
  readonly id: string;
  readonly labels: Record<string, string>;
  private currentShell: Promise<PersistentShell> | null = null;
  private readonly running = new Set<() => Promise<void>>();
  private removed = false;

  constructor(
    private readonly record: SandboxRecord,
    private readonly context: LocalSandboxContext,
  ) {
    this.id = record.id;
    this.labels = record.labels;
  }

  /** Runs a program (argv, no shell) in the sandbox and waits for it. */
  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.assertPresent();
    const launch = launchCommand(
      this.context.tools,
      this.context.systemArgs,
      this.context.folders,
      this.record.spec,
      argv,
      { cwd: options.cwd, env: options.env },
      await this.networkNamespace(),
    );
    return runProcess(launch, options, this.running);
  }

  /** The sandbox's persistent shell; a new one when the previous one has exited. */
  async shell(): Promise<SandboxShell> {
    this.assertPresent();
    for (;;) {
      const pending = this.currentShell;
      if (pending) {
        const current = await pending.catch(() => null);
        if (current?.alive) return current;
        if (this.currentShell !== pending) continue;
      }
      this.currentShell = this.startShell();
      return this.currentShell;
    }
  }

  private async startShell(): Promise<PersistentShell> {
    const { tools } = this.context;
    const launch = launchCommand(
      tools,
      this.context.systemArgs,
      this.context.folders,
      this.record.spec,
      ['bash', '--noprofile', '--norc'],
      {},
      await this.networkNamespace(),
    );
    // Started by the spawn host: forking this (large) process would stall it.
    const child = await spawnProcess(launch.file, launch.args, {
      cwd: launch.cwd,
      env: launch.env,
      detached: true,
    }).catch((error: Error) => {
      throw new Error(`The sandbox shell could not start: ${error.message}`);
    });
    const spawned = child.pid;
    let shellPid: number | null = null;
    const shellPidOf = async () => (shellPid ??= await findShellPid(spawned, tools.bwrap !== null));
    const kill = () => killProcessTree(spawned);
    const shellProcess: InterruptibleShellProcess = {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      killChildren: async () => {
        const pid = await shellPidOf();
        if (pid !== null) await killShellChildren(pid);
      },
      interrupt: async () => {
        const pid = await shellPidOf();
        if (pid !== null) signal(pid, 'SIGUSR1');
      },
      close: async () => {
        this.running.delete(kill);
        child.stdin.destroy();
        await kill();
      },
    };
    this.running.add(kill);
    void child.exited.then(() => this.running.delete(kill));
    let early = '';
    const keepEarly = (chunk: Buffer) => (early += chunk.toString()).slice(0, 4096);
    child.stderr.on('data', keepEarly);
    const shell = new PersistentShell(shellProcess);
    child.stdout.resume();
    child.stderr.resume();
    try {
      await shell.run('true');
    } catch (error) {
      await shellProcess.close();
      throw new Error(
        `The sandbox shell could not start: ${early.trim() || (error as Error).message}`,
      );
    } finally {
      child.stderr.off('data', keepEarly);
    }
    await shellPidOf();
    return shell;
  }

  async readFile(path: string): Promise<Buffer> {
    this.assertPresent();
    return this.context.folders.files.readFile(path);
  }

  async writeFile(path: string, content: string | Buffer): Promise<void> {
    this.assertPresent();
    await this.context.folders.files.writeFile(path, content);
  }

  async listFiles(path: string, options: { maxEntries?: number } = {}): Promise<FileEntry[]> {
    this.assertPresent();
    return this.context.folders.files.listFiles(path, options.maxEntries);
  }

  /** Kills the shell and every running command, then deletes the sandbox's folder. */
  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    const shell = this.currentShell;
    this.currentShell = null;
    await Promise.all([...this.running].map((kill) => kill()));
    await shell?.then((open) => open.close()).catch(() => undefined);
    await this.context.network?.close();
    await rm(this.context.folder, { recursive: true, force: true, maxRetries: 3 });
    this.context.onRemoved();
  }

  /** The network namespace a command joins: the sandbox's own on the bridge network. */
  private async networkNamespace(): Promise<NetworkNamespace | null> {
    if (this.record.spec.network !== 'bridge') return null;
    return (await this.context.network?.enter()) ?? null;
  }

  private assertPresent(): void {
    if (this.removed) throw new Error(`The sandbox ${this.id} was removed.`);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone
  }
}
