/**
 * @module tasks/live
 * The live hub: publishes every stored event once committed, and the answers agents are writing
 * (drafts), to the subscribers of its task on this server. It hears both through the database's
 * notification channel (tasks/live-channel.ts), so a run executed by any server sharing the
 * database reaches viewers on every one of them.
 *
 * Runs reporting to this server (its own runner, remote runners' API calls) publish here directly:
 * draft pieces reach viewers in memory, with no database round trip (on PostgreSQL they also go to
 * the other servers through the outbox, tasks/live-outbox.ts, and this server ignores them when
 * they come back), and stored events are announced here as soon as they are committed. That a
 * runner holds the run is checked once per answer, not per piece.
 *
 * Each server keeps the text so far of every running answer (drafts, in memory, from the channel),
 * so a viewer connecting mid-answer gets it; a draft stops growing at `DRAFT_MAX_CHARS`, and the
 * stored answer ends it as any other. For a task with subscribers the hub reads the new
 * events after each notification and keeps one ordered queue per task, so events and draft pieces
 * reach subscribers in the order they were committed and sent.
 *
 * Board viewers (`followBoard`) hear of each task of their repository that is created, changes
 * status or is deleted, and of each move of its branches, from the same channel's board and refs
 * notes.
 *
 * `follow` gives a viewer a task's whole story with no gap and no duplicate: it subscribes first,
 * replays the stored events up to where the hub stands, then the drafts as they stood at that
 * moment, then everything that came meanwhile, then live.
 */
import {
  DRAFT_MAX_CHARS,
  type LiveMessage,
  type TaskEvent,
  type TaskStatus,
} from '@lucid/contracts';
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Database, Db } from '../db/client.ts';
import { runs as runRows } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { lastSeqOf, listEvents } from './events.ts';
import {
  endsDraft,
  LIVE_CHANNEL,
  parseNote,
  type AppendedNote,
  type DraftNote,
} from './live-channel.ts';
import { DraftOutbox } from './live-outbox.ts';

export type LiveListener = (message: LiveMessage) => void;

/**
 * Told that a task of a followed repository changed (status null: it was deleted), or that one of
 * its branches moved (`refs`).
 */
export type BoardListener = (
  change: { kind: 'task'; taskId: string; status: TaskStatus | null } | { kind: 'refs' },
) => void;

/** What a subscriber gets at once: where the hub stood, and the answers under way then. */
interface Snapshot {
  seq: number;
  drafts: { runId: string; text: string }[];
}

/** One task followed on this server: its published seq, listeners, and ordered work queue. */
interface TaskChannel {
  seq: number;
  listeners: Set<LiveListener>;
  queue: Promise<void>;
  /** Queued steps not yet done: a draft piece is handled at once only when none waits. */
  waiting: number;
}

export interface LiveHubOptions {
  /** Told of failures to read new events (the next notification retries). */
  onError?: (error: unknown) => void;
}

export class LiveHub {
  private readonly db: Db;
  /** taskId → runId → the answer's text so far. */
  private readonly drafts = new Map<string, Map<string, string>>();
  private readonly channels = new Map<string, TaskChannel>();
  /**
   * runId → the seq of the last event that ended its draft: an end heard again (this server's own
   * announcement, then the notification) must not end the answer that started in between.
   */
  private readonly ended = new Map<string, number>();
  /** runId → the runner holding it and its task, as checked at the answer's first piece. */
  private readonly holders = new Map<string, { runnerId: string; taskId: string }>();
  /** This server, in the draft notifications it sends. */
  private readonly origin = randomUUID();
  /** Draft pieces for the other servers; only when there can be others (PostgreSQL). */
  private readonly outbox: DraftOutbox | null;
  private unlisten: (() => Promise<void>) | null = null;
  /** Board viewers on this server, per repository. */
  private readonly boards = new Map<string, Set<BoardListener>>();

  constructor(
    private readonly database: Database,
    private readonly options: LiveHubOptions = {},
  ) {
    this.db = database.db;
    this.outbox =
      database.kind === 'postgres'
        ? new DraftOutbox(this.db, this.origin, (error) => this.options.onError?.(error))
        : null;
  }

