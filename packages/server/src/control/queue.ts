/**
 * @module control/queue
 * The runs table is the queue. A runner claims the oldest queued run with
 * `SELECT … FOR UPDATE SKIP LOCKED` and holds it by a lease that its heartbeats renew. A run whose
 * lease expires is marked `interrupted`, its tokens revoked, and re-queued once as a new attempt; a
 * second expiry fails the task with the reason. The same statements serve one process on PGlite
 * and many servers and runners on one PostgreSQL. Ending a run emits `run.*` domain events once
 * committed (tasks/domain-events.ts). A run's statuses follow `RUN_TRANSITIONS`, its task's move
 * through the transition table (tasks/lifecycle.ts); a run is queued and asked to stop by the
 * task's own use cases (tasks/runs.ts).
 *
 * Lock order: a transaction that changes a task and its run locks the task row first
 * (`lockTask`), then the run's, as every transition does (queueing, claiming, finishing,
 * recovering, cancelling), so two of them on one task wait for each other and never deadlock.
 */
import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { RunnerPhases } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { runs, runTokens, tasks, workspaceMembers } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { traceIdOf } from '../tracing/tracing.ts';
import type { WorkspaceQuotaDefaults } from '../config.ts';
import { belowConcurrentRuns, lockWorkspaceQuota } from '../workspaces/quotas.ts';
import { emitAfterCommit } from '../tasks/domain-events.ts';
import { queueRunIn, setRunStatus, type RunRow, type TaskRow } from '../tasks/runs.ts';
import { appendEvents } from '../tasks/events.ts';
import { proposedPlan } from '../tasks/plan.ts';
import {
  applyTransition,
  assertTransition,
  lockTask,
  nextTaskStatus,
  RUN_TRANSITIONS,
  TASK_TRANSITIONS,
  type TaskAction,
  type TransitionDetails,
} from '../tasks/lifecycle.ts';

/** How many times a run is re-queued after its runner vanished, before the task fails. */
const MAX_RECOVERIES = 1;

/** How many queued runs one claim looks at before it gives up (each went since it was seen). */
const CLAIM_TRIES = 5;

/**
 * Claims the oldest queued run for a runner and starts its lease (storing its trace, when given);
 * null when none is waiting.
 * `onlyWorkspacesOf` limits a runner to the workspaces its owner administers. One transaction, in
 * the lock order of every transition (task row, then run row): the queued task is locked
 * (`FOR UPDATE OF tasks SKIP LOCKED`: a task another transition holds is passed over), checked
 * again, then its run moves to `running` with its lease, the task to `running`, and both
 * `run.status` and `task.status` are stored; nothing of it is seen before all of it is.
 * A workspace running as many runs as its quota allows (`quotas`: the server's defaults, each
 * workspace's own in `workspace_quotas`) is passed over; the count is taken again under the
 * workspace's advisory lock after the task row's, so two claims at once cannot both take its last
 * place.
 */
