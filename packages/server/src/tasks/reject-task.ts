/**
 * @module tasks/reject-task
 * The board's reject: In Review, awaiting merge or failed → To Do, with the reason stored as the
 * review note and a `review` event; the branch is kept.
 */
import type { Principal } from '../principal.ts';
import { transitionTask } from './lifecycle.ts';
import type { TaskRow } from './runs.ts';
import type { ReviewContext } from './review-context.ts';
import { loadTask } from './tasks.ts';

/**
 * Sends a task's work back to To Do with the reason, which its next run is given. Its branch is
 * kept.
 *
 * @example
 * await rejectTask(ctx, { actor, taskId, reason: 'The new endpoint has no test.' });
 */
export async function rejectTask(
  ctx: ReviewContext,
  { actor, taskId, reason }: { actor: Principal; taskId: string; reason: string },
): Promise<TaskRow> {
  const found = await loadTask(ctx.db, actor.userId, taskId, 'member');
  return transitionTask(ctx.db, {
    taskId: found.id,
    action: 'reject',
    set: { reviewNote: reason },
    bodies: [{ type: 'review', decision: 'rejected', reason }],
    actor,
    audit: { metadata: { reason } },
  });
}
