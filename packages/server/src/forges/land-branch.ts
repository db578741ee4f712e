/**
 * @module forges/land-branch
 * Landing a branch: pushing any branch of a repository from Lucid's git server to its upstream,
 * and opening its request when asked (`lucid land --pr`). The safety checks run first (safety/):
 * a finding or a breach of the workspace's policy refuses the land with 409 `safety_blocked`.
 */
import { and, desc, eq } from 'drizzle-orm';
import { runs, tasks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { recordAudit } from '../audit/audit.ts';
import { loadRepo } from '../repos/repos.ts';
import { providerName } from './connections.ts';
import { describePullRequest } from './pr-description.ts';
import { PushRejectedError } from './upstream-git.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import { checkBeforePush } from '../safety/before-push.ts';
import { runSafetyChecks } from '../safety/checks.ts';
import type { TaskRow } from '../tasks/runs.ts';
import { safetyPolicyOf } from '../workspaces/safety-policy.ts';
import {
  asAppError,
  eventsOf,
  knownSecrets,
  pushAndOpen,
  upstreamOf,
  type PublishContext,
  type RepoRow,
} from './upstream.ts';

/** What landing a branch did: the sha pushed, and the request when one was asked for. */
export interface Landed {
  branch: string;
  sha: string;
  pullRequest: { url: string; number: number; created: boolean } | null;
}

/**
 * Pushes `branch` of a repository from Lucid's git server to its upstream and, with `pr`, opens a
 * request into the repository's default branch (or refreshes the open one); audited as
 * `repo.land`. `lucid land --pr` calls it through `POST /api/v1/repos/{id}/land`.
 *
 * @example
 * await landBranch(ctx, { actor, repoId, branch: 'feature', pr: true });
 */
export async function landBranch(
  ctx: PublishContext,
  { actor, repoId, branch, pr }: { actor: Principal; repoId: string; branch: string; pr: boolean },
): Promise<Landed> {
  const repo = await loadRepo(ctx, actor.userId, repoId, 'member');
  const landed = await land(ctx, { repo, branch, pr, userId: actor.userId });
  await recordAudit(ctx.db, {
    actor,
    action: 'repo.land',
    targetType: 'repo',
    targetId: repo.id,
    workspaceId: repo.workspaceId,
    metadata: { branch, sha: landed.sha, pullRequest: landed.pullRequest?.url ?? null },
  });
  return landed;
}

async function land(
  ctx: PublishContext,
  { repo, branch, pr, userId }: { repo: RepoRow; branch: string; pr: boolean; userId: string },
): Promise<Landed> {
  const upstream = upstreamOf(repo, userId);
  if (!upstream) {
    throw new AppError(
      'bad_request',
      `${repo.name} has no upstream on GitHub or GitLab: push it to another remote with lucid land --remote.`,
    );
  }
  if (branch === repo.defaultBranch && pr) {
    throw new AppError(
      'bad_request',
      `${branch} is ${repo.name}'s default branch: a request needs another branch to merge from.`,
    );
  }
  const task = await taskOnBranch(ctx, repo, branch);
  const known = await knownSecrets(ctx, { userId, workspaceId: repo.workspaceId }, upstream);
  const blocked = await safetyBlock(ctx, { repo, branch, task, known });
  if (blocked) throw new AppError('safety_blocked', blocked);
  try {
    const published = await pushAndOpen(ctx, {
      repo,
      upstream,
      branch,
      base: repo.defaultBranch,
      describe: pr ? () => landDescription(ctx, repo, branch) : null,
    });
    const request = published.pullRequest;
    return {
      branch,
      sha: published.sha,
      pullRequest: request
        ? { url: request.url, number: request.number, created: request.created }
        : null,
    };
  } catch (error) {
    if (error instanceof PushRejectedError) {
      throw new AppError(
        'push_rejected',
        `${providerName(upstream.provider)} refused the push of ${branch} to ${upstream.fullName}: its ${branch} has commits Lucid's lacks (${error.detail}). Bring them into Lucid's branch first.`,
      );
    }
    throw await asAppError(ctx, upstream, error);
  }
}

/** The newest task of the repository working on `branch`, if any. */
async function taskOnBranch(
  ctx: PublishContext,
  repo: RepoRow,
  branch: string,
): Promise<TaskRow | null> {
  const [task] = await ctx.db
    .select()
    .from(tasks)
    .where(and(eq(tasks.repoId, repo.id), eq(tasks.branch, branch)))
    .orderBy(desc(tasks.createdAt))
    .limit(1);
  return task ?? null;
}

/**
 * The safety checks of the branch's change since the default branch: recorded on the task of the
 * branch when there is one (its allowed findings pass). Answers why the push is blocked, or null.
 */
async function safetyBlock(
  ctx: PublishContext,
  {
    repo,
    branch,
    task,
    known,
  }: { repo: RepoRow; branch: string; task: TaskRow | null; known: string[] },
): Promise<string | null> {
  const where = {
    repoPath: bareRepoPath(ctx.gitRoot, repo.id),
    baseRef: `refs/heads/${repo.defaultBranch}`,
    headRef: `refs/heads/${branch}`,
    known,
  };
  if (task) {
    return (await checkBeforePush(ctx.db, { ...where, task, runId: null })).blocked;
  }
  const checks = await runSafetyChecks({
    ...where,
    policy: await safetyPolicyOf(ctx.db, repo.workspaceId),
    allowed: new Set(),
  });
  const first = checks.find((c) => c.result === 'blocked');
  return first ? `Push blocked: ${first.summary}` : null;
}

/** A landed branch's request: from the task on that branch when there is one, else the branch. */
async function landDescription(
  ctx: PublishContext,
  repo: RepoRow,
  branch: string,
): Promise<{ title: string; body: string }> {
  const task = await taskOnBranch(ctx, repo, branch);
  if (task) {
    const history = await eventsOf(ctx, task.id, null);
    const [lastRun] = await ctx.db
      .select({ id: runs.id })
      .from(runs)
      .where(eq(runs.taskId, task.id))
      .orderBy(desc(runs.createdAt))
      .limit(1);
    return describePullRequest({
      task: { ...task, issue: task.externalRef?.issue ?? null },
      events: history.all,
      runEvents: lastRun ? history.all.filter((e) => e.runId === lastRun.id) : [],
      taskUrl: `${ctx.publicUrl}/tasks/${task.id}`,
    });
  }
  return {
    title: branch,
    body: `Branch \`${branch}\` of ${repo.name}, landed from Lucid.\n\n---\nOpened by Lucid.`,
  };
}
