/**
 * @module tasks/approve-task
 * The board's approve: In Review → done. The task's branch is merged into its base branch: in
 * Lucid's git server for a repository without an upstream, through `mergeUpstream` (the forge)
 * otherwise, which may leave it `awaiting_merge` until the forge merges it.
 */
import { eq } from 'drizzle-orm';
import type { EventBody, MergeStrategy } from '@lucid/contracts';
import { repositories, users } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import { mergeBranch } from '../git/merge.ts';
import { notifyRefs } from './live-channel.ts';
import { applyTransition, assertTransition, lockTask } from './lifecycle.ts';
import type { TaskRow } from './runs.ts';
import type { ReviewContext } from './review-context.ts';
import { loadTask } from './tasks.ts';

/** An approved task, and the merge of its branch. */
export interface ApprovedTask {
  task: TaskRow;
  /** Null while the forge has yet to merge it (the task is `awaiting_merge`). */
  merge: { branch: string; into: string; sha: string; strategy: MergeStrategy } | null;
}

/**
 * Approves a task in review: merges its branch into its base branch and marks it done (or
 * `awaiting_merge` when its forge merges later). A conflict answers 409 `merge_conflict` with the
 * files in `details.files`, and the task stays in review.
 *
 * @example
 * const { merge } = await approveTask(ctx, { actor, taskId });
 */
export async function approveTask(
  ctx: ReviewContext,
  { actor, taskId }: { actor: Principal; taskId: string },
): Promise<ApprovedTask> {
  const task = await loadTask(ctx.db, actor.userId, taskId, 'member');
  assertTransition(task, 'approve');
  const [repo] = await ctx.db.select().from(repositories).where(eq(repositories.id, task.repoId));
  if (!repo)
    throw new AppError('repo_not_found', `The repository of “${task.title}” no longer exists.`);
  let merge: ApprovedTask['merge'];
  if (repo.provider !== 'local') {
    if (!ctx.mergeUpstream) {
      throw new AppError(
        'forge_error',
        `Approving tasks of a repository on ${repo.provider} is not available yet on this server; merge the branch ${task.branch} there.`,
      );
    }
    const outcome = await ctx.mergeUpstream({ task, actor });
    merge =
      outcome.kind === 'merged'
        ? {
            branch: task.branch,
            into: task.baseBranch,
            sha: outcome.sha,
            strategy: outcome.strategy,
          }
        : null;
  } else {
    const [user] = await ctx.db
      .select({ name: users.name, email: users.email })
      .from(users)
      .where(eq(users.id, actor.userId));
    const result = await mergeBranch(bareRepoPath(ctx.gitRoot, repo.id), {
      branch: task.branch,
      into: task.baseBranch,
      committer: user ?? { name: 'Lucid', email: 'lucid@localhost' },
    });
    if (result.kind === 'missing') {
      throw new AppError(
        'invalid_transition',
        `“${task.title}” has no branch ${result.ref} to merge: its runs pushed no commit.`,
      );
    }
    if (result.kind === 'moved') {
      throw new AppError(
        'conflict',
        `The branch ${task.baseBranch} changed while ${task.branch} was being merged into it; approve again.`,
      );
    }
    if (result.kind === 'conflict') {
      throw new AppError(
        'merge_conflict',
        `The branch ${task.branch} conflicts with ${task.baseBranch} in ${result.files.length} file(s): ${result.files.join(', ')}. Reject the task with a note to resolve them, or merge by hand.`,
        { files: result.files },
      );
    }
    merge = {
      branch: task.branch,
      into: task.baseBranch,
      sha: result.sha,
      strategy: result.strategy,
    };
  }
  const approved = await ctx.db.transaction(async (tx) => {
    const locked = await lockTask(tx, task.id);
    assertTransition(locked, 'approve');
    const bodies: EventBody[] = [{ type: 'review', decision: 'approved' }];
    if (merge) {
      bodies.push({ type: 'git.merge', branch: merge.branch, into: merge.into, sha: merge.sha });
    }
    const moved = await applyTransition(tx, locked, {
      action: merge ? 'approve' : 'await_merge',
      set: { reviewNote: null },
      bodies,
      actor,
      audit: { action: 'task.approve', metadata: merge ? { ...merge } : { awaitingMerge: true } },
    });
    if (merge) {
      if (repo.provider === 'local') {
        const now = new Date();
        await tx
          .update(repositories)
          .set({ lastPushedAt: now, updatedAt: now })
          .where(eq(repositories.id, repo.id));
      }
      await notifyRefs(tx, repo.id);
    }
    return moved;
  });
  return { task: approved, merge };
}
