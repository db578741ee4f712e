/**
 * @module gateway/gateway-taps
 * Streams an upstream answer on to the client while reading it: a server-sent-event stream is
 * split into events as it passes (each event's JSON data handed to `onData`), a JSON answer is
 * parsed at its end. Bytes are passed on as they arrive; only when events are filtered out is an
 * event held until its blank line. `onEnd` runs before the stream ends (usage is recorded before the
 * client sees the end of the answer), and also when the stream is cut short, told whether the
 * provider's side cut it (rather than the client going away).
 *
 * The tap is a web stream that reads its source only when its own reader asks: one stage, no queue
 * of its own, so each streamed token costs one read more than the provider's answer itself.
 */

export interface TapOptions {
  /** Called with each event's parsed data (SSE) or the whole parsed body (JSON). */
  onData: (data: unknown) => void;
  /**
   * Called once, when the answer ends or is cut short; `cut`: reading it from its source failed
   * (the provider's connection broke), as opposed to its end or the client hanging up.
   */
  onEnd: (cut: boolean) => Promise<void>;
  /** SSE only: events for which this returns false are not passed on. */
  keep?: (data: unknown) => boolean;
  /**
   * SSE only: events whose text lacks this string are passed on unparsed, never seen by `onData`
   * or `keep` (usage is all the gateway reads, and a streamed answer is mostly text deltas).
   */
  wanted?: string;
}

/** What a tap does with the bytes passing: what goes on of each chunk, and at the end. */
interface Reading {
  chunk(chunk: Uint8Array): Uint8Array | string;
  end(): string;
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

/** Reads a server-sent-event stream as it passes. */
function sseReading(options: TapOptions): Reading {
  const decoder = new TextDecoder();
  const { wanted, keep, onData } = options;
  let pending = '';
  /** What of one event goes on. */
  const event = (raw: string): string => {
    if (wanted !== undefined && !raw.includes(wanted)) return raw;
    const data = eventData(raw);
    if (data !== undefined) onData(data);
    return data === undefined || !keep || keep(data) ? raw : '';
  };
  const events = (): string => {
    let kept = '';
    for (let match = EVENT_END.exec(pending); match; match = EVENT_END.exec(pending)) {
      const raw = pending.slice(0, match.index + match[0].length);
      pending = pending.slice(raw.length);
      kept += event(raw);
    }
    return kept;
  };
  return {
    chunk(chunk) {
      pending += decoder.decode(chunk, { stream: true });
      const kept = events();
      // Unfiltered, the bytes go on as they came; events are only read.
      return keep ? kept : chunk;
    },
    end() {
      pending += decoder.decode();
      const kept = events() + (pending === '' ? '' : event(pending));
      pending = '';
      return keep ? kept : '';
    },
  };
}

/** Reads a JSON answer as it passes: the bytes go on at once, the parse happens at the end. */
function jsonReading(options: TapOptions): Reading {
  const chunks: Uint8Array[] = [];
  return {
    chunk(chunk) {
      chunks.push(chunk);
      return chunk;
    },
    end() {
      try {
        options.onData(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch {
        // not JSON: nothing to read
      }
      return '';
    },
  };
}

function tap(
  source: ReadableStream<Uint8Array>,
  reading: Reading,
  onEnd: (cut: boolean) => Promise<void>,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const encoder = new TextEncoder();
  let ended = false;
  const finishOnce = (cut: boolean): Promise<void> => {
    if (ended) return Promise.resolve();
    ended = true;
    return onEnd(cut);
  };
  const bytes = (out: Uint8Array | string): Uint8Array =>
    typeof out === 'string' ? encoder.encode(out) : out;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // Reads until something goes on: a filtered-out event must not leave the reader waiting.
        for (;;) {
          let read: Awaited<ReturnType<typeof reader.read>>;
          try {
            read = await reader.read();
          } catch (error) {
            await finishOnce(true).catch(() => {});
            controller.error(error);
            return;
          }
          if (read.done) {
            const rest = reading.end();
            if (rest !== '') controller.enqueue(bytes(rest));
            await finishOnce(false);
            controller.close();
            return;
          }
          const out = reading.chunk(read.value);
          if (out.length > 0) {
            controller.enqueue(bytes(out));
            return;
          }
        }
      },
      async cancel(reason) {
        await finishOnce(false).catch(() => {});
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Passes a server-sent-event stream on, reading its events as they pass. */
export function sseTap(
  source: ReadableStream<Uint8Array>,
  options: TapOptions,
): ReadableStream<Uint8Array> {
  return tap(source, sseReading(options), options.onEnd);
}

/** Passes a JSON answer on, reading it whole at its end. */
export function jsonTap(
  source: ReadableStream<Uint8Array>,
  options: TapOptions,
): ReadableStream<Uint8Array> {
  return tap(source, jsonReading(options), options.onEnd);
}
