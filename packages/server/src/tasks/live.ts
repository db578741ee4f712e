/**
 * @module tasks/live
 * The live hub: one object for what viewers on this server hear live, composed of a task's stream
 * (tasks/live-streams.ts: stored events once committed, replayed then followed), the answers
 * agents are writing (tasks/live-drafts.ts) and the board followers (tasks/live-board.ts). It
 * hears all three through the database's notification channel (tasks/live-channel.ts), so a run
 * executed by any server sharing the database reaches viewers on every one of them.
 *
 * Runs reporting to this server (its own runner, remote runners' API calls) publish here directly:
 * draft pieces reach viewers in memory, with no database round trip (on PostgreSQL they also go to
 * the other servers through the outbox, tasks/live-outbox.ts, and this server ignores them when
 * they come back), and stored events are announced here as soon as they are committed. That a
 * runner holds the run is checked once per answer, not per piece.
 */
import type { TaskEvent } from '@lucid/contracts';
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/client.ts';
import { LIVE_CHANNEL, parseNote, type AppendedNote } from './live-channel.ts';
import { BoardFollowers, type BoardListener } from './live-board.ts';
import { DraftBook, withinCap } from './live-drafts.ts';
import { DraftOutbox } from './live-outbox.ts';
import { TaskStreams, type LiveListener, type Snapshot } from './live-streams.ts';

export type { BoardListener } from './live-board.ts';
export type { LiveListener } from './live-streams.ts';

export interface LiveHubOptions {
  /** Told of failures to read new events (the next notification retries). */
  onError?: (error: unknown) => void;
}

/** The live hub of this server: task streams, drafts and board followers on one channel. */
export class LiveHub {
  private readonly drafts: DraftBook;
  private readonly streams: TaskStreams;
  private readonly boards = new BoardFollowers();
  /** This server, in the draft notifications it sends. */
  private readonly origin = randomUUID();
  /** Draft pieces for the other servers; only when there can be others (PostgreSQL). */
  private readonly outbox: DraftOutbox | null;
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly database: Database,
    options: LiveHubOptions = {},
  ) {
    const onError = (error: unknown): void => options.onError?.(error);
    this.drafts = new DraftBook(database.db);
    this.streams = new TaskStreams(database.db, this.drafts, onError);
    this.outbox =
      database.kind === 'postgres' ? new DraftOutbox(database.db, this.origin, onError) : null;
  }

  /** Starts listening to the database's channel. */
  async start(): Promise<void> {
    this.unlisten = await this.database.listen(
      LIVE_CHANNEL,
      (payload) => this.receive(payload),
      () => this.streams.resync(),
    );
  }

  async stop(): Promise<void> {
    await this.outbox?.flush();
    await this.unlisten?.();
    this.unlisten = null;
  }

  /**
   * Publishes a piece of a running answer, when `runnerId` holds the run (throws `run_not_found`
   * otherwise): to this server's viewers at once, to other servers within a few milliseconds.
   *
   * @example
   * await hub.sendDraft({ runnerId, runId, offset: 0, text: 'Looking at the tests' });
   */
  async sendDraft({
    runnerId,
    runId,
    offset,
    text,
  }: {
    runnerId: string;
    runId: string;
    offset: number;
    text: string;
  }): Promise<void> {
    if (!text) return;
    const taskId = await this.drafts.taskHeldBy({ runnerId, runId });
    const note = withinCap({ k: 'd', t: taskId, r: runId, o: offset, x: text });
    if (!note) return;
    this.streams.draft(note);
    this.outbox?.add(note);
  }

  /**
   * Announces events a run reporting to this server just stored, before the notification their
   * transaction sent arrives: the run's next draft pieces, published here directly, then follow
   * them. Given the stored `events` themselves, a followed task that has published every event
   * before them publishes these as they are, with no read back. Given the `holder` that stored
   * them (its backend checked it holds the run), the run's next pieces need no check of their own
   * while the run goes on.
   */
  appended(
    note: AppendedNote,
    events?: readonly TaskEvent[],
    holder?: { runnerId: string; runId: string },
  ): void {
    // After the draft these events end is ended (which forgets its holder).
    this.streams.appended(note, events, () => {
      if (holder && !note.f) this.drafts.hold({ ...holder, taskId: note.t });
    });
  }

  /**
   * Notes that `runnerId` holds the run of `taskId` (its backend has just checked, claiming the
   * run or storing its events): the run's pieces need no check of their own until its draft ends.
   */
  hold(holder: { runId: string; runnerId: string; taskId: string }): void {
    this.drafts.hold(holder);
  }

  /** Forgets that a runner holds the run (it is ending): its next piece is checked again. */
  release(runId: string): void {
    this.drafts.release(runId);
  }

  /**
   * Sends the draft pieces still gathering to the other servers. Call it before storing a run's
   * events, so other servers hear its pieces before the events that end them.
   */
  async flushDrafts(): Promise<void> {
    await this.outbox?.flush();
  }

  /**
   * A task's whole story to `listener`, then live ({@link TaskStreams.follow}).
   *
   * @example
   * const follower = await hub.follow({ taskId, after: 0, listener: (m) => write(m) });
   * request.raw.on('close', () => follower.close());
   */
  follow(input: {
    taskId: string;
    after: number;
    listener: LiveListener;
  }): Promise<{ close(): void }> {
    return this.streams.follow(input);
  }

  /** A listener on a task's messages from now on ({@link TaskStreams.subscribe}). */
  subscribe(
    taskId: string,
    listener: LiveListener,
  ): Promise<{ snapshot: Snapshot; close(): void }> {
    return this.streams.subscribe(taskId, listener);
  }

  /**
   * Calls `listener` each time a task of the repository is created, changes status or is deleted,
   * and each time one of its branches moves, on any server.
   *
   * @example
   * const follower = hub.followBoard(repoId, (change) => send(change));
   */
  followBoard(repoId: string, listener: BoardListener): { close(): void } {
    return this.boards.follow(repoId, listener);
  }

  /** The text so far of a run's answer under way on a task, if any. */
  draftOf(taskId: string, runId: string): string | undefined {
    return this.drafts.textOf(taskId, runId);
  }

  private receive(payload: string): void {
    const note = parseNote(payload);
    if (!note) return;
    if (note.k === 'd') {
      const piece = note.i === this.origin ? null : withinCap(note);
      if (piece) this.streams.draft(piece);
    } else if (note.k === 'b' || note.k === 'r') {
      this.boards.tell(note);
    } else {
      this.streams.appended(note, undefined, () => undefined);
    }
  }
}
