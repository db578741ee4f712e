/**
 * @module runner/event-sink
 * Sends a run's events to the backend in order, coalescing command output: chunks of one stream
 * are joined until a short delay passes or enough has gathered, so a chatty command costs a few
 * writes a second rather than one per line.
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
    if (
      event.type === 'tool.output' &&
      last?.type === 'tool.output' &&
      last.stream === event.stream
    ) {
      last.chunk += event.chunk;
    } else {
      this.pending.push(event.type === 'tool.output' ? { ...event } : event);
    }
    this.pendingBytes += event.type === 'tool.output' ? event.chunk.length : 256;
    if (event.type !== 'tool.output' || this.pendingBytes >= FLUSH_BYTES) {
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
