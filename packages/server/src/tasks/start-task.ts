/**
 * @module tasks/start-task
 * The board's start: To Do or cancelled → queued. The first run works on the prompt; after a
 * rejection the run is told why the work was sent back (a `message.user` holding the review note);
 * after a cancel the last run is queued again. A best-of-N card made to start later starts its
 * attempts.
 */
import type { WorkspaceQuotaDefaults } from '../config.ts';
import type { RunSpec } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { assertTransition, lockTask } from './lifecycle.ts';
import { enqueueRun, type RunRow } from './runs.ts';
import type { ReviewContext } from './review-context.ts';
import { agentSpec, firstSpec, lastSpec, reviewPrompt } from './run-specs.ts';
import { againSpec } from './plan-specs.ts';
import { loadTask, startAttempts } from './tasks.ts';

/**
 * Starts a task from To Do (or again after it was cancelled): queues an agent run on the prompt,
 * or, when the work was sent back, on the review note; a best-of-N task to do queues its attempts'
 * runs and answers the first one's. With the workspace's monthly budget spent it is refused with
 * 429 `quota_exceeded`.
 *
 * @example
 * const run = await startTask(ctx, { actor, taskId });
 */
export async function startTask(
  ctx: ReviewContext,
  { actor, taskId, quotas }: { actor: Principal; taskId: string; quotas: WorkspaceQuotaDefaults },
): Promise<RunRow> {
  const found = await loadTask(ctx.db, actor.userId, taskId, 'member');
  if (found.attemptCount !== null && found.status === 'todo') {
    const { runs } = await startAttempts(ctx.db, { task: found, quotas, actor });
    const [first] = runs;
    if (!first) throw new AppError('internal', `“${found.title}” has no attempts to start.`);
    return first;
  }
  return ctx.db.transaction(async (tx) => {
    const task = await lockTask(tx, found.id);
    assertTransition(task, 'start');
    const previous = await lastSpec(tx, task.id);
    let spec: RunSpec;
    if (previous && (task.status === 'cancelled' || !previous.agent)) {
      spec = againSpec(task, previous);
    } else if (previous) {
      const text = task.reviewNote ? reviewPrompt(task.reviewNote) : task.prompt;
      spec = await agentSpec(tx, task, previous, text);
    } else {
      spec = await firstSpec(tx, task);
    }
    return enqueueRun(tx, { taskId: task.id, spec, quotas, action: 'start', actor });
  });
}
