/**
 * @module sandbox/driver
 * The sandbox port: where an agent's commands run. One sandbox per task, holding the task's
 * working copy in `/workspace`. Drivers (`docker`, `local`) implement it, and one conformance suite
 * (packages/server/test/sandbox/conformance.ts) runs against each of them.
 *
 * A sandbox holds no secret: nothing in a spec may carry a provider key or a forge token.
 */
import type { Readable, Writable } from 'node:stream';

/** Resource limits of one sandbox. */
export interface SandboxLimits {
  /** Memory limit in bytes (swap included); the kernel kills what goes beyond it. */
  memoryBytes: number;
  /** CPU quota, in cores (1.5 = one and a half cores). */
  cpus: number;
  /** Most processes (and threads) alive at once: bounds a fork bomb. */
  pids: number;
}

export interface SandboxSpec {
  /** Ownership labels, such as `lucid.task` and `lucid.run`. */
  labels: Record<string, string>;
  /** Environment of every process in the sandbox; never a secret. */
  env?: Record<string, string>;
  limits: SandboxLimits;
  /** `bridge` reaches the network (and Lucid's sandbox endpoint); `none` reaches nothing. */
  network: 'bridge' | 'none';
  /** Image to run (docker only); the driver's default image otherwise. */
  image?: string;
  /**
   * Host folders the sandbox sees read-only at `target` (the CLI agents' cache). The docker driver
   * bind-mounts them; the local driver binds them with bubblewrap, and without it the sandbox reads
   * them at their host path.
   */
  readOnlyMounts?: Array<{ source: string; target: string }>;
}

export interface ExecOptions {
  /** Working directory; `/workspace` by default. */
  cwd?: string;
  /** Extra environment for this command. */
  env?: Record<string, string>;
  /** Bytes written to the command's standard input, which is then closed. */
  stdin?: string | Buffer;
  /** The command and every process it started are killed after this long. */
  timeoutMs?: number;
  /** Aborting kills the command and every process it started. */
  signal?: AbortSignal;
  /** Output as it arrives, until the cap; then one truncation notice. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void;
  /** Most bytes of output kept per stream (default 1 MiB); the rest is cut with a marker. */
  maxOutputBytes?: number;
}

export interface ExecResult {
  /** The exit code; null when the command was killed by a signal. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** True when output went beyond the cap and was cut (the text says where). */
  truncated: boolean;
  timedOut: boolean;
  cancelled: boolean;
  /** True when the sandbox's memory limit killed the command. */
  oomKilled: boolean;
  durationMs: number;
}

export interface FileEntry {
  /** Path relative to the listed directory. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  size: number;
}

/** A shell that lives as long as the sandbox: `cd` and `export` persist between commands. */
export interface SandboxShell {
  run(
    command: string,
    options?: Pick<ExecOptions, 'timeoutMs' | 'signal' | 'onOutput' | 'maxOutputBytes'>,
  ): Promise<ExecResult>;
  close(): Promise<void>;
}

export interface Sandbox {
  readonly id: string;
  readonly labels: Record<string, string>;
  /** Runs a program (argv, no shell) and waits for it. */
  exec(argv: string[], options?: ExecOptions): Promise<ExecResult>;
  /** The sandbox's persistent shell, started on first use. */
  shell(): Promise<SandboxShell>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, content: string | Buffer): Promise<void>;
  /** Entries below a directory, recursively, up to `maxEntries` (default 10,000). */
  listFiles(path: string, options?: { maxEntries?: number }): Promise<FileEntry[]>;
  /** Stops and deletes the sandbox and its workspace. */
  remove(): Promise<void>;
}

export interface SandboxInfo {
  id: string;
  labels: Record<string, string>;
  createdAt: Date;
  running: boolean;
}

export interface SandboxDriver {
  readonly kind: 'docker' | 'local';
  /** One sentence on how isolated the sandboxes are, for `lucid doctor` and the start log. */
  readonly isolation: string;
  create(spec: SandboxSpec): Promise<Sandbox>;
  /**
   * A sandbox made earlier (by this or a previous process), by its full id only (never a prefix
   * or a name), or null.
   */
  get(id: string): Promise<Sandbox | null>;
  /** Sandboxes whose labels include all of `labels`. */
  list(labels?: Record<string, string>): Promise<SandboxInfo[]>;
  /**
   * Tells a driver whose sandboxes have no network of their own to Lucid (local) where Lucid
   * answers them; the latest call wins. Docker sandboxes reach Lucid over the engine's network and
   * need no such call.
   */
  reachLucid?(endpoint: LucidEndpoint): void;
}

/** Where sandboxes reach Lucid's git endpoint and LLM gateway. */
export interface LucidEndpoint {
  /** Lucid's URL as sandboxes are given it (clone URLs, CLI agents' gateway). */
  url: string;
  /** A Unix socket on this host that answers what sandboxes send to that URL. */
  socket: string;
}

/**
 * A process running a shell inside a sandbox, as each driver starts it. The persistent shell
 * (sandbox/persistent-shell.ts) speaks to it through these streams alone.
 */
export interface ShellProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Kills every process the shell started (the foreground command's process groups), not the shell. */
  killChildren(): Promise<void>;
  /** Ends the shell. */
  close(): Promise<void>;
  /**
   * Signals the shell itself (SIGUSR1), which then abandons the running command: stops a busy
   * loop that starts no process, keeping the shell's directory and variables.
   */
  interrupt?(): Promise<void>;
}