export async function claimRun(
  db: Db,
  {
    runnerId,
    leaseMs,
    onlyWorkspacesOf,
    quotas = { tasksPerDay: 0, concurrentRuns: 0, monthlyBudgetUsd: 0 },
    traceParent = null,
  }: {
    runnerId: string;
    leaseMs: number;
    onlyWorkspacesOf?: string | null;
    quotas?: WorkspaceQuotaDefaults;
    /** The run's trace, when runs are traced: its root span as a W3C `traceparent`. */
    traceParent?: string | null;
  },
): Promise<{ run: RunRow; task: TaskRow } | null> {
  return db.transaction(async (tx) => {
    const eligible = onlyWorkspacesOf
      ? inArray(
          tasks.workspaceId,
          tx
            .select({ id: workspaceMembers.workspaceId })
            .from(workspaceMembers)
            .where(
              and(
                eq(workspaceMembers.userId, onlyWorkspacesOf),
                inArray(workspaceMembers.role, ['owner', 'admin']),
              ),
            ),
        )
      : undefined;
    for (let tries = 0; tries < CLAIM_TRIES; tries += 1) {
      const [next] = await tx
        .select({ runId: runs.id, taskId: runs.taskId })
        .from(runs)
        .innerJoin(tasks, eq(tasks.id, runs.taskId))
        .where(
          and(
            inArray(runs.status, RUN_TRANSITIONS.claim.from),
            inArray(tasks.status, TASK_TRANSITIONS.claim.from),
            eligible,
            belowConcurrentRuns(quotas),
          ),
        )
        .orderBy(asc(runs.createdAt), asc(runs.id))
        .limit(1)
        .for('update', { of: tasks, skipLocked: true });
      if (!next) return null;
      const task = await lockTask(tx, next.taskId);
      if (!nextTaskStatus(task.status, 'claim')) continue;
      await lockWorkspaceQuota(tx, task.workspaceId);
      const [room] = await tx
        .select({ below: belowConcurrentRuns(quotas).mapWith(Boolean) })
        .from(tasks)
        .where(eq(tasks.id, task.id));
      if (!room?.below) continue;
      const [run] = await tx
        .update(runs)
        .set({
          status: RUN_TRANSITIONS.claim.to,
          runnerId,
          leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'`,
          startedAt: sql`coalesce(${runs.startedAt}, now())`,
          ...(traceParent ? { traceParent, traceId: traceIdOf(traceParent) } : {}),
        })
        .where(and(eq(runs.id, next.runId), inArray(runs.status, RUN_TRANSITIONS.claim.from)))
        .returning();
      if (!run) continue;
      await setRunStatus(tx, { run, status: 'running' });
      const moved = await applyTransition(tx, task, { action: 'claim', runId: run.id });
      emitAfterCommit(tx, {
        type: 'run.started',
        runId: run.id,
        taskId: run.taskId,
        waitedMs: Math.max(0, (run.startedAt ?? run.createdAt).getTime() - run.createdAt.getTime()),
      });
      return { run, task: moved };
    }
    return null;
  });
}

/**
 * Renews a run's lease. `lost` means the run is no longer this runner's (its lease expired and it
 * was recovered, or it ended): the runner must stop working on it and not report its end. A run
 * the runner never held is not found (404 `run_not_found`), and left as it is.
 */
export async function renewLease(
  db: Db,
  { runId, runnerId, leaseMs }: { runId: string; runnerId: string; leaseMs: number },
): Promise<{ lost: boolean; cancelRequested: boolean }> {
  const [run] = await db
    .update(runs)
    .set({ leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'` })
    .where(and(eq(runs.id, runId), eq(runs.runnerId, runnerId), eq(runs.status, 'running')))
    .returning({ cancelRequested: runs.cancelRequested });
  if (run) return { lost: false, cancelRequested: run.cancelRequested };
  const [held] = await db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.id, runId), eq(runs.runnerId, runnerId)));
  if (!held) throw new AppError('run_not_found', 'This runner does not hold that run (any more).');
  return { lost: true, cancelRequested: false };
}

export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  exitCode?: number | null;
  errorCode?: string;
  errorMessage?: string;
  /** A succeeded agent run that left no commit beyond the base branch (nothing was pushed). */
  noChanges?: boolean | undefined;
  /** When the runner reached each step of the run's start; kept in the run's spec. */
  phases?: RunnerPhases | undefined;
}

/** What the task's status says when its run succeeded with nothing to review. */
export const NO_CHANGES_REASON = 'The agent made no changes; nothing was pushed.';

/** How a run's end moves it, and its task. */
const AFTER: Record<
  RunOutcome['status'],
  { run: 'succeed' | 'fail' | 'cancel'; task: TaskAction }
> = {
  succeeded: { run: 'succeed', task: 'review' },
  failed: { run: 'fail', task: 'fail' },
  cancelled: { run: 'cancel', task: 'cancel' },
};

/**
 * Ends a run the runner still holds; false when it no longer does (nothing is changed). A run that
 * succeeded with no changes sends its task back to `todo` (where a rejected task goes), its last
 * event saying so, rather than to review with nothing to review.
 */
