/**
 * @module runner/event-sink
 * Sends a run's events to the backend in order, coalescing command output: chunks of one stream
 * are joined until a short delay passes or enough has gathered, so a chatty command costs a few
 * writes a second rather than one per line.
 *
 * Streamed model text (`message.delta`) is not stored: it goes to the backend as draft pieces at
 * once, with its offset in the answer, joined only while the previous send is still under way.
 * The answer's stored `message.assistant` follows its pieces, and the next answer starts at offset 0.
 */
import type { EventBody } from '@lucid/contracts';
import type { RunnerBackend } from './backend.ts';

const FLUSH_DELAY_MS = 50;
const FLUSH_BYTES = 16 * 1024;

export class EventSink {
  private pending: EventBody[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  /** Length of the answer being written, as sent and queued. */
  private draftLength = 0;
  /** A draft piece queued behind a send, that later text joins. */
  private draftQueued: { offset: number; text: string } | null = null;

  constructor(
    private readonly backend: RunnerBackend,
    private readonly runId: string,
  ) {}

  /** Queues an event; output chunks next to each other on one stream are merged. */
  push(event: EventBody): void {
    if (event.type === 'message.delta') {
      this.draft(event.text);
      return;
    }
    if (event.type === 'message.assistant') {
      this.draftLength = 0;
      this.draftQueued = null;
    }
    const last = this.pending.at(-1);
    const streamed = event.type === 'tool.output';
    if (
      event.type === 'tool.output' &&
      last?.type === 'tool.output' &&
      last.stream === event.stream
    ) {
      last.chunk += event.chunk;
    } else {
      this.pending.push(streamed ? { ...event } : event);
    }
    this.pendingBytes += event.type === 'tool.output' ? event.chunk.length : 256;
    // A failure is kept for the next flush the run awaits; unawaited, it must not go unhandled.
    if (!streamed || this.pendingBytes >= FLUSH_BYTES) {
      this.flush().catch(() => {});
    } else {
      this.timer ??= setTimeout(() => this.flush().catch(() => {}), FLUSH_DELAY_MS);
    }
  }

  /** Sends a piece of the answer under way; best effort, a lost piece costs only the live view. */
  private draft(text: string): void {
    if (!text) return;
    const offset = this.draftLength;
    this.draftLength += text.length;
    if (this.draftQueued) {
      this.draftQueued.text += text;
      return;
    }
    const piece = { offset, text };
    this.draftQueued = piece;
    this.chain = this.chain.then(() => {
      if (this.draftQueued === piece) this.draftQueued = null;
      return this.backend.draft(this.runId, piece.offset, piece.text).catch(() => {});
    });
  }

  /** Sends what is queued; resolves when everything pushed so far is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (batch.length > 0) {
      this.chain = this.chain.then(() =>
        this.backend.append(this.runId, batch).catch((error: unknown) => {
          this.failure ??= error;
        }),
      );
    }
    return this.chain.then(() => {
      if (this.failure) throw this.failure;
    });
  }
}
