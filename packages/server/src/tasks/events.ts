/**
 * @module tasks/events
 * A task's event log: append with the task's next sequence numbers, read back in order.
 * The task row's `last_seq` is the counter; bumping it locks the row, so concurrent appends to
 * one task are serialised and numbers never repeat or skip. The transaction notifies the live
 * channel (tasks/live-channel.ts), so every server hears of the events once they are committed, and
 * of a change of the task's status on its repository's board.
 */
import { isDeepStrictEqual } from 'node:util';
import { and, asc, desc, eq, gt, lte, sql } from 'drizzle-orm';
import type { EventBody, TaskEvent } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { events, tasks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { notifyAppended, notifyBoard } from './live-channel.ts';

/**
 * Appends events to a task's log, in order, and returns them as stored. With `retried` (a run's
 * append sent again because its first answer never came: its server may have stored it, then
 * died), a batch the run's newest stored events already equal is not stored again (and none are
 * returned).
 *
 * @example
 * await appendEvents(db, { taskId, runId, events: [{ type: 'task.status', status: 'running' }] });
 */
export async function appendEvents(
  db: Db,
  {
    taskId,
    runId,
    events: bodies,
    retried = false,
  }: { taskId: string; runId: string | null; events: EventBody[]; retried?: boolean },
): Promise<TaskEvent[]> {
  if (bodies.length === 0) return [];
  return db.transaction(async (tx) => {
    if (retried && runId) {
      // The task's row locked first, as an append locks it: a first attempt still committing is waited for.
      await tx.select({ id: tasks.id }).from(tasks).where(eq(tasks.id, taskId)).for('update');
      const newest = await tx
        .select()
        .from(events)
        .where(and(eq(events.taskId, taskId), eq(events.runId, runId)))
        .orderBy(desc(events.seq))
        .limit(bodies.length);
      const stored = newest.reverse();
      if (stored.length === bodies.length && stored.every((row, i) => sameEvent(row, bodies[i]!))) {
        return [];
      }
    }
    const [bumped] = await tx
      .update(tasks)
      .set({ lastSeq: sql`${tasks.lastSeq} + ${bodies.length}`, updatedAt: new Date() })
      .where(eq(tasks.id, taskId))
      .returning({ lastSeq: tasks.lastSeq, repoId: tasks.repoId });
    if (!bumped) throw new AppError('not_found', 'This task no longer exists.');
    const first = bumped.lastSeq - bodies.length + 1;
    const rows = await tx
      .insert(events)
      .values(
        bodies.map(({ type, ...payload }, i) => ({
          taskId,
          runId,
          seq: first + i,
          type,
          payload,
        })),
      )
      .returning();
    await notifyAppended(tx, {
      taskId,
      lastSeq: bumped.lastSeq,
      runId,
      bodies,
    });
    const status = bodies.findLast((body) => body.type === 'task.status');
    if (status) await notifyBoard(tx, { repoId: bumped.repoId, taskId, status: status.status });
    return rows.map(toTaskEvent);
  });
}

/** Events after `after` (exclusive) and up to `upTo` (inclusive, when given), oldest first. */
export async function listEvents(
  db: Db,
  {
    taskId,
    after = 0,
    upTo,
    limit = 1000,
  }: { taskId: string; after?: number; upTo?: number; limit?: number },
): Promise<TaskEvent[]> {
  const rows = await db
    .select()
    .from(events)
    .where(
      and(
        eq(events.taskId, taskId),
        gt(events.seq, after),
        upTo === undefined ? undefined : lte(events.seq, upTo),
      ),
    )
    .orderBy(asc(events.seq))
    .limit(limit);
  return rows.map(toTaskEvent);
}

/** Whether a stored row holds this body (as its JSON, which is how it was stored). */
function sameEvent(row: typeof events.$inferSelect, body: EventBody): boolean {
  const { type, ...payload } = JSON.parse(JSON.stringify(body)) as EventBody;
  return row.type === type && isDeepStrictEqual(row.payload, payload);
}

function toTaskEvent(row: typeof events.$inferSelect): TaskEvent {
  return {
    ...(row.payload as object),
    type: row.type,
    taskId: row.taskId,
    seq: row.seq,
    runId: row.runId,
    at: row.at.toISOString(),
  } as TaskEvent;
}

/** The task's last sequence number (0 before its first event). */
export async function lastSeqOf(db: Db, taskId: string): Promise<number> {
  const [row] = await db.select({ lastSeq: tasks.lastSeq }).from(tasks).where(eq(tasks.id, taskId));
  return row?.lastSeq ?? 0;
}