export async function finishRun(
  db: Db,
  { runId, runnerId, outcome }: { runId: string; runnerId: string; outcome: RunOutcome },
): Promise<boolean> {
  // One transaction: the follow-ups of a run's end (its publish job) are stored with it.
  return db.transaction(async (tx) => finishRunIn(tx, { runId, runnerId, outcome }));
}

async function finishRunIn(
  db: Db,
  { runId, runnerId, outcome }: { runId: string; runnerId: string; outcome: RunOutcome },
): Promise<boolean> {
  const noChanges = outcome.status === 'succeeded' && outcome.noChanges === true;
  const [held] = await db.select({ taskId: runs.taskId }).from(runs).where(eq(runs.id, runId));
  if (!held) return false;
  // The lock order of every transition: the task row, then the run's.
  const task = await lockTask(db, held.taskId);
  const [run] = await db
    .update(runs)
    .set({
      status: outcome.status,
      finishedAt: new Date(),
      leaseExpiresAt: null,
      exitCode: outcome.exitCode ?? null,
      errorCode: outcome.errorCode ?? null,
      errorMessage: outcome.errorMessage ?? null,
      noChanges,
      ...(outcome.phases
        ? {
            spec: sql`jsonb_set(${runs.spec}, '{phases}', ${JSON.stringify(outcome.phases)}::jsonb)`,
          }
        : {}),
    })
    .where(
      and(
        eq(runs.id, runId),
        eq(runs.runnerId, runnerId),
        inArray(runs.status, RUN_TRANSITIONS[AFTER[outcome.status].run].from),
      ),
    )
    .returning();
  if (!run) return false;
  const reason = outcome.errorMessage;
  await setRunStatus(db, { run, status: outcome.status, ...(reason ? { reason } : {}) });
  // A stop the user asked for is no error: the run's and the task's status say it.
  if (outcome.status !== 'cancelled' && outcome.errorCode && outcome.errorMessage) {
    await appendEvents(db, {
      taskId: run.taskId,
      runId,
      events: [{ type: 'error', code: outcome.errorCode, message: outcome.errorMessage }],
    });
  }
  const move: TransitionDetails =
    outcome.status === 'succeeded' && run.spec.kind === 'plan'
      ? await afterPlanning(db, runId)
      : noChanges
        ? { action: 'no_changes', runId, reason: NO_CHANGES_REASON, noChanges }
        : { action: AFTER[outcome.status].task, runId, reason };
  assertTransition(task, move.action);
  await applyTransition(db, task, move);
  emitAfterCommit(db, { type: `run.${outcome.status}`, runId, taskId: run.taskId, ...timed(run) });
  return true;
}

/**
 * Where a planning run that succeeded takes its task: to plan review with the plan it submitted
 * (auto mode approves it from there), or failed when it submitted none.
 */
async function afterPlanning(db: Db, runId: string): Promise<TransitionDetails> {
  const plan = await proposedPlan(db, runId);
  return plan
    ? { action: 'plan_ready', runId, set: { plan } }
    : { action: 'fail', runId, reason: 'The planner ended without submitting a plan.' };
}

/** A finished run's time from its claim, and from its queueing to its first tool call. */
function timed(run: RunRow): { durationMs?: number; firstToolCallMs?: number } {
  const firstToolCall = run.spec.phases?.firstToolCall;
  return {
    ...(run.startedAt && run.finishedAt
      ? { durationMs: Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime()) }
      : {}),
    ...(firstToolCall
      ? { firstToolCallMs: Math.max(0, firstToolCall - run.createdAt.getTime()) }
      : {}),
  };
}

/**
 * Recovers runs whose lease expired: each becomes `interrupted` and its run tokens are revoked at
 * once (its sandbox can no longer push or call a model); the first time, a new attempt is queued;
 * after that the task fails with the reason. Each run is recovered in one transaction of its own,
 * in the lock order of every transition (task row, then run row): its interrupt, its task's move
 * and their events are stored together or not at all. Safe to call from every server at once: a
 * run another server recovered meanwhile is passed over. A run whose recovery fails is left as it
 * was, for the next call; the others are recovered, then the failures are thrown together.
 */
