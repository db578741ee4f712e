/**
 * @module tasks/live-streams
 * The live stream of each task followed on this server: publishes every stored event once
 * committed, and the draft pieces of its answers under way, to the task's subscribers, in the
 * order they were committed and sent. For a task with subscribers it reads the new events after
 * each notification and keeps one ordered queue per task.
 *
 * `follow` gives a viewer a task's whole story with no gap and no duplicate: it subscribes first,
 * replays the stored events up to where the stream stands, then the drafts as they stood at that
 * moment, then everything that came meanwhile, then live.
 */
import type { LiveMessage, TaskEvent } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { lastSeqOf, listEvents } from './events.ts';
import { endsDraft, type AppendedNote, type DraftNote } from './live-channel.ts';
import type { Draft, DraftBook } from './live-drafts.ts';

export type LiveListener = (message: LiveMessage) => void;

/** What a subscriber gets at once: where the stream stood, and the answers under way then. */
export interface Snapshot {
  seq: number;
  drafts: Draft[];
}

/** One task followed on this server: its published seq, listeners, and ordered work queue. */
interface TaskChannel {
  seq: number;
  listeners: Set<LiveListener>;
  queue: Promise<void>;
  /** Queued steps not yet done: a draft piece is handled at once only when none waits. */
  waiting: number;
}

/** The streams of the tasks followed on this server. */
export class TaskStreams {
  private readonly channels = new Map<string, TaskChannel>();

  constructor(
    private readonly db: Db,
    private readonly drafts: DraftBook,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Sends a task's messages to `listener`: events stored after `after`, then the drafts under way,
   * then whatever comes, each once and in order. Resolves once the replay is sent; `close` stops.
   *
   * @example
   * const follower = await streams.follow({ taskId, after: 0, listener: (m) => write(m) });
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
   * Adds a listener to a task's messages; the snapshot says where the stream stood when the
   * listener was added: it gets events after `snapshot.seq`, and draft pieces after the
   * snapshot's drafts.
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
        resolve({ seq: joined.seq, drafts: this.drafts.of(taskId) });
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

  /** A draft piece (within its cap): into the book, and to the task's subscribers in order. */
  draft(note: DraftNote): void {
    const channel = this.channels.get(note.t);
    if (!channel) {
      this.drafts.apply(note);
    } else if (channel.waiting === 0) {
      this.publishDraft(channel, note);
    } else {
      this.enqueue(channel, async () => this.publishDraft(channel, note));
    }
  }

  /**
   * Events stored up to `note.s`: published to the task's subscribers (as given when they follow
   * on from what was published, else read back), ending the drafts they end; then `afterwards`.
   */
  appended(note: AppendedNote, events: readonly TaskEvent[] | undefined, afterwards: () => void) {
    const channel = this.channels.get(note.t);
    if (!channel) {
      if (note.e) this.drafts.end(note.t, note.e, note.s, note.f === true);
      afterwards();
      return;
    }
    this.enqueue(channel, async () => {
      // Heard already (this server announced it, or an earlier read went past it): nothing to read.
      if (note.s <= channel.seq) return afterwards();
      if (events?.[0]?.seq === channel.seq + 1 && events.at(-1)?.seq === note.s) {
        for (const event of events) this.publishEvent(note.t, channel, event);
      } else {
        await this.readNew(note.t, channel);
      }
      afterwards();
    });
  }

  /** After notifications may have been missed: every followed task reads what it lacks. */
  resync(): void {
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
      this.drafts.end(taskId, event.runId, event.seq, over);
    }
    const message: LiveMessage = { kind: 'event', event };
    for (const listener of channel.listeners) listener(message);
  }

  private publishDraft(channel: TaskChannel, note: DraftNote): void {
    const message = this.drafts.apply(note);
    if (!message) return;
    for (const listener of channel.listeners) listener(message);
  }

  private enqueue(channel: TaskChannel, step: () => Promise<void>): void {
    channel.waiting += 1;
    channel.queue = channel.queue
      .then(step)
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        channel.waiting -= 1;
      });
  }
}
