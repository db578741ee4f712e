/**
 * @module sandbox/output
 * Collects a command's output with a cap per stream, as every driver and the persistent shell do:
 * the head and the tail of each stream are kept, with a marker saying how much was cut between
 * them; chunks go to `onOutput` as they arrive until the cap, then one notice says the rest is not
 * streamed. Bytes are decoded as UTF-8 without splitting a character across chunks.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ExecOptions } from './driver.ts';

/** Most bytes kept per stream when `maxOutputBytes` is not given: 1 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

export type OutputStream = 'stdout' | 'stderr';

export interface CollectedOutput {
  stdout: string;
  stderr: string;
  /** True when either stream went beyond the cap. */
  truncated: boolean;
}

/**
 * The text put where output was cut.
 *
 * @example
 * cutMarker(12345) // '\n[… 12345 bytes of output cut …]\n'
 */
export function cutMarker(bytes: number): string {
  return `\n[… ${bytes} bytes of output cut …]\n`;
}

/** The one chunk `onOutput` receives on a stream once its cap is reached. */
export function streamCapNotice(maxBytes: number): string {
  return `\n[… output beyond ${maxBytes} bytes is not streamed; the result keeps its head and tail …]\n`;
}

class StreamBuffer {
  private readonly headCap: number;
  private readonly tailCap: number;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;
  private streamed = 0;
  private capNoticeSent = false;
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly name: OutputStream,
    private readonly maxBytes: number,
    private readonly onOutput: ExecOptions['onOutput'],
  ) {
    this.headCap = Math.floor(maxBytes / 2);
    this.tailCap = maxBytes - this.headCap;
  }

  get truncated(): boolean {
    return this.total > this.maxBytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.total += chunk.length;
    this.stream(chunk);
    let rest = chunk;
    if (this.headBytes < this.headCap) {
      const take = Math.min(this.headCap - this.headBytes, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    if (this.tailBytes > this.tailCap * 2 || this.tail.length > 1024) this.compactTail();
  }

  text(): string {
    this.compactTail();
    const head = Buffer.concat(this.head);
    const tail = Buffer.concat(this.tail);
    if (!this.truncated) return Buffer.concat([head, tail]).toString('utf8');
    const headEnd = completeUtf8End(head);
    const tailStart = firstUtf8Start(tail);
    const kept = headEnd + (tail.length - tailStart);
    return (
      head.subarray(0, headEnd).toString('utf8') +
      cutMarker(this.total - kept) +
      tail.subarray(tailStart).toString('utf8')
    );
  }

  end(): void {
    if (!this.onOutput || this.capNoticeSent) return;
    const rest = this.decoder.end();
    if (rest) this.onOutput(this.name, rest);
  }

  private stream(chunk: Buffer): void {
    if (!this.onOutput || this.capNoticeSent) return;
    const room = this.maxBytes - this.streamed;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.streamed += part.length;
    const text = this.decoder.write(part);
    if (text) this.onOutput(this.name, text);
    if (part.length < chunk.length) {
      this.capNoticeSent = true;
      this.onOutput(this.name, streamCapNotice(this.maxBytes));
    }
  }

  private compactTail(): void {
    if (this.tail.length === 0) return;
    let joined = this.tail.length === 1 ? (this.tail[0] as Buffer) : Buffer.concat(this.tail);
    if (joined.length > this.tailCap) joined = joined.subarray(joined.length - this.tailCap);
    this.tail = [Buffer.from(joined)];
    this.tailBytes = joined.length;
  }
}

/** Length of the longest prefix of `bytes` that ends on a whole UTF-8 character. */
function completeUtf8End(bytes: Buffer): number {
  let i = bytes.length;
  let back = 0;
  while (i > 0 && back < 4 && ((bytes[i - 1] as number) & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i === 0) return bytes.length;
  const lead = bytes[i - 1] as number;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return back + 1 >= need ? bytes.length : i - 1;
}

/** Index of the first byte of `bytes` that starts a UTF-8 character (skips at most 3). */
function firstUtf8Start(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length && i < 3 && ((bytes[i] as number) & 0xc0) === 0x80) i++;
  return i;
}

/**
 * Output of one command, capped per stream. Feed it chunks as they arrive, then call `finish()`.
 *
 * @example
 * const output = new OutputCollector({ maxOutputBytes: 1024, onOutput });
 * child.stdout.on('data', (chunk) => output.push('stdout', chunk));
 * child.stderr.on('data', (chunk) => output.push('stderr', chunk));
 * // after the child closed:
 * const { stdout, stderr, truncated } = output.finish();
 */
export class OutputCollector {
  private readonly streams: Record<OutputStream, StreamBuffer>;
  private finished: CollectedOutput | null = null;

  constructor(options: Pick<ExecOptions, 'maxOutputBytes' | 'onOutput'> = {}) {
    const maxBytes = Math.max(0, Math.floor(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES));
    this.streams = {
      stdout: new StreamBuffer('stdout', maxBytes, options.onOutput),
      stderr: new StreamBuffer('stderr', maxBytes, options.onOutput),
    };
  }

  /** Adds a chunk of one stream; ignored once `finish()` was called. */
  push(stream: OutputStream, chunk: Buffer | string): void {
    if (this.finished) return;
    this.streams[stream].push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }

  /** True once either stream went beyond the cap. */
  get truncated(): boolean {
    return this.streams.stdout.truncated || this.streams.stderr.truncated;
  }

  /** Flushes what is left to `onOutput` and returns the kept text; later calls return the same. */
  finish(): CollectedOutput {
    if (this.finished) return this.finished;
    this.streams.stdout.end();
    this.streams.stderr.end();
    this.finished = {
      stdout: this.streams.stdout.text(),
      stderr: this.streams.stderr.text(),
      truncated: this.truncated,
    };
    return this.finished;
  }
}
