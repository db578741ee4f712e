/**
 * @module tasks/plan
 * The plan step before coding. A task whose plan mode is `review` or `auto` first runs the
 * built-in agent as a planner (read-only tools, the plan model, nothing pushed); its submitted
 * plan moves the task to `plan_review` (control/queue.ts), where a person approves it (as it is or
 * edited) or rejects it with a note, and auto mode approves it at once (a subscriber of
 * `task.plan_review`, server/wire-lifecycle.ts). Approval queues the coding run with the plan in
 * its prompt; rejection cancels the task, and its retry plans again with the note.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { Plan } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { events, runs, users, type RunSpec } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { codingPrompt } from './plan-specs.ts';
import { assertTransition, lockTask, transitionTask } from './lifecycle.ts';
import { queueRunIn, type RunRow, type TaskRow } from './runs.ts';
import { loadTask } from './tasks.ts';

/** Who approved a plan when no person did: the task's auto mode. */
export const AUTO_APPROVER = 'auto';

/** The plan the run `runId` submitted (its `plan.proposed` event), or null. */
export async function proposedPlan(db: Db, runId: string): Promise<Plan | null> {
  const [row] = await db
    .select({ payload: events.payload })
    .from(events)
    .where(and(eq(events.runId, runId), eq(events.type, 'plan.proposed')))
    .orderBy(desc(events.seq))
    .limit(1);
  const payload = row?.payload as { plan?: Plan } | undefined;
  return payload?.plan ?? null;
}

async function nameOf(db: Db, userId: string): Promise<string> {
  const [user] = await db
    .select({ name: users.name, email: users.email })
    .from(users)
    .where(eq(users.id, userId));
  return user?.name || user?.email || 'a member';
}

/**
 * Approves the plan of a task locked in `tx` and in `plan_review`: stores `plan.approved` and
 * queues the coding run following `plan` (its agent and model, the plan in its prompt).
 */
async function approveIn(
  tx: Db,
  task: TaskRow,
  { plan, edited, by, actor }: { plan: Plan; edited: boolean; by: string; actor?: Principal },
): Promise<RunRow> {
  assertTransition(task, 'plan_approve');
  // The planning run's prompt message: the coding run reads the conversation as it did.
  const [planning] = await tx
    .select({ spec: runs.spec })
    .from(runs)
    .where(eq(runs.taskId, task.id))
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(1);
  const promptSeq = planning?.spec.promptSeq;
  const spec: RunSpec = {
    commands: [],
    agent: (task.agent ?? 'lucid') as NonNullable<RunSpec['agent']>,
    ...(task.model ? { model: task.model } : {}),
    prompt: codingPrompt(task.prompt, plan),
    plan,
    ...(promptSeq !== undefined ? { promptSeq } : {}),
  };
  return queueRunIn(tx, task, {
    spec,
    attempt: 1,
    action: 'plan_approve',
    actor,
    set: { plan, reviewNote: null },
    bodies: [{ type: 'plan.approved', plan, edited, by }],
  });
}

/**
 * A member approves a task's plan, as proposed or as edited (`plan`): the coding run is queued.
 * 409 `invalid_transition` unless the task is in plan review.
 *
 * @example
 * const run = await approvePlan(db, { actor, taskId, plan: edited });
 */
export async function approvePlan(
  db: Db,
  { actor, taskId, plan }: { actor: Principal; taskId: string; plan?: Plan | undefined },
): Promise<RunRow> {
  const found = await loadTask(db, actor.userId, taskId, 'member');
  const by = await nameOf(db, actor.userId);
  return db.transaction(async (tx) => {
    const task = await lockTask(tx, found.id);
    assertTransition(task, 'plan_approve');
    const proposed = task.plan;
    if (!proposed) throw new AppError('invalid_transition', `“${task.title}” has no plan yet.`);
    const chosen = plan ?? proposed;
    const edited = plan !== undefined && JSON.stringify(plan) !== JSON.stringify(proposed);
    return approveIn(tx, task, { plan: chosen, edited, by, actor });
  });
}

/**
 * Approves the plan of a task in auto mode as soon as it is proposed (a subscriber of
 * `task.plan_review`, in the transaction that proposed it); a task in review mode waits.
 */
export async function autoApprovePlan(tx: Db, taskId: string): Promise<void> {
  const task = await lockTask(tx, taskId);
  if (task.planMode !== 'auto' || task.status !== 'plan_review' || !task.plan) return;
  await approveIn(tx, task, { plan: task.plan, edited: false, by: AUTO_APPROVER });
}

/**
 * A member rejects a task's plan with a note: no coding run; the task is cancelled with the note,
 * which a retry's planner reads. 409 `invalid_transition` unless the task is in plan review.
 *
 * @example
 * await rejectPlan(db, { actor, taskId, note: 'Keep the old API' });
 */
export async function rejectPlan(
  db: Db,
  { actor, taskId, note }: { actor: Principal; taskId: string; note: string },
): Promise<TaskRow> {
  const found = await loadTask(db, actor.userId, taskId, 'member');
  const by = await nameOf(db, actor.userId);
  return transitionTask(db, {
    taskId: found.id,
    action: 'plan_reject',
    actor,
    reason: `The plan was rejected: ${note}`,
    set: { reviewNote: note },
    bodies: [{ type: 'plan.rejected', note, by }],
  });
}
