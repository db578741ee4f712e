/**
 * @module tasks/live-outbox
 * Carries the draft pieces this server published to the other servers sharing its PostgreSQL
 * database: pieces are gathered for a few milliseconds, joined per run when they follow each other,
 * and sent in one statement of notifications tagged with this server's id (so it ignores its own).
 * Sends never wait on the runner: a run's pieces are published here first, in memory, and the
 * outbox is flushed before the run's events are stored, so other servers hear them in order.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { LIVE_CHANNEL, draftPayloads, type DraftNote } from './live-channel.ts';

/** How long pieces gather before they are sent. */
const GATHER_MS = 5;

export class DraftOutbox {
  /** Pieces not yet sent, in order; consecutive pieces of one run are joined. */
  private pending: DraftNote[] = [];
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly origin: string,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Queues a piece; it is sent within a few milliseconds. */
  add(note: DraftNote): void {
    const last = this.pending.findLast((p) => p.r === note.r);
    if (last && last.o + last.x.length === note.o) last.x += note.x;
    else this.pending.push({ ...note });
    this.timer ??= setTimeout(() => void this.flush(), GATHER_MS);
  }

  /** Sends what is queued; resolves once everything queued so far is sent (or failed). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) {
      const payloads = batch.flatMap((note) => draftPayloads(note, this.origin));
      this.sending = this.sending.then(() =>
        this.db
          .execute(
            sql`SELECT pg_notify(${LIVE_CHANNEL}, p)
                FROM json_array_elements_text(${JSON.stringify(payloads)}::json) AS p`,
          )
          .then(
            () => undefined,
            (error: unknown) => this.onError(error),
          ),
      );
    }
    return this.sending;
  }
}
