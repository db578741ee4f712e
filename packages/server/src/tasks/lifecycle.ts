/**
 * @module tasks/lifecycle
 * The one place a task's status changes. {@link TASK_TRANSITIONS} says, for each action, which
 * statuses it may start from and where it leads; {@link RUN_TRANSITIONS} says the same of runs.
 * {@link transitionTask} applies a task's action: it locks the task row, checks the table, writes
 * the status and its `task.status` event, the audit entry of the person who asked (none for the
 * runner's and the server's own moves) and, once committed, the action's domain event. A move the
 * table does not allow is refused with 409 `invalid_transition`, naming the task and the statuses.
 */
import { eq } from 'drizzle-orm';
import type { EventBody, RunStatus, TaskStatus } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { tasks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../principal.ts';
import { emitAfterCommit, type TaskDomainEventType } from './domain-events.ts';
import { appendEvents } from './events.ts';

type TaskRow = typeof tasks.$inferSelect;

interface Transition<S extends string> {
  readonly from: readonly S[];
  readonly to: S;
}

/** Every status a task may be queued again from: nothing of it is queued or running. */
const AT_REST = ['todo', 'in_review', 'awaiting_merge', 'done', 'failed', 'cancelled'] as const;

/**
 * The task's transitions, by action.
 *
 * @example
 * TASK_TRANSITIONS.approve; // { from: ['in_review'], to: 'done' }
 */
export const TASK_TRANSITIONS = {
  /** A new run: the first one, a follow-up, or commands queued by hand. */
  queue: { from: AT_REST, to: 'queued' },
  /** The board's start: a task to do, or again after it was cancelled. */
  start: { from: ['todo', 'cancelled'], to: 'queued' },
  /** A new run like the last one, after a failure or a cancel. */
  retry: { from: ['failed', 'cancelled'], to: 'queued' },
  /** A best-of-N task's attempts were queued: it runs while they do. */
  attempt: { from: ['todo'], to: 'running' },
  /** One of its attempts was kept: its branch is the task's, to review. */
  keep: { from: ['running'], to: 'in_review' },
  /** A runner took the task's queued run. */
  claim: { from: ['queued'], to: 'running' },
  /** The run's runner stopped answering; a new attempt is queued. */
  interrupt: { from: ['queued', 'running'], to: 'queued' },
  /** The run succeeded with work to review. */
  review: { from: ['running'], to: 'in_review' },
  /** The run succeeded without a change: back to To Do, nothing to review. */
  no_changes: { from: ['running'], to: 'todo' },
  /** The run failed, or was lost for good. */
  fail: { from: ['queued', 'running'], to: 'failed' },
  /** A person stopped the task's run (or its runner ended it as asked). */
  cancel: { from: ['queued', 'running'], to: 'cancelled' },
  /** Approved and merged. */
  approve: { from: ['in_review'], to: 'done' },
  /** Approved; its forge merges the request later. */
  await_merge: { from: ['in_review'], to: 'awaiting_merge' },
  /** Its pull or merge request was merged on the forge, by Lucid or by hand. */
  done: { from: ['in_review', 'awaiting_merge'], to: 'done' },
  /** Sent back to To Do with a note for the next run. */
  reject: { from: ['in_review', 'awaiting_merge', 'failed'], to: 'todo' },
  /** The planning run submitted its plan: it waits for a person (or its auto mode) to approve it. */
  plan_ready: { from: ['running'], to: 'plan_review' },
  /** The plan was approved: the coding run following it is queued. */
  plan_approve: { from: ['plan_review'], to: 'queued' },
  /** The plan was rejected with a note: no coding run; a retry plans again with the note. */
  plan_reject: { from: ['plan_review'], to: 'cancelled' },
  /** Publishing the reviewed work to the forge failed; it stays in review with the reason. */
  publish_failed: { from: ['in_review'], to: 'in_review' },
  /** The forge refused the push of the branch; the task waits for a retry that integrates it. */
  push_rejected: { from: ['in_review', 'awaiting_merge'], to: 'awaiting_merge' },
} as const satisfies Record<string, Transition<TaskStatus>>;

export type TaskAction = keyof typeof TASK_TRANSITIONS;

/**
 * The run's transitions, by action. A run is created `queued`; the queue's statements take their
 * `from` statuses from here.
 */
export const RUN_TRANSITIONS = {
  claim: { from: ['queued'], to: 'running' },
  succeed: { from: ['running'], to: 'succeeded' },
  fail: { from: ['running'], to: 'failed' },
  cancel: { from: ['queued', 'running'], to: 'cancelled' },
  interrupt: { from: ['running'], to: 'interrupted' },
} as const satisfies Record<string, Transition<RunStatus>>;

export type RunAction = keyof typeof RUN_TRANSITIONS;

/** The domain event each action tells once committed, when the status changes. */
const DOMAIN_EVENT: Partial<Record<TaskAction, TaskDomainEventType>> = {
  review: 'task.in_review',
  keep: 'task.in_review',
  fail: 'task.failed',
  cancel: 'task.cancelled',
  approve: 'task.approved',
  await_merge: 'task.approved',
  done: 'task.done',
  reject: 'task.rejected',
  plan_ready: 'task.plan_review',
  plan_reject: 'task.cancelled',
};

/** How the refusal of each action ends its sentence: “… can be <verb>.” */
const VERB: Record<TaskAction, string> = {
  queue: 'queued',
  start: 'started',
  retry: 'retried',
  attempt: 'started in attempts',
  keep: 'given the attempt to keep',
  claim: 'taken by a runner',
  interrupt: 'queued again',
  review: 'sent to review',
  no_changes: 'sent back to to do',
  fail: 'marked failed',
  cancel: 'cancelled',
  approve: 'approved',
  await_merge: 'approved',
  done: 'marked done',
  reject: 'rejected',
  plan_ready: 'sent to plan review',
  plan_approve: 'given an approved plan',
  plan_reject: 'given a rejected plan',
  publish_failed: 'kept in review',
  push_rejected: 'left awaiting merge',
};

/** A task's status in words. */
export const STATUS_WORDS: Record<TaskStatus, string> = {
  todo: 'to do',
  queued: 'queued',
  running: 'running',
  plan_review: 'in plan review',
  in_review: 'in review',
  awaiting_merge: 'awaiting merge',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

/**
 * Where `action` leads from `status`, or null when the table does not allow it.
 *
 * @example
 * nextTaskStatus('in_review', 'reject'); // 'todo'
 */
export function nextTaskStatus(status: TaskStatus, action: TaskAction): TaskStatus | null {
  const transition: Transition<TaskStatus> = TASK_TRANSITIONS[action];
  return transition.from.includes(status) ? transition.to : null;
}

/** Where `action` leads a run from `status`, or null when the table does not allow it. */
export function nextRunStatus(status: RunStatus, action: RunAction): RunStatus | null {
  const transition: Transition<RunStatus> = RUN_TRANSITIONS[action];
  return transition.from.includes(status) ? transition.to : null;
}

/**
 * Throws 409 `invalid_transition` unless the table allows `action` from the task's status.
 *
 * @example
 * assertTransition(task, 'approve'); // “Fix the build” is to do; only a task that is in review can be approved.
 */
export function assertTransition(
  task: Pick<TaskRow, 'title' | 'status'>,
  action: TaskAction,
): void {
  if (nextTaskStatus(task.status, action)) return;
  const from = TASK_TRANSITIONS[action].from.map((status) => STATUS_WORDS[status]).join(' or ');
  throw new AppError(
    'invalid_transition',
    `“${task.title}” is ${STATUS_WORDS[task.status]}; only a task that is ${from} can be ${VERB[action]}.`,
  );
}

/** Locks the task row for the rest of the transaction and reads it again. */
export async function lockTask(tx: Db, taskId: string): Promise<TaskRow> {
  const [row] = await tx.select().from(tasks).where(eq(tasks.id, taskId)).for('update');
  if (!row) throw new AppError('task_not_found', 'This task no longer exists.');
  return row;
}

/** What a transition writes besides the status. */
export interface TransitionDetails {
  action: TaskAction;
  /** The run the `task.status` event belongs to. */
  runId?: string | null | undefined;
  /** Why, told in the `task.status` event. */
  reason?: string | undefined;
  /** A succeeded run that changed nothing. */
  noChanges?: boolean | undefined;
  /** Columns written with the status. */
  set?: Partial<Pick<TaskRow, 'reviewNote' | 'plan'>> | undefined;
  /** Events stored before the `task.status` one (a review, a merge). */
  bodies?: EventBody[] | undefined;
  /** The person who asked: their audit entry is written with the move. */
  actor?: Principal | undefined;
  /** The audit entry's action (`task.<action>` by default) and metadata. */
  audit?: { action?: string; metadata?: Record<string, unknown> } | undefined;
}

/**
 * Applies a transition to a task already locked by {@link lockTask} in `tx` and checked by
 * {@link assertTransition}: for a caller that does more in the same transaction between the two.
 */
export async function applyTransition(
  tx: Db,
  task: TaskRow,
  details: TransitionDetails,
): Promise<TaskRow> {
  const { action, runId = null, reason, noChanges, set = {}, bodies = [], actor } = details;
  const status = TASK_TRANSITIONS[action].to;
  const [moved] = await tx
    .update(tasks)
    .set({ ...set, status, updatedAt: new Date() })
    .where(eq(tasks.id, task.id))
    .returning();
  if (!moved) throw new AppError('task_not_found', `“${task.title}” no longer exists.`);
  const event: EventBody = {
    type: 'task.status',
    status,
    ...(reason ? { reason } : {}),
    ...(noChanges ? { noChanges } : {}),
  };
  await appendEvents(tx, { taskId: task.id, runId, events: [...bodies, event] });
  if (actor) {
    const metadata = details.audit?.metadata;
    await recordAudit(tx, {
      actor,
      action: details.audit?.action ?? `task.${action}`,
      targetType: 'task',
      targetId: task.id,
      workspaceId: task.workspaceId,
      ...(metadata ? { metadata } : {}),
    });
  }
  const type = DOMAIN_EVENT[action];
  if (type && task.status !== status) {
    emitAfterCommit(tx, { type, taskId: task.id, from: task.status, to: status });
  }
  return moved;
}

/**
 * Moves a task by `action` in one transaction: lock, check, status, `task.status` event, audit
 * entry, domain event after commit. 409 `invalid_transition` when the table does not allow it.
 *
 * @example
 * await transitionTask(db, { taskId, action: 'reject', actor, set: { reviewNote: reason } });
 */
export async function transitionTask(
  db: Db,
  { taskId, ...details }: TransitionDetails & { taskId: string },
): Promise<TaskRow> {
  return db.transaction(async (tx) => {
    const task = await lockTask(tx, taskId);
    assertTransition(task, details.action);
    return applyTransition(tx, task, details);
  });
}

/**
 * Like {@link transitionTask}, but a task that has meanwhile moved where the action does not apply
 * is left as it is (null): for follow-ups that arrive late, such as a publish's outcome.
 */
export async function transitionTaskIfAllowed(
  db: Db,
  { taskId, ...details }: TransitionDetails & { taskId: string },
): Promise<TaskRow | null> {
  return db.transaction(async (tx) => {
    const task = await lockTask(tx, taskId);
    if (!nextTaskStatus(task.status, details.action)) return null;
    return applyTransition(tx, task, details);
  });
}
