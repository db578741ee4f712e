/**
 * @module forges/merge-upstream
 * Approving a task of a repository with an upstream: its pull or merge request is merged on the
 * forge with the task's credential (its creator's own connection, else its workspace's).
 */
import { eq } from 'drizzle-orm';
import { repositories } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { MergeUpstream } from '../tasks/review-context.ts';
import { providerName } from './connections.ts';
import { ForgeError } from './forge.ts';
import { asAppError, forgeSession, upstreamOf, type PublishContext } from './upstream.ts';

/**
 * Approval of a task whose repository has an upstream: merges its pull or merge request on the
 * forge with the task's credential (the board's `approve`). `invalid_transition` before a
 * request is open, `merge_conflict` when the forge cannot merge it.
 *
 * @example
 * const mergeUpstream = mergeThroughForge(ctx); // given to the board's routes
 */
export function mergeThroughForge(ctx: PublishContext): MergeUpstream {
  return async ({ task }) => {
    const [repo] = await ctx.db.select().from(repositories).where(eq(repositories.id, task.repoId));
    if (!repo)
      throw new AppError('repo_not_found', `The repository of “${task.title}” no longer exists.`);
    const upstream = upstreamOf(repo, task.createdBy);
    if (!upstream) {
      throw new AppError('invalid_transition', `${repo.name} has no upstream on a forge.`);
    }
    const noun = upstream.provider === 'gitlab' ? 'merge request' : 'pull request';
    if (!task.prNumber) {
      throw new AppError(
        'invalid_transition',
        `“${task.title}” has no ${noun} on ${providerName(upstream.provider)} yet: it is opened once a run pushes its work.`,
      );
    }
    try {
      const { token, forge } = await forgeSession(ctx, upstream);
      const { sha } = await forge.mergePullRequest(token, {
        repo: upstream.fullName,
        number: task.prNumber,
      });
      return { kind: 'merged', sha, strategy: 'merge-commit' };
    } catch (error) {
      if (error instanceof ForgeError && error.kind === 'conflict') {
        throw new AppError(
          'merge_conflict',
          `${providerName(upstream.provider)} cannot merge ${noun} ${task.prNumber} into ${task.baseBranch}: ${error.message}. Reject the task with a note to resolve it, or merge it there.`,
        );
      }
      throw await asAppError(ctx, upstream, error);
    }
  };
}
