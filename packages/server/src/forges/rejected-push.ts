/**
 * @module forges/rejected-push
 * Retrying a task whose push upstream was refused as non-fast-forward (`awaiting_merge`): Lucid's
 * mirror is brought up to date, the upstream's copy of the task branch fetched beside it, and a
 * run queued that has the agent merge both; Lucid publishes again when it succeeds.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { WorkspaceQuotaDefaults } from '../config.ts';
import { events, repositories } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import type { Principal } from '../principal.ts';
import { postMessage } from '../tasks/follow-ups.ts';
import type { RunRow, TaskRow } from '../tasks/runs.ts';
import { loadTask } from '../tasks/tasks.ts';
import { syncMirror } from './mirror.ts';
import { fetchBranch } from './upstream-git.ts';
import { asAppError, forgeSession, upstreamOf, type PublishContext } from './upstream.ts';

/** The ref of Lucid's bare repository holding the upstream's copy of a task branch. */
export function upstreamCopyRef(branch: string): string {
  return `refs/lucid/upstream/${branch}`;
}

/** True when the task's last publishing ended with its push refused (and nothing since). */
async function pushWasRejected(ctx: PublishContext, taskId: string): Promise<boolean> {
  const [last] = await ctx.db
    .select({ type: events.type, payload: events.payload })
    .from(events)
    .where(
      and(
        eq(events.taskId, taskId),
        inArray(events.type, ['error', 'upstream.push', 'review', 'git.merge']),
      ),
    )
    .orderBy(desc(events.seq))
    .limit(1);
  return last?.type === 'error' && last.payload.code === 'push_rejected';
}

/** The prompt of the run that brings a rejected branch up to date. */
export function rebasePrompt(
  task: Pick<TaskRow, 'branch' | 'baseBranch'>,
  upstreamCopy: boolean,
): string {
  const steps = [
    `Lucid could not push this task's branch ${task.branch} to the upstream repository: it was not a fast-forward.`,
    `Rebase your work on the latest ${task.baseBranch}: \`git fetch origin ${task.baseBranch}\`, then bring \`origin/${task.baseBranch}\` into the branch.`,
  ];
  if (upstreamCopy) {
    steps.push(
      `The upstream's copy of ${task.branch} has commits this branch lacks; Lucid fetched it to ` +
        `\`${upstreamCopyRef(task.branch)}\`: run \`git fetch origin ${upstreamCopyRef(task.branch)}\` and ` +
        '`git merge FETCH_HEAD`, keeping both their changes and yours.',
    );
  }
  steps.push(
    'The branch is already published, so integrate with `git merge` rather than rewriting commits ' +
      'that were pushed; resolve any conflicts, run the tests, commit, and finish with a summary.',
  );
  return steps.join('\n\n');
}

/**
 * Retries a task whose push upstream was refused (`awaiting_merge`): brings Lucid's mirror up to
 * date with the upstream (`syncMirror`), fetches the upstream's copy of the task branch to
 * {@link upstreamCopyRef}, then queues an agent run told to integrate them; Lucid publishes again
 * when it succeeds. `invalid_transition` for a task in another status.
 *
 * @example
 * const run = await retryAfterRejectedPush(ctx, { actor, taskId, quotas });
 */
export async function retryAfterRejectedPush(
  ctx: PublishContext,
  { actor, taskId, quotas }: { actor: Principal; taskId: string; quotas: WorkspaceQuotaDefaults },
): Promise<RunRow> {
  const task = await loadTask(ctx.db, actor.userId, taskId, 'member');
  if (task.status !== 'awaiting_merge' || !(await pushWasRejected(ctx, task.id))) {
    throw new AppError(
      'invalid_transition',
      task.status === 'awaiting_merge'
        ? `“${task.title}” is waiting for its forge to merge its request; there is nothing to retry.`
        : `“${task.title}” is ${task.status.replace('_', ' ')}: only a task whose push upstream was refused (awaiting_merge) is retried this way.`,
    );
  }
  const [repo] = await ctx.db.select().from(repositories).where(eq(repositories.id, task.repoId));
  if (!repo)
    throw new AppError('repo_not_found', `The repository of “${task.title}” no longer exists.`);
  const upstream = upstreamOf(repo, task.createdBy);
  if (!upstream) {
    throw new AppError(
      'invalid_transition',
      `The repository of “${task.title}” has no upstream on a forge to push to.`,
    );
  }
  let copied: string | null;
  try {
    await syncMirror(ctx, repo.id, { userId: task.createdBy });
    const { remote } = await forgeSession(ctx, upstream);
    copied = await fetchBranch({
      repoPath: bareRepoPath(ctx.gitRoot, repo.id),
      remote,
      branch: task.branch,
      intoRef: upstreamCopyRef(task.branch),
    });
  } catch (error) {
    throw await asAppError(ctx, upstream, error);
  }
  const { run } = await postMessage(ctx.db, {
    actor,
    taskId: task.id,
    text: rebasePrompt(task, copied !== null),
    quotas,
  });
  if (!run) {
    throw new AppError('conflict', `“${task.title}” already has a run queued or running.`);
  }
  return run;
}
