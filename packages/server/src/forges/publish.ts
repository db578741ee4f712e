/**
 * @module forges/publish
 * Publishing a task's work to its repository's forge. When a run of a task whose repository has
 * an upstream succeeds after pushing the task's branch to Lucid's git server, the server (never
 * the runner) pushes that branch from its bare repository to the upstream with the upstream
 * user's forge token, then opens the pull (GitHub) or merge (GitLab) request into the task's base
 * branch, or refreshes the one already open. A task made from a forge issue gets the request's
 * link as a comment on the issue.
 *
 * Publishing never makes finishing a run fail or wait: it is a durable job (`forge.publish`, keyed
 * by the run, jobs/), run after the run's success is committed, one task at a time, taken up again
 * after a restart and retried with backoff while the forge is unreachable; each failed attempt is
 * an `error` event on the task, and the last failure a `task.status` reason. A push the upstream refuses as non-fast-forward leaves the
 * task `awaiting_merge`; {@link retryAfterRejectedPush} then starts a run that brings the work up
 * to date.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { EventBody, ForgeProvider, TaskEvent } from '@lucid/contracts';
import { connections, events, repositories, runs, tasks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import type { Principal } from '../principal.ts';
import { recordAudit } from '../audit/audit.ts';
import { loadRepo } from '../repos/repos.ts';
import { appendEvents, listEvents } from '../tasks/events.ts';
import { postMessage } from '../tasks/follow-ups.ts';
import type { RunRow, TaskRow } from '../tasks/queue.ts';
import type { MergeUpstream } from '../tasks/review.ts';
import { loadTask } from '../tasks/tasks.ts';
import { transitionTaskIfAllowed, type TaskAction } from '../tasks/lifecycle.ts';
import type { Db } from '../db/client.ts';
import { enqueueJob, type JobRow } from '../jobs/store.ts';
import { JobFailed, type JobAttempt, type JobHandler } from '../jobs/worker.ts';
import { forgeTokenFor, providerName, type ForgeContext } from './connections.ts';
import { ForgeError, type Forge, type PullRequest } from './forge.ts';
import { syncMirror } from './mirror.ts';
import { describePullRequest } from './pr-description.ts';
import { forgeFor } from './registry.ts';
import {
  fetchBranch,
  PushRejectedError,
  pushBranch,
  UpstreamAuthError,
  UpstreamForbiddenError,
  type UpstreamRemote,
} from './upstream-git.ts';

type RepoRow = typeof repositories.$inferSelect;

/** What publishing needs: forge connections, and where the bare repos and the web app are. */
export interface PublishContext extends ForgeContext {
  /** The folder holding the bare repos of the git server. */
  gitRoot: string;
  /** The server's public base URL, for links to tasks. */
  publicUrl: string;
}

/** A repository linked to a forge repository, and who acts on it there. */
interface Upstream {
  provider: ForgeProvider;
  fullName: string;
  userId: string;
}

/** The ref of Lucid's bare repository holding the upstream's copy of a task branch. */
export function upstreamCopyRef(branch: string): string {
  return `refs/lucid/upstream/${branch}`;
}

function upstreamOf(repo: RepoRow): Upstream | null {
  if (repo.provider === 'local' || !repo.upstreamFullName) return null;
  if (!repo.upstreamUserId) {
    throw new AppError(
      'integration_not_found',
      `No one's ${providerName(repo.provider)} account is linked to ${repo.name} any more; add it again from Settings → Integrations.`,
    );
  }
  return { provider: repo.provider, fullName: repo.upstreamFullName, userId: repo.upstreamUserId };
}

/** What the upstream user is called on the forge, for messages. */
async function loginOf(ctx: PublishContext, upstream: Upstream): Promise<string> {
  const [row] = await ctx.db
    .select({ login: connections.login })
    .from(connections)
    .where(
      and(eq(connections.userId, upstream.userId), eq(connections.provider, upstream.provider)),
    );
  return row?.login ?? 'the connected account';
}

/** The upstream user's token, the forge, and git's credentials for the repository. */
async function forgeSession(
  ctx: PublishContext,
  upstream: Upstream,
): Promise<{ token: string; forge: Forge; remote: UpstreamRemote }> {
  const token = await forgeTokenFor(ctx, upstream.userId, upstream.provider);
  const forge = forgeFor(ctx.forges, upstream.provider);
  return { token, forge, remote: forge.gitRemote(token, upstream.fullName) };
}

