/**
 * @module tasks/live
 * The live hub: publishes every stored event once committed, and the answers agents are writing
 * (drafts), to the subscribers of its task on this server. It hears both through the database's
 * notification channel (tasks/live-channel.ts), so a run executed by any server sharing the
 * database reaches viewers on every one of them.
 *
 * Each server keeps the text so far of every running answer (drafts, in memory, from the channel),
 * so a viewer connecting mid-answer gets it. For a task with subscribers the hub reads the new
 * events after each notification and keeps one ordered queue per task, so events and draft pieces
 * reach subscribers in the order they were committed and sent.
 *
 * `follow` gives a viewer a task's whole story with no gap and no duplicate: it subscribes first,
 * replays the stored events up to where the hub stands, then the drafts as they stood at that
 * moment, then everything that came meanwhile, then live.
 */
import type { LiveMessage, TaskEvent } from '@lucid/contracts';
import type { Database, Db } from '../db/client.ts';
import { lastSeqOf, listEvents } from './events.ts';
import { endsDraft, LIVE_CHANNEL, parseNote, type DraftNote } from './live-channel.ts';

export type LiveListener = (message: LiveMessage) => void;

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
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly database: Database,
    private readonly options: LiveHubOptions = {},
  ) {
    this.db = database.db;
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
    await this.unlisten?.();
    this.unlisten = null;
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
  draftOf(taskId: string, runId: string): string | undefined {
    return this.drafts.get(taskId)?.get(runId);
  }

  private receive(payload: string): void {
    const note = parseNote(payload);
    if (!note) return;
    const channel = this.channels.get(note.t);
    if (note.k === 'd') {
      if (!channel) {
        this.applyDraft(note);
      } else if (channel.waiting === 0) {
        this.publishDraft(channel, note);
      } else {
        this.enqueue(channel, async () => this.publishDraft(channel, note));
      }
      return;
    }
    if (!channel) {
      if (note.e) this.endDraft(note.t, note.e);
      return;
    }
    this.enqueue(channel, () => this.readNew(note.t, channel));
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
    if (event.runId && endsDraft(event)) this.endDraft(taskId, event.runId);
    for (const listener of channel.listeners) listener({ kind: 'event', event });
  }

  private publishDraft(channel: TaskChannel, note: DraftNote): void {
    const message = this.applyDraft(note);
    if (!message) return;
    for (const listener of channel.listeners) listener(message);
  }

  /**
   * Adds a piece to its run's draft: offset 0 starts a new answer (published whole, as `draft`), the
   * draft's length continues it (`delta`); any other piece does not fit this server's draft (one
   * that started before this server listened) and is dropped.
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

  private endDraft(taskId: string, runId: string): void {
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
