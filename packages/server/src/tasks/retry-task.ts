/**
 * @module tasks/retry-task
 * The board's retry: failed or cancelled → queued, a new run like the last one on the same branch
 * (in the task's sandbox or restored from its snapshot). A task whose push upstream was refused
 * (`awaiting_merge`) is handed to the forge's `retryRejectedPush`.
 */
import type { WorkspaceQuotaDefaults } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { assertTransition, lockTask } from './lifecycle.ts';
import { enqueueRun, type RunRow } from './runs.ts';
import type { ReviewContext } from './review-context.ts';
import { lastSpec } from './run-specs.ts';
import { againSpec } from './plan-specs.ts';
import { loadTask } from './tasks.ts';

/**
 * Runs a failed or cancelled task again like its last run, on its branch (in its sandbox or
 * restored from its snapshot). A task `awaiting_merge` is handed to `retryRejectedPush`. With the
 * workspace's monthly budget spent it is refused with 429 `quota_exceeded` (`enqueueRun`).
 *
 * @example
 * const run = await retryTask(ctx, { actor, taskId, quotas: config.workspaceQuotas });
 */
export async function retryTask(
  ctx: ReviewContext,
  { actor, taskId, quotas }: { actor: Principal; taskId: string; quotas: WorkspaceQuotaDefaults },
): Promise<RunRow> {
  const found = await loadTask(ctx.db, actor.userId, taskId, 'member');
  if (found.status === 'awaiting_merge' && ctx.retryRejectedPush) {
    return ctx.retryRejectedPush({ taskId: found.id, actor, quotas });
  }
  return ctx.db.transaction(async (tx) => {
    const task = await lockTask(tx, found.id);
    assertTransition(task, 'retry');
    const spec = await lastSpec(tx, task.id);
    if (!spec) {
      throw new AppError(
        'invalid_transition',
        `“${task.title}” has never run, so there is nothing to retry; start it instead.`,
      );
    }
    return enqueueRun(tx, {
      taskId: task.id,
      spec: againSpec(task, spec),
      quotas,
      action: 'retry',
      actor,
    });
  });
}
