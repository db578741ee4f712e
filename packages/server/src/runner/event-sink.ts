/**
 * @module runner/event-sink
 * Sends a run's events to the backend in order, coalescing command output and streamed model text:
 * chunks of one stream (and text deltas) are joined until a short delay passes or enough has
 * gathered, so a chatty command or a fast model costs a few writes a second rather than one per
 * line or token.
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

  constructor(
    private readonly backend: RunnerBackend,
    private readonly runId: string,
  ) {}

  /** Queues an event; output chunks next to each other on one stream are merged. */
  push(event: EventBody): void {
    const last = this.pending.at(-1);
    const streamed = event.type === 'tool.output' || event.type === 'message.delta';
    if (
      event.type === 'tool.output' &&
      last?.type === 'tool.output' &&
      last.stream === event.stream
    ) {
      last.chunk += event.chunk;
    } else if (event.type === 'message.delta' && last?.type === 'message.delta') {
      last.text += event.text;
    } else {
      this.pending.push(streamed ? { ...event } : event);
    }
    this.pendingBytes +=
      event.type === 'tool.output'
        ? event.chunk.length
        : event.type === 'message.delta'
          ? event.text.length
          : 256;
    if (!streamed || this.pendingBytes >= FLUSH_BYTES) {
      void this.flush();
    } else {
      this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
    }
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
