/**
 * @module llm/gateway-taps
 * Streams an upstream answer on to the client while reading it: a server-sent-event stream is
 * split into events as it passes (each event's JSON data handed to `onData`), a JSON answer is
 * parsed at its end. Bytes are passed on as they arrive; only when events are filtered out is an
 * event held until its blank line. `onEnd` runs before the stream ends (usage is recorded before the
 * client sees the end of the answer), and also when the stream is cut short.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export interface TapOptions {
  /** Called with each event's parsed data (SSE) or the whole parsed body (JSON). */
  onData: (data: unknown) => void;
  /** Called once, when the answer ends or is cut short. */
  onEnd: () => Promise<void>;
  /** SSE only: events for which this returns false are not passed on. */
  keep?: (data: unknown) => boolean;
  /**
   * SSE only: events whose text lacks this string are passed on unparsed, never seen by `onData`
   * or `keep` (usage is all the gateway reads, and a streamed answer is mostly text deltas).
   */
  wanted?: string;
}

const EVENT_END = /\r?\n\r?\n/;

function eventData(raw: string): unknown {
  const lines = raw
    .split(/\r?\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
  if (lines.length === 0) return undefined;
  try {
    return JSON.parse(lines.join('\n')) as unknown;
  } catch {
    return undefined;
  }
}

abstract class Tap extends Transform {
  private ended = false;

  constructor(protected readonly options: TapOptions) {
    super();
  }

  protected finishOnce(): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    return this.options.onEnd();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    void this.finishOnce().then(
      () => callback(error),
      () => callback(error),
    );
  }
}

/** Reads a server-sent-event stream as it passes. */
export class SseTap extends Tap {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.options.keep) this.push(chunk);
    this.pending += this.decoder.write(chunk);
    for (let match = EVENT_END.exec(this.pending); match; match = EVENT_END.exec(this.pending)) {
      const raw = this.pending.slice(0, match.index + match[0].length);
      this.pending = this.pending.slice(raw.length);
      this.event(raw);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.pending += this.decoder.end();
    if (this.pending !== '') this.event(this.pending);
    this.pending = '';
    this.finishOnce().then(() => callback(), callback);
  }

  private event(raw: string): void {
    const { wanted } = this.options;
    if (wanted !== undefined && !raw.includes(wanted)) {
      if (this.options.keep) this.push(raw);
      return;
    }
    const data = eventData(raw);
    if (data !== undefined) this.options.onData(data);
    const { keep } = this.options;
    if (keep && (data === undefined || keep(data))) this.push(raw);
  }
}

/** Reads a JSON answer as it passes: the bytes go on at once, the parse happens at the end. */
export class JsonTap extends Tap {
  private readonly chunks: Buffer[] = [];

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.chunks.push(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.options.onData(JSON.parse(Buffer.concat(this.chunks).toString('utf8')) as unknown);
    } catch {
      // not JSON: nothing to read
    }
    this.finishOnce().then(() => callback(), callback);
  }
}