export async function recoverExpiredLeases(db: Db): Promise<RunRow[]> {
  const expired = await db
    .select({ id: runs.id, taskId: runs.taskId })
    .from(runs)
    .where(
      and(
        inArray(runs.status, RUN_TRANSITIONS.interrupt.from),
        lt(runs.leaseExpiresAt, sql`now()`),
      ),
    )
    .orderBy(asc(runs.leaseExpiresAt), asc(runs.id));
  const recovered: RunRow[] = [];
  const failures: unknown[] = [];
  for (const candidate of expired) {
    try {
      const run = await db.transaction(async (tx) => recoverRunIn(tx, candidate));
      if (run) recovered.push(run);
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) {
    throw new AggregateError(
      failures,
      `${failures.length} of ${expired.length} runs whose lease expired could not be recovered; the next sweep tries again.`,
    );
  }
  return recovered;
}

/**
 * Hands a run back: a runner shutting down gives up a run it holds and will not finish. Its lease
 * ends now and the run takes the path of every expired lease ({@link recoverExpiredLeases}):
 * interrupted, its tokens revoked, and queued again as a new attempt for another runner (or the
 * task failed, after its last attempt). A run this runner never held is not found (404
 * `run_not_found`); one that already ended, or was recovered, is left as it is (false).
 *
 * @example
 * await handBackRun(db, { runId, runnerId }); // true: queued again for another runner
 */
export async function handBackRun(
  db: Db,
  { runId, runnerId }: { runId: string; runnerId: string },
): Promise<boolean> {
  const [held] = await db
    .select({ id: runs.id, taskId: runs.taskId })
    .from(runs)
    .where(and(eq(runs.id, runId), eq(runs.runnerId, runnerId)));
  if (!held) throw new AppError('run_not_found', 'This runner does not hold that run (any more).');
  const run = await db.transaction(async (tx) => {
    await lockTask(tx, held.taskId);
    const [ended] = await tx
      .update(runs)
      .set({ leaseExpiresAt: sql`now() - interval '1 millisecond'` })
      .where(and(eq(runs.id, runId), eq(runs.runnerId, runnerId), eq(runs.status, 'running')))
      .returning({ id: runs.id });
    return ended ? recoverRunIn(tx, held, 'its runner shut down and handed it back') : null;
  });
  return run !== null;
}

/** Interrupts one run whose lease expired and moves its task; null when it no longer needs it. */
async function recoverRunIn(
  tx: Db,
  { id, taskId }: { id: string; taskId: string },
  reason = 'its runner stopped answering (lease expired)',
): Promise<RunRow | null> {
  const task = await lockTask(tx, taskId);
  const [run] = await tx
    .update(runs)
    .set({ status: RUN_TRANSITIONS.interrupt.to, finishedAt: new Date(), leaseExpiresAt: null })
    .where(
      and(
        eq(runs.id, id),
        inArray(runs.status, RUN_TRANSITIONS.interrupt.from),
        lt(runs.leaseExpiresAt, sql`now()`),
      ),
    )
    .returning();
  if (!run) return null;
  await tx.delete(runTokens).where(eq(runTokens.runId, run.id));
  await setRunStatus(tx, { run, status: 'interrupted', reason });
  if (run.attempt <= MAX_RECOVERIES && !run.cancelRequested) {
    await queueRunIn(tx, task, { spec: run.spec, attempt: run.attempt + 1, action: 'interrupt' });
    return run;
  }
  const message = run.cancelRequested
    ? 'The run was cancelled while its runner was not answering.'
    : `The run was interrupted ${run.attempt} times: its runner stopped answering.`;
  await appendEvents(tx, {
    taskId: run.taskId,
    runId: run.id,
    events: [{ type: 'error', code: 'runner_lost', message }],
  });
  const action = run.cancelRequested ? 'cancel' : 'fail';
  assertTransition(task, action);
  await applyTransition(tx, task, { action, runId: run.id, reason: message });
  return run;
}

/** Runs waiting for a runner to claim them. */
export async function queuedRunCount(db: Db): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)`.mapWith(Number) })
    .from(runs)
    .where(inArray(runs.status, RUN_TRANSITIONS.claim.from));
  return row?.count ?? 0;
}
