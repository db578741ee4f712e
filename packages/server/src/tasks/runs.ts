/**
 * @module tasks/runs
 * A task's runs as the task's own use cases see them: a run queued (a first run, a follow-up, a
 * start, a retry, a new attempt after an interrupt) and a run asked to stop. Every new run of a
 * user's (not a new attempt after an interrupt) is checked against the workspace's monthly model
 * budget here, before anything is stored. Queueing emits
 * `run.queued` once committed (tasks/domain-events.ts); the task moves through the transition
 * table (tasks/lifecycle.ts), in the lock order of every transition (task row, then run row).
 * Claims, leases, ends and recovery are the control plane's (control/queue.ts).
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { EventBody, RunStatus } from '@lucid/contracts';
import type { WorkspaceQuotaDefaults } from '../config.ts';
import type { Db } from '../db/client.ts';
import { runs, type tasks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Principal } from '../principal.ts';
import { assertBudgetLeft } from '../workspaces/quotas.ts';
import { emitAfterCommit } from './domain-events.ts';
import { appendEvents } from './events.ts';
import {
  applyTransition,
  assertTransition,
  lockTask,
  RUN_TRANSITIONS,
  type TaskAction,
  type TransitionDetails,
} from './lifecycle.ts';

export type RunRow = typeof runs.$inferSelect;
export type TaskRow = typeof tasks.$inferSelect;

/**
 * Queues a run of a task and moves the task by `action` (`queue` unless told: `start`, `retry`),
 * refused with `invalid_transition` where the table does not allow it; `run.queued` follows the
 * commit. With an `actor`, the move is audited with the run's id. Every run a user starts (the
 * first, a re-run, a follow-up, a start, a retry) comes through here: with the workspace's monthly
 * model budget spent it is refused with 429 `quota_exceeded` and `Retry-After`, and nothing is
 * queued (a caller's transaction rolls back with it).
 *
 * @example
 * const run = await enqueueRun(db, { taskId, spec, quotas: config.workspaceQuotas });
 */
export async function enqueueRun(
  db: Db,
  {
    taskId,
    spec,
    quotas,
    attempt = 1,
    action = 'queue',
    actor,
  }: {
    taskId: string;
    spec: RunRow['spec'];
    /** The server's default workspace quotas (`config.workspaceQuotas`). */
    quotas: WorkspaceQuotaDefaults;
    attempt?: number;
    action?: Extract<TaskAction, 'queue' | 'start' | 'retry'>;
    actor?: Principal | undefined;
  },
): Promise<RunRow> {
  return db.transaction(async (tx) => {
    const task = await lockTask(tx, taskId);
    await assertBudgetLeft(tx, task.workspaceId, quotas);
    return queueRunIn(tx, task, { spec, attempt, action, actor });
  });
}

/** {@link enqueueRun} on a task already locked by `lockTask` in `tx`, for a caller that does more in it. */
export async function queueRunIn(
  tx: Db,
  task: TaskRow,
  {
    spec,
    attempt,
    action,
    actor,
    set,
    bodies,
  }: {
    spec: RunRow['spec'];
    attempt: number;
    action: TaskAction;
    actor?: Principal | undefined;
    /** Columns written with the task's move (see `TransitionDetails`). */
    set?: TransitionDetails['set'];
    /** Events stored before its `task.status` one. */
    bodies?: EventBody[] | undefined;
  },
): Promise<RunRow> {
  assertTransition(task, action);
  const [run] = await tx
    .insert(runs)
    .values({ id: newId('run'), taskId: task.id, spec, attempt })
    .returning();
  if (!run) throw new AppError('internal', 'The run was not stored.');
  await applyTransition(tx, task, {
    action,
    runId: run.id,
    actor,
    set,
    bodies,
    audit: { metadata: { runId: run.id } },
  });
  emitAfterCommit(tx, { type: 'run.queued', runId: run.id, taskId: task.id });
  return run;
}

/**
 * Asks for the run of a task locked by `lockTask` in `tx` (and checked for `cancel`) to stop: a
 * queued run is cancelled at once and its task with it (the move audited for `actor`); a running
 * one is flagged, its runner stops it at its next heartbeat and the task ends `cancelled` then.
 * Answers the run, and whether the task moved now.
 */
export async function requestCancel(
  tx: Db,
  { task, runId, actor }: { task: TaskRow; runId: string; actor?: Principal | undefined },
): Promise<{ run: RunRow; moved: boolean }> {
  const [queued] = await tx
    .update(runs)
    .set({ status: RUN_TRANSITIONS.cancel.to, finishedAt: new Date(), cancelRequested: true })
    .where(and(eq(runs.id, runId), eq(runs.status, 'queued')))
    .returning();
  if (queued) {
    await setRunStatus(tx, {
      run: queued,
      status: 'cancelled',
      reason: 'cancelled before it started',
    });
    await applyTransition(tx, task, {
      action: 'cancel',
      runId,
      actor,
      audit: { metadata: { runId } },
    });
    emitAfterCommit(tx, { type: 'run.cancelled', runId, taskId: queued.taskId });
    return { run: queued, moved: true };
  }
  const [run] = await tx
    .update(runs)
    .set({ cancelRequested: true })
    .where(and(eq(runs.id, runId), inArray(runs.status, RUN_TRANSITIONS.cancel.from)))
    .returning();
  if (!run) throw new AppError('run_not_found', 'This run has already ended.');
  return { run, moved: false };
}

/** Stores a `run.status` event for a run that moved, with why. */
export async function setRunStatus(
  db: Db,
  { run, status, reason }: { run: RunRow; status: RunStatus; reason?: string },
): Promise<void> {
  const event: EventBody = { type: 'run.status', status, ...(reason ? { reason } : {}) };
  await appendEvents(db, { taskId: run.taskId, runId: run.id, events: [event] });
}
