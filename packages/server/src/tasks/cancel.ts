/**
 * @module tasks/cancel
 * The one cancel of a task, behind every route that stops work (`/tasks/{id}/cancel`,
 * `/tasks/{id}/stop`, `/runs/{id}/cancel`): under the task's lock, the `cancel` transition is
 * checked, the queued run is cancelled at once with its task, or the running one is asked to stop
 * at its runner's next heartbeat (the task then ends `cancelled` and keeps its sandbox, so a
 * follow-up continues where the work stopped). One audit entry, `task.cancel`, with the run's id.
 * A best-of-N task has no run of its own: its cancel is that of every attempt still working, and
 * the task ends `cancelled` at once, so the attempts that end later are never ranked or kept.
 */
import { asc, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { runs, tasks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../principal.ts';
import { applyTransition, assertTransition, lockTask, STATUS_WORDS } from './lifecycle.ts';
import { pendingRun } from './manage.ts';
import { requestCancel, type RunRow, type TaskRow } from './runs.ts';
import { loadTask } from './tasks.ts';

/**
 * Cancels a task's queued or running run; with `runId`, only when that is the run still under way.
 * For a best-of-N task, cancels the runs of its attempts still working and the task itself, and
 * answers its first attempt's run. 409 `invalid_transition` when nothing is queued or running.
 *
 * @example
 * const run = await cancelTask(db, { actor, taskId });
 */
export async function cancelTask(
  db: Db,
  { actor, taskId, runId }: { actor: Principal; taskId: string; runId?: string | undefined },
): Promise<RunRow> {
  const found = await loadTask(db, actor.userId, taskId, 'member');
  return db.transaction(async (tx) => {
    const task = await lockTask(tx, found.id);
    assertTransition(task, 'cancel');
    if (task.attemptCount !== null && runId === undefined) {
      return cancelAttempts(tx, { task, actor });
    }
    const pending = await pendingRun(tx, task.id);
    if (!pending || (runId !== undefined && pending.id !== runId)) {
      throw new AppError(
        'invalid_transition',
        runId !== undefined
          ? `This run of “${task.title}” has already ended; only a queued or running run can be cancelled.`
          : `“${task.title}” is ${STATUS_WORDS[task.status]} but has no run to cancel.`,
      );
    }
    const { run, moved } = await requestCancel(tx, { task, runId: pending.id, actor });
    if (!moved) {
      await recordAudit(tx, {
        actor,
        action: 'task.cancel',
        targetType: 'task',
        targetId: task.id,
        workspaceId: task.workspaceId,
        metadata: { runId: run.id },
      });
    }
    return run;
  });
}

/**
 * Cancels a best-of-N task locked in `tx`: each attempt's queued run is cancelled with its
 * attempt, each running one asked to stop at its runner's next heartbeat, and the task moves to
 * `cancelled` with its audit entry.
 */
async function cancelAttempts(
  tx: Db,
  { task, actor }: { task: TaskRow; actor: Principal },
): Promise<RunRow> {
  const attempts = await tx
    .select()
    .from(tasks)
    .where(eq(tasks.attemptOf, task.id))
    .orderBy(asc(tasks.attemptNumber))
    .for('update');
  const stopped: RunRow[] = [];
  for (const attempt of attempts) {
    const pending = await pendingRun(tx, attempt.id);
    if (!pending) continue;
    stopped.push((await requestCancel(tx, { task: attempt, runId: pending.id })).run);
  }
  await applyTransition(tx, task, {
    action: 'cancel',
    reason:
      stopped.length > 0
        ? `Cancelled with its ${stopped.length === 1 ? 'attempt' : `${stopped.length} attempts`} still working.`
        : 'Cancelled before its attempts were ranked.',
    actor,
    audit: { metadata: { runIds: stopped.map((run) => run.id) } },
  });
  const [first] = stopped;
  if (first) return first;
  const [last] = await tx
    .select()
    .from(runs)
    .innerJoin(tasks, eq(runs.taskId, tasks.id))
    .where(eq(tasks.attemptOf, task.id))
    .orderBy(asc(tasks.attemptNumber), desc(runs.createdAt))
    .limit(1);
  if (!last) {
    throw new AppError('invalid_transition', `“${task.title}” has no attempt to cancel.`);
  }
  return last.runs;
}

/**
 * Cancels a run by its id: the cancel of its task ({@link cancelTask}). A run the user may not
 * change is not found.
 *
 * @example
 * const run = await cancelRun(db, { actor, runId });
 */
export async function cancelRun(
  db: Db,
  { actor, runId }: { actor: Principal; runId: string },
): Promise<RunRow> {
  const [run] = await db.select({ taskId: runs.taskId }).from(runs).where(eq(runs.id, runId));
  if (!run) throw new AppError('run_not_found', 'This run does not exist.');
  await loadTask(db, actor.userId, run.taskId, 'member').catch(() => {
    throw new AppError('run_not_found', 'This run does not exist.');
  });
  return cancelTask(db, { actor, taskId: run.taskId, runId });
}