  /** Starts listening to the database's channel. */
  async start(): Promise<void> {
    this.unlisten = await this.database.listen(
      LIVE_CHANNEL,
      (payload) => this.receive(payload),
      () => this.resync(),
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
    let holder = this.holders.get(runId);
    if (holder?.runnerId !== runnerId) {
      const [run] = await this.db
        .select({ taskId: runRows.taskId })
        .from(runRows)
        .where(
          and(eq(runRows.id, runId), eq(runRows.runnerId, runnerId), eq(runRows.status, 'running')),
        );
      if (!run)
        throw new AppError('run_not_found', 'This runner does not hold that run (any more).');
      holder = { runnerId, taskId: run.taskId };
      this.holders.set(runId, holder);
    }
    const note = withinCap({ k: 'd', t: holder.taskId, r: runId, o: offset, x: text });
    if (!note) return;
    this.handleDraft(note);
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
    this.handleAppended(note, events, holder);
  }

  /**
   * Notes that `runnerId` holds the run of `taskId` (its backend has just checked, claiming the
   * run or storing its events): the run's pieces need no check of their own until its draft ends.
   */
  hold({ runId, runnerId, taskId }: { runId: string; runnerId: string; taskId: string }): void {
    this.holders.set(runId, { runnerId, taskId });
  }

  /** Forgets that a runner holds the run (it is ending): its next piece is checked again. */
  release(runId: string): void {
    this.holders.delete(runId);
  }

  /**
   * Sends the draft pieces still gathering to the other servers. Call it before storing a run's
   * events, so other servers hear its pieces before the events that end them.
   */
  async flushDrafts(): Promise<void> {
    await this.outbox?.flush();
  }

  /**
   * Sends a task's messages to `listener`: events stored after `after`, then the drafts under way,
   * then whatever comes, each once and in order. Resolves once the replay is sent; `close` stops.
   *
   * @example
   * const follower = await hub.follow({ taskId, after: 0, listener: (m) => write(m) });
   * request.raw.on('close', () => follower.close());
   */
  async follow({
    taskId,
    after,
    listener,
  }: {
    taskId: string;
    after: number;
    listener: LiveListener;
  }): Promise<{ close(): void }> {
    let buffer: LiveMessage[] | null = [];
    let sent = after;
    let closed = false;
    const deliver = (message: LiveMessage): void => {
      if (closed) return;
      if (message.kind === 'event') {
        if (message.event.seq <= sent) return;
        sent = message.event.seq;
      }
      listener(message);
    };
    const { snapshot, close } = await this.subscribe(taskId, (message) => {
      if (buffer) buffer.push(message);
      else deliver(message);
    });
    const stop = (): void => {
      closed = true;
      close();
    };
    try {
      while (sent < snapshot.seq && !closed) {
        const page = await listEvents(this.db, { taskId, after: sent, upTo: snapshot.seq });
        if (page.length === 0) break;
        for (const event of page) deliver({ kind: 'event', event });
      }
      for (const draft of snapshot.drafts) deliver({ kind: 'draft', ...draft });
      const pending: LiveMessage[] = buffer;
      buffer = null;
      for (const message of pending) deliver(message);
    } catch (error) {
      stop();
      throw error;
    }
    return { close: stop };
  }

  /**
   * Adds a listener to a task's messages; the snapshot says where the hub stood when the listener
   * was added: it gets events after `snapshot.seq`, and draft pieces after the snapshot's drafts.
   */
  async subscribe(
    taskId: string,
    listener: LiveListener,
  ): Promise<{ snapshot: Snapshot; close(): void }> {
    let channel = this.channels.get(taskId);
    if (!channel) {
      const fresh: TaskChannel = {
        seq: 0,
        listeners: new Set(),
        queue: Promise.resolve(),
        waiting: 0,
      };
      this.channels.set(taskId, fresh);
      this.enqueue(fresh, async () => {
        fresh.seq = await lastSeqOf(this.db, taskId);
      });
      channel = fresh;
    }
    const joined = channel;
    const snapshot = await new Promise<Snapshot>((resolve) =>
      this.enqueue(joined, async () => {
        joined.listeners.add(listener);
        resolve({
          seq: joined.seq,
          drafts: [...(this.drafts.get(taskId) ?? [])].map(([runId, text]) => ({ runId, text })),
        });
      }),
    );
    return {
      snapshot,
      close: () => {
        joined.listeners.delete(listener);
        if (joined.listeners.size === 0 && this.channels.get(taskId) === joined) {
          this.channels.delete(taskId);
        }
      },
    };
  }

  /** The text so far of a run's answer under way on a task, if any. */
  /**
   * Calls `listener` each time a task of the repository is created, changes status or is deleted,
   * and each time one of its branches moves, on any server (from the channel's board and refs
   * notes).
   *
   * @example
   * const follower = hub.followBoard(repoId, (change) => send(change));
   */
  followBoard(repoId: string, listener: BoardListener): { close(): void } {
    let listeners = this.boards.get(repoId);
    if (!listeners) {
      listeners = new Set();
      this.boards.set(repoId, listeners);
    }
    const joined = listeners;
    joined.add(listener);
    return {
      close: () => {
        joined.delete(listener);
        if (joined.size === 0 && this.boards.get(repoId) === joined) this.boards.delete(repoId);
      },
    };
  }

  draftOf(taskId: string, runId: string): string | undefined {
    return this.drafts.get(taskId)?.get(runId);
  }

  private receive(payload: string): void {
    const note = parseNote(payload);
    if (!note) return;
    if (note.k === 'd') {
      const piece = note.i === this.origin ? null : withinCap(note);
      if (piece) this.handleDraft(piece);
    } else if (note.k === 'b') {
      for (const listener of this.boards.get(note.r) ?? []) {
        listener({ kind: 'task', taskId: note.t, status: note.s });
      }
    } else if (note.k === 'r') {
      for (const listener of this.boards.get(note.r) ?? []) listener({ kind: 'refs' });
    } else {
      this.handleAppended(note);
    }
  }

  private handleDraft(note: DraftNote): void {
    const channel = this.channels.get(note.t);
    if (!channel) {
      this.applyDraft(note);
    } else if (channel.waiting === 0) {
      this.publishDraft(channel, note);
    } else {
      this.enqueue(channel, async () => this.publishDraft(channel, note));
    }
  }

  private handleAppended(
    note: AppendedNote,
    events?: readonly TaskEvent[],
    holder?: { runnerId: string; runId: string },
  ): void {
    // After the draft these events end is ended (which forgets its holder).
    const hold = (): void => {
      if (holder && !note.f) this.hold({ ...holder, taskId: note.t });
    };
    const channel = this.channels.get(note.t);
    if (!channel) {
      if (note.e) this.endDraft(note.t, note.e, note.s, note.f === true);
      hold();
      return;
    }
    this.enqueue(channel, async () => {
      // Heard already (this server announced it, or an earlier read went past it): nothing to read.
      if (note.s <= channel.seq) return hold();
      if (events?.[0]?.seq === channel.seq + 1 && events.at(-1)?.seq === note.s) {
        for (const event of events) this.publishEvent(note.t, channel, event);
      } else {
        await this.readNew(note.t, channel);
      }
      hold();
    });
  }

  /** After notifications may have been missed: every followed task reads what it lacks. */
  private resync(): void {
    for (const [taskId, channel] of this.channels) {
      this.enqueue(channel, () => this.readNew(taskId, channel));
    }
  }

  private async readNew(taskId: string, channel: TaskChannel): Promise<void> {
    for (;;) {
      const page = await listEvents(this.db, { taskId, after: channel.seq });
      for (const event of page) this.publishEvent(taskId, channel, event);
      if (page.length < 1000) return;
    }
  }

  private publishEvent(taskId: string, channel: TaskChannel, event: TaskEvent): void {
    channel.seq = event.seq;
    if (event.runId && endsDraft(event)) {
      const over = event.type === 'run.status' && event.status !== 'running';
      this.endDraft(taskId, event.runId, event.seq, over);
    }
    const message: LiveMessage = { kind: 'event', event };
    for (const listener of channel.listeners) listener(message);
  }

  private publishDraft(channel: TaskChannel, note: DraftNote): void {
    const message = this.applyDraft(note);
    if (!message) return;
    for (const listener of channel.listeners) listener(message);
  }

  /**
   * Adds a piece to its run's draft: offset 0 starts a new answer (published whole, as `draft`), the
   * draft's length continues it (`delta`); any other piece does not fit this server's draft (one
   * that started before this server listened, or one after the draft was cut at its cap) and is
   * dropped.
   */
  private applyDraft({ t: taskId, r: runId, o: offset, x: text }: DraftNote): LiveMessage | null {
    let runs = this.drafts.get(taskId);
    if (offset === 0) {
      if (!runs) this.drafts.set(taskId, (runs = new Map()));
      runs.set(runId, text);
      return { kind: 'draft', runId, text };
    }
    const current = runs?.get(runId);
    if (!runs || current === undefined || current.length !== offset) return null;
    runs.set(runId, current + text);
    return { kind: 'delta', runId, offset, text };
  }

  /**
   * Ends a run's draft at the event `seq`, unless an end at or after it was handled already;
   * `over`: the run is over, so nothing of it is kept.
   */
  private endDraft(taskId: string, runId: string, seq: number, over: boolean): void {
    if (seq <= (this.ended.get(runId) ?? 0)) return;
    this.holders.delete(runId);
    if (over) this.ended.delete(runId);
    else this.ended.set(runId, seq);
    const runs = this.drafts.get(taskId);
    if (!runs) return;
    runs.delete(runId);
    if (runs.size === 0) this.drafts.delete(taskId);
  }

  private enqueue(channel: TaskChannel, step: () => Promise<void>): void {
    channel.waiting += 1;
    channel.queue = channel.queue
      .then(step)
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => {
        channel.waiting -= 1;
      });
  }
}

/**
 * A draft piece as far as it lies within the draft's cap ({@link DRAFT_MAX_CHARS}), never ending
 * inside a surrogate pair; null when none of it does. A draft cut there stops growing: the
 * answer's later pieces start past its end, so they do not fit it.
 */
function withinCap(note: DraftNote): DraftNote | null {
  const room = DRAFT_MAX_CHARS - note.o;
  if (room <= 0) return null;
  if (note.x.length <= room) return note;
  const end = /[\uD800-\uDBFF]/.test(note.x.charAt(room - 1)) ? room - 1 : room;
  return end > 0 ? { ...note, x: note.x.slice(0, end) } : null;
}
