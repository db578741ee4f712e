/**
 * @module tasks/live-drafts
 * The answers agents are writing (drafts), as this server knows them: the text so far of every
 * running answer per task, built from `message.delta` pieces, so a viewer connecting mid-answer
 * gets it. A piece at offset 0 starts an answer, a piece at the draft's length continues it; any
 * other does not fit and is dropped. A draft stops growing at `DRAFT_MAX_CHARS`; the stored answer
 * ends it. Also remembers which runner holds a run, checked once per answer rather than per piece.
 */
import { DRAFT_MAX_CHARS, type LiveMessage } from '@lucid/contracts';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { runs as runRows } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { DraftNote } from './live-channel.ts';

/** A run's answer under way. */
export interface Draft {
  runId: string;
  text: string;
}

/** The drafts of this server's tasks, and the runners holding their runs. */
export class DraftBook {
  /** taskId → runId → the answer's text so far. */
  private readonly drafts = new Map<string, Map<string, string>>();
  /**
   * runId → the seq of the last event that ended its draft: an end heard again (this server's own
   * announcement, then the notification) must not end the answer that started in between.
   */
  private readonly ended = new Map<string, number>();
  /** runId → the runner holding it and its task, as checked at the answer's first piece. */
  private readonly holders = new Map<string, { runnerId: string; taskId: string }>();

  constructor(private readonly db: Db) {}

  /**
   * The task of a run `runnerId` holds, checked in the database at an answer's first piece and
   * remembered until its draft ends; `run_not_found` when the runner does not hold it.
   *
   * @example
   * const taskId = await book.taskHeldBy({ runnerId, runId });
   */
  async taskHeldBy({ runnerId, runId }: { runnerId: string; runId: string }): Promise<string> {
    const holder = this.holders.get(runId);
    if (holder?.runnerId === runnerId) return holder.taskId;
    const [run] = await this.db
      .select({ taskId: runRows.taskId })
      .from(runRows)
      .where(
        and(eq(runRows.id, runId), eq(runRows.runnerId, runnerId), eq(runRows.status, 'running')),
      );
    if (!run) throw new AppError('run_not_found', 'This runner does not hold that run (any more).');
    this.holders.set(runId, { runnerId, taskId: run.taskId });
    return run.taskId;
  }

  /** Notes that `runnerId` holds the run of `taskId`, until the run's draft ends. */
  hold({ runId, runnerId, taskId }: { runId: string; runnerId: string; taskId: string }): void {
    this.holders.set(runId, { runnerId, taskId });
  }

  /** Forgets that a runner holds the run: its next piece is checked again. */
  release(runId: string): void {
    this.holders.delete(runId);
  }

  /** The answers under way on a task. */
  of(taskId: string): Draft[] {
    return [...(this.drafts.get(taskId) ?? [])].map(([runId, text]) => ({ runId, text }));
  }

  /** The text so far of a run's answer under way on a task, if any. */
  textOf(taskId: string, runId: string): string | undefined {
    return this.drafts.get(taskId)?.get(runId);
  }

  /**
   * Adds a piece to its run's draft: offset 0 starts a new answer (published whole, as `draft`), the
   * draft's length continues it (`delta`); any other piece does not fit this server's draft (one
   * that started before this server listened, or one after the draft was cut at its cap) and is
   * dropped (null).
   */
  apply({ t: taskId, r: runId, o: offset, x: text }: DraftNote): LiveMessage | null {
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
  end(taskId: string, runId: string, seq: number, over: boolean): void {
    if (seq <= (this.ended.get(runId) ?? 0)) return;
    this.holders.delete(runId);
    if (over) this.ended.delete(runId);
    else this.ended.set(runId, seq);
    const runs = this.drafts.get(taskId);
    if (!runs) return;
    runs.delete(runId);
    if (runs.size === 0) this.drafts.delete(taskId);
  }
}

/**
 * A draft piece as far as it lies within the draft's cap ({@link DRAFT_MAX_CHARS}), never ending
 * inside a surrogate pair; null when none of it does. A draft cut there stops growing: the
 * answer's later pieces start past its end, so they do not fit it.
 *
 * @example
 * withinCap({ k: 'd', t, r, o: DRAFT_MAX_CHARS, x: 'more' }); // null
 */
export function withinCap(note: DraftNote): DraftNote | null {
  const room = DRAFT_MAX_CHARS - note.o;
  if (room <= 0) return null;
  if (note.x.length <= room) return note;
  const end = /[\uD800-\uDBFF]/.test(note.x.charAt(room - 1)) ? room - 1 : room;
  return end > 0 ? { ...note, x: note.x.slice(0, end) } : null;
}
