/**
 * @module http/sse-outbox
 * Writes Server-Sent Events to many open responses cheaply: a live message is serialized once for
 * all of its viewers (frames are kept per message object), and the frames a viewer gets within one
 * turn of the event loop go out as one write, made at the end of that turn. A busy server thus
 * makes one write per viewer per turn, not one per message.
 */
import type { LiveMessage } from '@lucid/contracts';

/** The response side an outbox writes to (Node's `ServerResponse`). */
export interface SseTarget {
  write(chunk: string): boolean;
  readonly writableLength: number;
}

/** The SSE frame of a live message: its `id` (stored events: the seq) and JSON `data`. */
export function sseFrame(message: LiveMessage): string {
  const id = message.kind === 'event' ? `id: ${message.event.seq}\n` : '';
  return `${id}data: ${JSON.stringify(message)}\n\n`;
}

/** Frames of the messages sent lately, made once whatever the number of viewers. */
const frames = new WeakMap<LiveMessage, string>();

function frameOf(message: LiveMessage): string {
  let frame = frames.get(message);
  if (frame === undefined) {
    frame = sseFrame(message);
    frames.set(message, frame);
  }
  return frame;
}

/** Viewers with frames waiting, written together once the current turn's work is done. */
const waiting = new Set<{ flush(): void }>();
let scheduled = false;

function writeWaiting(): void {
  scheduled = false;
  const viewers = [...waiting];
  waiting.clear();
  for (const viewer of viewers) viewer.flush();
}

/** How an outbox viewer writes and when it gives up on a slow reader. */
export interface SseViewerOptions<T> {
  maxBehindBytes: number;
  onBehind: () => void;
  /** A message's frame; by default a live message's, made once for all viewers. */
  frame?: (message: T) => string;
}

/**
 * One viewer's stream. `send` queues a message; the frames queued in a turn are written at its
 * end, in order. `onBehind` is called when the response holds more than `maxBehindBytes` unsent.
 *
 * @example
 * const viewer = new SseViewer(reply.raw, { maxBehindBytes: 8 << 20, onBehind: end });
 * hub.follow({ taskId, after, listener: (message) => viewer.send(message) });
 */
export class SseViewer<T extends object = LiveMessage> {
  private queued = '';
  private closed = false;
  private readonly frame: (message: T) => string;

  constructor(
    private readonly target: SseTarget,
    private readonly options: SseViewerOptions<T>,
  ) {
    this.frame = options.frame ?? (frameOf as unknown as (message: T) => string);
  }

  send(message: T): void {
    if (this.closed) return;
    this.queued += this.frame(message);
    waiting.add(this);
    if (!scheduled) {
      scheduled = true;
      setImmediate(writeWaiting);
    }
  }

  /** Writes what is queued now. */
  flush(): void {
    if (this.closed || this.queued === '') return;
    const text = this.queued;
    this.queued = '';
    this.target.write(text);
    if (this.target.writableLength > this.options.maxBehindBytes) this.options.onBehind();
  }

  /** Drops what is queued; nothing more is written. */
  close(): void {
    this.closed = true;
    this.queued = '';
    waiting.delete(this);
  }
}
