/**
 * @module sandbox/persistent-shell
 * One long-lived bash per sandbox, driven through its standard streams, so `cd` and `export` persist
 * between commands. Every driver uses it over the `ShellProcess` it starts.
 *
 * Protocol: each command is sent as one line,
 *
 *     __lucid_mk=MARK; __lucid_busy=1; for __lucid_i in 1; do eval $'…'; done </dev/null; …
 *     printf '\n%s %d\n' "$__lucid_mk" "$__lucid_s"; printf '\n%s\n' "$__lucid_mk" >&2
 *
 * where MARK is random per command. The command text travels inside an ANSI-C quoted string
 * (`$'…'`, with `\`, `'` and control bytes escaped), so quotes, heredocs, multi-line scripts and even
 * syntax errors stay inside `eval` and cannot break the framing, and no process is started for the
 * decoding (base64 would fork twice per command). Standard input is /dev/null, so a command that
 * reads it neither hangs nor swallows the protocol. The output of each stream up to its marker is the
 * command's output; the newline put before each marker is removed with it.
 *
 * Job control (`set -m`) puts each foreground command in its own process group. On a timeout or
 * cancel, the shell is asked to abandon the command — SIGUSR1, through `interrupt()` when the driver
 * offers it: its trap `return`s from the function the command is in or `break`s out of the wrapping
 * loop, and installs a DEBUG trap (inherited by functions with `set -T`) doing the same before every
 * further step, so nested loops and functions unwind while `cd` and variables stay — and the shell's
 * children are killed (`killChildren()`). Both repeat until the markers arrive. If they never do (the
 * command took over the output streams, say), the shell is ended after a grace period, and later
 * runs fail. `exit` in a command is answered by an EXIT trap that still prints the markers; the
 * shell is gone afterwards (`alive` is false) and the driver starts a new one.
 */
import { randomBytes } from 'node:crypto';
import type { ExecOptions, ExecResult, SandboxShell, ShellProcess } from './driver.ts';
import { OutputCollector, type OutputStream } from './output.ts';

/** A `ShellProcess` that can also signal the shell itself (not its children) with SIGUSR1. */
export interface InterruptibleShellProcess extends ShellProcess {
  /** Sends SIGUSR1 to the bash process, which then abandons the command it is running. */
  interrupt?(): Promise<void>;
}

export interface PersistentShellOptions {
  /** How long a timed-out or cancelled command may resist before the shell is ended (ms). */
  killGraceMs?: number;
  /** Pause between rounds of interrupting and killing children (ms). */
  killIntervalMs?: number;
}

export type ShellRunOptions = Pick<
  ExecOptions,
  'timeoutMs' | 'signal' | 'onOutput' | 'maxOutputBytes'
>;

/** Thrown by `run` once the shell process is gone. */
export class ShellExitedError extends Error {
  constructor(detail: string) {
    super(`The sandbox shell is no longer running (${detail}); open a new one with shell().`);
    this.name = 'ShellExitedError';
  }
}

/**
 * Quotes text as a bash ANSI-C string: `\\`, `'` and control characters become escapes; everything
 * else, multi-byte characters included, stays as it is.
 *
 * @example
 * ansiCQuote("echo 'hi'\n") // "$'echo \\'hi\\'\\x0a'"
 */
export function ansiCQuote(text: string): string {
  let out = "$'";
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (char === '\\' || char === "'") out += `\\${char}`;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `${out}'`;
}

/** Leaves the running command: `return` from the function it is in, or `break` out of every loop. */
const ABANDON =
  'if [[ -n ${__lucid_busy-} ]]; then if [[ -n ${FUNCNAME-} ]]; then return 130; fi; ' +
  'break 1000 2>/dev/null; fi';

/**
 * On SIGUSR1, abandon the command where it is, and (through a DEBUG trap inherited by functions)
 * before each of its next steps, until it is left. On EXIT, still print the markers.
 */
const SETUP = [
  'set -m',
  `trap ${ansiCQuote(
    `if [[ -n \${__lucid_busy-} ]]; then __lucid_stop=1; set -T; trap ${ansiCQuote(ABANDON)} DEBUG; fi; ${ABANDON}`,
  )} USR1`,
  `trap ${ansiCQuote(
    '__lucid_s=$?; if [[ -n ${__lucid_mk-} ]]; then printf \'\\n%s %d\\n\' "$__lucid_mk" "$__lucid_s"; ' +
      'printf \'\\n%s\\n\' "$__lucid_mk" >&2; fi',
  )} EXIT`,
  '',
].join('\n');