/** The refusal of an upstream user's token, as a sentence they can act on. */
async function refusedToken(ctx: PublishContext, upstream: Upstream): Promise<AppError> {
  const login = await loginOf(ctx, upstream);
  return new AppError(
    'invalid_forge_token',
    `${providerName(upstream.provider)} refused Lucid's token for ${login}: reconnect it in Settings → Integrations.`,
  );
}

/** Any failure of a publishing step, as an AppError with a sentence; never holds a token. */
async function asAppError(
  ctx: PublishContext,
  upstream: Upstream | null,
  error: unknown,
): Promise<AppError> {
  const name = upstream ? providerName(upstream.provider) : 'The forge';
  if (upstream && error instanceof UpstreamAuthError) return refusedToken(ctx, upstream);
  if (upstream && error instanceof UpstreamForbiddenError) {
    const login = await loginOf(ctx, upstream);
    return new AppError(
      'forge_error',
      `${name} does not let ${login} push to ${upstream.fullName}: give the account write access there, or add the repository again from an account that has it.`,
    );
  }
  if (upstream && error instanceof AppError && error.code === 'invalid_forge_token') {
    return refusedToken(ctx, upstream);
  }
  if (error instanceof AppError) return error;
  if (error instanceof ForgeError) {
    if (upstream && error.kind === 'unauthorized') return refusedToken(ctx, upstream);
    if (error.kind === 'forbidden' && upstream) {
      const login = await loginOf(ctx, upstream);
      return new AppError(
        'forge_error',
        `${name} refused the request: ${login} lacks a permission on ${upstream.fullName} (${error.message}).`,
      );
    }
    return new AppError('forge_error', `${name} refused the request: ${error.message}`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('forge_error', `Publishing to ${name} failed: ${message}`);
}

/** The result of publishing a branch: the push, and the request opened or refreshed. */
export interface Published {
  sha: string;
  pullRequest: (PullRequest & { created: boolean }) | null;
}

/**
 * Pushes `branch` to the upstream and, when asked, opens (or refreshes) its request into `base`.
 * Throws {@link PushRejectedError} on a non-fast-forward, and forge or git failures as they come.
 */
async function pushAndOpen(
  ctx: PublishContext,
  {
    repo,
    upstream,
    branch,
    base,
    describe,
  }: {
    repo: RepoRow;
    upstream: Upstream;
    branch: string;
    base: string;
    /** The request's title and body; none: push only. */
    describe: (() => Promise<{ title: string; body: string }>) | null;
  },
): Promise<Published & { forge: Forge; token: string }> {
  const { token, forge, remote } = await forgeSession(ctx, upstream);
  const { sha } = await pushBranch({
    repoPath: bareRepoPath(ctx.gitRoot, repo.id),
    remote,
    branch,
  });
  if (!describe) return { sha, pullRequest: null, forge, token };
  const { title, body } = await describe();
  const pullRequest = await forge.openPullRequest(token, {
    repo: upstream.fullName,
    head: branch,
    base,
    title,
    body,
  });
  return { sha, pullRequest, forge, token };
}

/** Events of one run, and of the whole task, oldest first. */
async function eventsOf(
  ctx: PublishContext,
  taskId: string,
  runId: string | null,
): Promise<{ all: TaskEvent[]; run: TaskEvent[] }> {
  const all: TaskEvent[] = [];
  for (let after = 0; ;) {
    const page = await listEvents(ctx.db, { taskId, after, limit: 5000 });
    all.push(...page);
    if (page.length < 5000) break;
    after = page.at(-1)?.seq ?? after;
  }
  return { all, run: runId ? all.filter((e) => e.runId === runId) : all };
}

/** Moves the task by `action` with a reason, unless it has meanwhile moved where that has no meaning. */
async function setStatus(
  ctx: PublishContext,
  {
    task,
    runId,
    action,
    reason,
  }: { task: TaskRow; runId: string | null; action: TaskAction; reason: string },
): Promise<void> {
  await transitionTaskIfAllowed(ctx.db, { taskId: task.id, action, runId, reason });
}

/** The kind of the job that publishes a run's work. */
export const PUBLISH_JOB = 'forge.publish';

/**
 * Stores the job publishing a run's work (once per run, however often it is asked for).
 *
 * @example
 * bus.on('run.succeeded', (run) => void enqueuePublish(db, run));
 */
export async function enqueuePublish(
  db: Db,
  { runId, taskId }: { runId: string; taskId: string },
): Promise<JobRow> {
  const { job } = await enqueueJob(db, {
    kind: PUBLISH_JOB,
    key: runId,
    taskId,
    payload: { runId },
  });
  return job;
}

/**
 * The handler of {@link PUBLISH_JOB}: publishes the work of a run that has succeeded. When its
 * task's repository has an upstream and the run pushed the task's branch (a run that made no
 * changes pushed nothing and is skipped), pushes it upstream, opens or refreshes the request, and
 * records it on the task (`upstream.push`, `pr.opened` or `pr.updated`). A failure the forge may
 * get over (unreachable, a 5xx, rate limits, a network error of git) is an `error` event saying
 * which attempt failed, then thrown to be retried; the last one, or any other, is recorded on
 * the task as before and ends the job.
 *
 * @example
 * new JobWorker({ db, handlers: { [PUBLISH_JOB]: publishJob(ctx) }, log });
 */
export function publishJob(ctx: PublishContext): JobHandler {
  return async (attempt) => {
    const runId = attempt.job.payload.runId;
    if (typeof runId !== 'string') throw new JobFailed('The job names no run.');
    await publishRun(ctx, runId, attempt);
  };
}

async function publishRun(ctx: PublishContext, runId: string, attempt: JobAttempt): Promise<void> {
  const [run] = await ctx.db.select().from(runs).where(eq(runs.id, runId));
  if (!run || run.status !== 'succeeded' || run.noChanges) return;
  const [task] = await ctx.db.select().from(tasks).where(eq(tasks.id, run.taskId));
  if (!task) return;
  const [repo] = await ctx.db.select().from(repositories).where(eq(repositories.id, task.repoId));
  if (!repo || repo.provider === 'local' || !repo.upstreamFullName) return;
  const history = await eventsOf(ctx, task.id, run.id);
  if (!history.run.some((e) => e.type === 'git.push' && e.branch === task.branch)) return;
  await publishTask(ctx, { task, repo, run, history, attempt });
}

async function publishTask(
  ctx: PublishContext,
  {
    task,
    repo,
    run,
    history,
    attempt,
  }: {
    task: TaskRow;
    repo: RepoRow;
    run: RunRow;
    history: { all: TaskEvent[]; run: TaskEvent[] };
    attempt: JobAttempt;
  },
): Promise<void> {
  let upstream: Upstream | null = null;
  try {
    upstream = upstreamOf(repo);
    if (!upstream) return;
    const found = upstream;
    const published = await pushAndOpen(ctx, {
      repo,
      upstream,
      branch: task.branch,
      base: task.baseBranch,
      describe: async () =>
        describePullRequest({
          task: { ...task, issue: task.externalRef?.issue ?? null },
          events: history.all,
          runEvents: history.run,
          taskUrl: `${ctx.publicUrl}/tasks/${task.id}`,
        }),
    });
    await appendEvents(ctx.db, {
      taskId: task.id,
      runId: run.id,
      events: [
        {
          type: 'upstream.push',
          provider: found.provider,
          branch: task.branch,
          sha: published.sha,
        },
      ],
    });
    const pr = published.pullRequest;
    if (!pr) return;
    const isNew = pr.created || task.prNumber !== pr.number;
    await ctx.db
      .update(tasks)
      .set({ prUrl: pr.url, prNumber: pr.number, updatedAt: new Date() })
      .where(eq(tasks.id, task.id));
    const event: EventBody = {
      type: isNew ? 'pr.opened' : 'pr.updated',
      provider: found.provider,
      url: pr.url,
      number: pr.number,
    };
    await appendEvents(ctx.db, { taskId: task.id, runId: run.id, events: [event] });
    if (isNew && task.externalRef) {
      const ref = task.externalRef;
      const noun = found.provider === 'github' ? 'pull request' : 'merge request';
      try {
        await published.forge.comment(published.token, {
          repo: ref.repo,
          issue: ref.issue,
          body: `Lucid opened a ${noun} for this issue: ${pr.url}`,
        });
      } catch (error) {
        const failure = await asAppError(ctx, found, error);
        await appendEvents(ctx.db, {
          taskId: task.id,
          runId: run.id,
          events: [
            {
              type: 'error',
              code: failure.code,
              message: `The link could not be posted on issue #${ref.issue}: ${failure.message}`,
            },
          ],
        });
      }
    }
  } catch (error) {
    if (!attempt.last && mayPassOver(error)) {
      await recordRetry(ctx, { task, runId: run.id, upstream, error, attempt });
      throw error;
    }
    await recordFailure(ctx, { task, runId: run.id, upstream, error });
    throw new JobFailed(error instanceof Error ? error.message : String(error));
  }
}

/**
 * True for a failure that trying again later may get over: the forge unreachable, answering
 * 5xx or rate-limited, or git failing for another reason than a refusal.
 */
function mayPassOver(error: unknown): boolean {
  if (error instanceof ForgeError)
    return error.kind === 'unreachable' || error.kind === 'rate_limited';
  if (
    error instanceof AppError ||
    error instanceof PushRejectedError ||
    error instanceof UpstreamAuthError ||
    error instanceof UpstreamForbiddenError
  ) {
    return false;
  }
  return error instanceof Error;
}

/** Tells the task that an attempt to publish failed and another follows. */
async function recordRetry(
  ctx: PublishContext,
  {
    task,
    runId,
    upstream,
    error,
    attempt,
  }: {
    task: TaskRow;
    runId: string;
    upstream: Upstream | null;
    error: unknown;
    attempt: JobAttempt;
  },
): Promise<void> {
  const failure = await asAppError(ctx, upstream, error);
  const noun = upstream?.provider === 'gitlab' ? 'merge request' : 'pull request';
  await appendEvents(ctx.db, {
    taskId: task.id,
    runId,
    events: [
      {
        type: 'error',
        code: failure.code,
        message:
          `The ${noun} is pending: attempt ${attempt.attempt} of ${attempt.maxAttempts} to publish ` +
          `failed (${failure.message}); Lucid tries again shortly.`,
      },
    ],
  });
}

/** Records why publishing failed: an `error` event, and the task's status saying what to do. */
async function recordFailure(
  ctx: PublishContext,
  {
    task,
    runId,
    upstream,
    error,
  }: { task: TaskRow; runId: string | null; upstream: Upstream | null; error: unknown },
): Promise<void> {
  const name = upstream ? providerName(upstream.provider) : 'the forge';
  if (error instanceof PushRejectedError && upstream) {
    const message =
      `${name} refused the push of ${task.branch} to ${upstream.fullName} (${error.detail}): the ` +
      `branch there has commits Lucid's copy lacks. Retry the task to have the agent bring its ` +
      `work up to date with them and with ${task.baseBranch}; Lucid pushes again when it is done.`;
    await appendEvents(ctx.db, {
      taskId: task.id,
      runId,
      events: [{ type: 'error', code: 'push_rejected', message }],
    });
    await setStatus(ctx, {
      task,
      runId,
      action: 'push_rejected',
      reason: message,
    });
    return;
  }
  const failure = await asAppError(ctx, upstream, error);
  await appendEvents(ctx.db, {
    taskId: task.id,
    runId,
    events: [{ type: 'error', code: failure.code, message: failure.message }],
  });
  await setStatus(ctx, {
    task,
    runId,
    action: 'publish_failed',
    reason: `The work was not published to ${name}: ${failure.message}`,
  });
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

/**
 * Approval of a task whose repository has an upstream: merges its pull or merge request on the
 * forge with the upstream user's token (the board's `approve`). `invalid_transition` before a
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
    const upstream = upstreamOf(repo);
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
 * const run = await retryAfterRejectedPush(ctx, { actor, taskId });
 */
export async function retryAfterRejectedPush(
  ctx: PublishContext,
  { actor, taskId }: { actor: Principal; taskId: string },
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
  const upstream = upstreamOf(repo);
  if (!upstream) {
    throw new AppError(
      'invalid_transition',
      `The repository of “${task.title}” has no upstream on a forge to push to.`,
    );
  }
  let copied: string | null;
  try {
    await syncMirror(ctx, repo.id);
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
  });
  if (!run) {
    throw new AppError('conflict', `“${task.title}” already has a run queued or running.`);
  }
  return run;
}

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
  const landed = await land(ctx, { repo, branch, pr });
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
  { repo, branch, pr }: { repo: RepoRow; branch: string; pr: boolean },
): Promise<Landed> {
  const upstream = upstreamOf(repo);
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

/** A landed branch's request: from the task on that branch when there is one, else the branch. */
async function landDescription(
  ctx: PublishContext,
  repo: RepoRow,
  branch: string,
): Promise<{ title: string; body: string }> {
  const [task] = await ctx.db
    .select()
    .from(tasks)
    .where(and(eq(tasks.repoId, repo.id), eq(tasks.branch, branch)))
    .orderBy(desc(tasks.createdAt))
    .limit(1);
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