/** Finds a marker line in one stream and passes on what comes before it. */
class MarkerScanner {
  private pending: Buffer = Buffer.alloc(0);
  done = false;
  status: number | null = null;

  constructor(
    private readonly marker: Buffer,
    private readonly withStatus: boolean,
    private readonly emit: (chunk: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.done) return;
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const at = data.indexOf(this.marker);
    if (at >= 0) {
      if (at > 0) this.emit(data.subarray(0, at));
      const rest = data.subarray(at + this.marker.length);
      const newline = rest.indexOf(0x0a);
      if (newline < 0) {
        this.pending = Buffer.from(data.subarray(at));
        return;
      }
      if (this.withStatus) {
        const status = Number.parseInt(rest.subarray(0, newline).toString('latin1').trim(), 10);
        this.status = Number.isNaN(status) ? null : status;
      }
      this.pending = Buffer.alloc(0);
      this.done = true;
      return;
    }
    const hold = this.heldSuffix(data);
    if (hold < data.length) this.emit(data.subarray(0, data.length - hold));
    this.pending = hold ? Buffer.from(data.subarray(data.length - hold)) : Buffer.alloc(0);
  }

  /** Bytes at the end of `data` that could be the start of the marker. */
  private heldSuffix(data: Buffer): number {
    const from = Math.max(0, data.length - (this.marker.length - 1));
    const newline = data.lastIndexOf(0x0a);
    if (newline < from) return 0;
    const tail = data.subarray(newline);
    return this.marker.subarray(0, tail.length).equals(tail) ? tail.length : 0;
  }

  /** What was held back, for a run that ends without its marker. */
  flush(): void {
    if (this.pending.length && !this.done) this.emit(this.pending);
    this.pending = Buffer.alloc(0);
  }
}

/** One command's framing: its two marker scanners, settled once both markers arrived. */
class FramedRun {
  readonly marker = `__lucid_${randomBytes(12).toString('hex')}`;
  readonly done: Promise<void>;
  private readonly scanners: Record<OutputStream, MarkerScanner>;
  private settle!: { resolve: () => void; reject: (error: Error) => void };

  constructor(output: OutputCollector) {
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    const bytes = Buffer.from(`\n${this.marker}`);
    this.scanners = {
      stdout: new MarkerScanner(bytes, true, (chunk) => output.push('stdout', chunk)),
      stderr: new MarkerScanner(bytes, false, (chunk) => output.push('stderr', chunk)),
    };
  }

  /** True once both markers arrived. */
  get complete(): boolean {
    return this.scanners.stdout.done && this.scanners.stderr.done;
  }

  /** The exit status the stdout marker carried. */
  get status(): number | null {
    return this.scanners.stdout.status;
  }

  has(stream: OutputStream): boolean {
    return this.scanners[stream].done;
  }

  push(stream: OutputStream, chunk: Buffer): void {
    this.scanners[stream].push(chunk);
    if (this.complete) this.settle.resolve();
  }

  /** Settles without the markers, passing on what was held back. */
  abandon(error?: Error): void {
    this.scanners.stdout.flush();
    this.scanners.stderr.flush();
    if (error) this.settle.reject(error);
    else this.settle.resolve();
  }
}

/**
 * A persistent bash over a driver's `ShellProcess`; commands run one at a time, in order.
 *
 * @example
 * const shell = new PersistentShell(shellProcess);
 * await shell.run('cd app && export NODE_ENV=test');
 * const { stdout } = await shell.run('pwd; echo $NODE_ENV'); // '/workspace/app\ntest\n'
 */
export class PersistentShell implements SandboxShell {
  private readonly killGraceMs: number;
  private readonly killIntervalMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private active: FramedRun | null = null;
  private exited: string | null = null;
  private readonly ended: Record<OutputStream, boolean> = { stdout: false, stderr: false };

  constructor(
    private readonly process: InterruptibleShellProcess,
    options: PersistentShellOptions = {},
  ) {
    this.killGraceMs = options.killGraceMs ?? 3000;
    this.killIntervalMs = options.killIntervalMs ?? 100;
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = process[stream];
      readable.on('data', (chunk: Buffer | string) => {
        this.active?.push(stream, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      });
      readable.on('end', () => this.streamEnded(stream, 'its output ended'));
      readable.on('close', () => this.streamEnded(stream, 'its output closed'));
      readable.on('error', (error: Error) => this.streamEnded(stream, error.message));
    }
    process.stdin.on('error', (error: Error) => this.die(`writing to it failed: ${error.message}`));
    process.stdin.write(SETUP);
  }

  /** False once the shell process is gone; the driver then starts a new one. */
  get alive(): boolean {
    return this.exited === null;
  }

  /** Runs one command after those queued before it. */
  run(command: string, options: ShellRunOptions = {}): Promise<ExecResult> {
    const result = this.queue.then(() => this.execute(command, options));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Ends the shell; queued and later runs fail. */
  async close(): Promise<void> {
    this.die('it was closed');
    await this.process.close();
  }

  private async execute(command: string, options: ShellRunOptions): Promise<ExecResult> {
    if (this.exited !== null) throw new ShellExitedError(this.exited);
    const started = performance.now();
    const output = new OutputCollector(options);
    let timedOut = false;
    let cancelled = false;
    if (options.signal?.aborted) {
      return { ...output.finish(), ...notRun(), cancelled: true, durationMs: 0 };
    }

    const run = new FramedRun(output);
    const stopping: Promise<void>[] = [];
    const stop = (reason: 'timeout' | 'cancel') => {
      if (stopping.length) return;
      if (reason === 'timeout') timedOut = true;
      else cancelled = true;
      stopping.push(this.stopCommand(run));
    };
    const timer =
      options.timeoutMs !== undefined ? setTimeout(() => stop('timeout'), options.timeoutMs) : null;
    const onAbort = () => stop('cancel');
    options.signal?.addEventListener('abort', onAbort, { once: true });

    this.active = run;
    try {
      this.process.stdin.write(
        `__lucid_mk=${run.marker}; __lucid_busy=1; for __lucid_i in 1; do eval ${ansiCQuote(command)}; ` +
          `done </dev/null; __lucid_s=$?; __lucid_busy=; ` +
          `if [[ -n \${__lucid_stop-} ]]; then trap - DEBUG; set +T; __lucid_stop=; fi; ` +
          `printf '\\n%s %d\\n' "$__lucid_mk" "$__lucid_s"; printf '\\n%s\\n' "$__lucid_mk" >&2; __lucid_mk=\n`,
      );
      await run.done;
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      this.active = null;
      await Promise.all(stopping);
    }

    return {
      ...output.finish(),
      exitCode: timedOut || cancelled || !run.complete ? null : run.status,
      timedOut,
      cancelled,
      oomKilled: false,
      durationMs: Math.round(performance.now() - started),
    };
  }

  /** Interrupts and kills until the markers arrive, or ends the shell after the grace period. */
  private async stopCommand(run: FramedRun): Promise<void> {
    const done = run.done.catch(() => undefined);
    let finished = false;
    void done.then(() => (finished = true));
    const deadline = performance.now() + this.killGraceMs;
    while (!finished && this.exited === null) {
      if (performance.now() >= deadline) {
        run.abandon();
        this.die('a stopped command did not give the shell back');
        await this.process.close().catch(() => undefined);
        return;
      }
      await this.process.interrupt?.().catch(() => undefined);
      await this.process.killChildren().catch(() => undefined);
      await Promise.race([done, sleep(this.killIntervalMs)]);
    }
  }

  private streamEnded(stream: OutputStream, detail: string): void {
    if (this.ended[stream]) return;
    this.ended[stream] = true;
    const run = this.active;
    if (run && !run.has(stream)) run.abandon(new ShellExitedError(detail));
    if (this.exited === null) {
      this.exited = detail;
      void this.process.close().catch(() => undefined);
    }
  }

  private die(detail: string): void {
    if (this.exited === null) this.exited = detail;
    this.active?.abandon(new ShellExitedError(detail));
  }
}

function notRun(): Pick<ExecResult, 'exitCode' | 'timedOut' | 'cancelled' | 'oomKilled'> {
  return { exitCode: null, timedOut: false, cancelled: false, oomKilled: false };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
