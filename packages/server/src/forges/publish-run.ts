/**
 * @module forges/publish-run
 * Publishing a run's work to its repository's forge. When a run of a task whose repository has
 * an upstream succeeds after pushing the task's branch to Lucid's git server, the server (never
 * the runner) pushes that branch from its bare repository to the upstream with the task's
 * forge credential (its creator's own connection, else its workspace's; the task is told which
 * by a `credential.used` event), then opens the pull (GitHub) or merge (GitLab) request into the task's base
 * branch, or refreshes the one already open. A task made from a forge issue gets the request's
 * link as a comment on the issue. The request's opening or refresh is told as a domain event
 * (`pr.opened`, `pr.updated`, with the commit published) once it is recorded.
 *
 * Before anything is pushed, the safety checks run on the branch's change since its base branch
 * (safety/): a secret found, or a breach of the workspace's policy, blocks the push (the job ends,
 * not retried; the task stays in review saying “Push blocked: …”). They run for a task without an
 * upstream too, so its Safety panel has results, though nothing leaves Lucid then.
 *
 * Publishing never makes finishing a run fail or wait: it is a durable job (`forge.publish`, keyed
 * by the run, jobs/), run after the run's success is committed, one task at a time, taken up again
 * after a restart and retried with backoff while the forge is unreachable; each failed attempt is
 * a `pr.pending` event on the task, and the last failure a `task.status` reason. A request opened
 * is told as the domain event `pr.opened`, with its change. A push the upstream
 * refuses as non-fast-forward leaves the task `awaiting_merge` (forges/rejected-push.ts retries it).
 */
import { eq } from 'drizzle-orm';
import type { EventBody, TaskEvent } from '@lucid/contracts';
import { repositories, runs, tasks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { emitAfterCommit } from '../tasks/domain-events.ts';
import { appendEvents } from '../tasks/events.ts';
import type { RunRow, TaskRow } from '../tasks/runs.ts';
import { transitionTaskIfAllowed, type TaskAction } from '../tasks/lifecycle.ts';
import type { Db } from '../db/client.ts';
import { enqueueJob, type JobRow } from '../jobs/store.ts';
import { JobFailed, type JobAttempt, type JobHandler } from '../jobs/worker.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import { checkBeforePush } from '../safety/before-push.ts';
import { providerName } from './connections.ts';
import { ForgeError } from './forge.ts';
import { describePullRequest } from './pr-description.ts';
import { PushRejectedError, UpstreamAuthError, UpstreamForbiddenError } from './upstream-git.ts';
import {
  asAppError,
  eventsOf,
  knownSecrets,
  pushAndOpen,
  upstreamOf,
  usedConnection,
  type PublishContext,
  type RepoRow,
  type Upstream,
} from './upstream.ts';

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
  {
    runId,
    taskId,
    again,
    as,
  }: {
    runId: string;
    taskId: string;
    /** Publishing the run once more (after findings were allowed): what tells this try apart. */
    again?: number;
    /**
     * The best-of-N task whose kept attempt `runId` is a run of: the work is published as that
     * task's (its branch is the attempt's now), with its pull request.
     */
    as?: string;
  },
): Promise<JobRow> {
  const base = as === undefined ? runId : `${runId}:as:${as}`;
  const { job } = await enqueueJob(db, {
    kind: PUBLISH_JOB,
    key: again === undefined ? base : `${base}:again:${again}`,
    taskId: as ?? taskId,
    payload: { runId, ...(as ? { as } : {}) },
  });
  return job;
}

/**
 * The events a publish reads: the task's, and of the run those it stored; for a kept attempt's
 * run published as its best-of-N task's, the run's are its attempt's, added to the task's.
 */
async function historyOf(
  ctx: PublishContext,
  { task, own, runId }: { task: TaskRow; own: TaskRow; runId: string },
): Promise<{ all: TaskEvent[]; run: TaskEvent[] }> {
  if (task.id === own.id) return eventsOf(ctx, task.id, runId);
  const [mine, attempt] = await Promise.all([
    eventsOf(ctx, task.id, null),
    eventsOf(ctx, own.id, runId),
  ]);
  return { all: [...mine.all, ...attempt.run], run: attempt.run };
}

/**
 * The handler of {@link PUBLISH_JOB}: publishes the work of a run that has succeeded. When its
 * task's repository has an upstream and the run pushed the task's branch (a run that made no
 * changes pushed nothing and is skipped), pushes it upstream, opens or refreshes the request, and
 * records it on the task (`upstream.push`, `pr.opened` or `pr.updated`). A failure the forge may
 * get over (unreachable, a 5xx, rate limits, a network error of git) is a `pr.pending` event saying
 * which attempt failed and why, then thrown to be retried; the last one, or any other, is recorded on
 * the task as before and ends the job.
 *
 * @example
 * new JobWorker({ db, handlers: { [PUBLISH_JOB]: publishJob(ctx) }, log });
 */
export function publishJob(ctx: PublishContext): JobHandler {
  return async (attempt) => {
    const runId = attempt.job.payload.runId;
    if (typeof runId !== 'string') throw new JobFailed('The job names no run.');
    const as = attempt.job.payload.as;
    await publishRun(ctx, runId, typeof as === 'string' ? as : null, attempt);
  };
}

async function publishRun(
  ctx: PublishContext,
  runId: string,
  as: string | null,
  attempt: JobAttempt,
): Promise<void> {
  const [run] = await ctx.db.select().from(runs).where(eq(runs.id, runId));
  if (!run || run.status !== 'succeeded' || run.noChanges) return;
  const [own] = await ctx.db.select().from(tasks).where(eq(tasks.id, run.taskId));
  // An attempt's work is published only once it is kept, as its best-of-N task's.
  if (!own || (own.attemptOf !== null && as === null)) return;
  const [task] = as === null ? [own] : await ctx.db.select().from(tasks).where(eq(tasks.id, as));
  if (!task || (as !== null && own.attemptOf !== as)) return;
  const [repo] = await ctx.db.select().from(repositories).where(eq(repositories.id, task.repoId));
  if (!repo) return;
  const history = await historyOf(ctx, { task, own, runId: run.id });
  if (!history.run.some((e) => e.type === 'git.push' && e.branch === task.branch)) return;
  const upstream = upstreamOf(repo, task.createdBy);
  const { blocked } = await checkBeforePush(ctx.db, {
    task,
    repoPath: bareRepoPath(ctx.gitRoot, repo.id),
    baseRef: `refs/heads/${task.baseBranch}`,
    headRef: `refs/heads/${task.branch}`,
    runId: run.id,
    known: await knownSecrets(
      ctx,
      { workspaceId: task.workspaceId, userId: task.createdBy },
      upstream,
    ),
  });
  if (!upstream) return;
  if (blocked) {
    await setStatus(ctx, { task, runId: run.id, action: 'publish_failed', reason: blocked });
    throw new JobFailed(blocked);
  }
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
    upstream = upstreamOf(repo, task.createdBy);
    if (!upstream) return;
    const found = upstream;
    await reportCredential(ctx, { task, runId: run.id, upstream, events: history.all });
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
    const event: EventBody = {
      type: isNew ? 'pr.opened' : 'pr.updated',
      provider: found.provider,
      url: pr.url,
      number: pr.number,
    };
    await ctx.db.transaction(async (tx) => {
      await tx
        .update(tasks)
        .set({ prUrl: pr.url, prNumber: pr.number, updatedAt: new Date() })
        .where(eq(tasks.id, task.id));
      await appendEvents(tx, { taskId: task.id, runId: run.id, events: [event] });
      emitAfterCommit(tx, {
        type: isNew ? 'pr.opened' : 'pr.updated',
        taskId: task.id,
        runId: run.id,
        sha: published.sha,
        number: pr.number,
        url: pr.url,
      });
    });
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
    if (upstream && !attempt.last && mayPassOver(error)) {
      await recordRetry(ctx, { task, runId: run.id, upstream, error, attempt });
      throw error;
    }
    await recordFailure(ctx, { task, runId: run.id, upstream, error });
    throw new JobFailed(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Tells the task which forge connection its work uses (`credential.used`), when it is not the one
 * it was last told of.
 */
async function reportCredential(
  ctx: PublishContext,
  {
    task,
    runId,
    upstream,
    events,
  }: { task: TaskRow; runId: string; upstream: Upstream; events: TaskEvent[] },
): Promise<void> {
  const used = await usedConnection(ctx, upstream);
  if (!used) return;
  const event: EventBody = {
    type: 'credential.used',
    kind: 'forge',
    provider: upstream.provider,
    owner: used.owner === 'user' ? 'creator' : 'workspace',
    account: used.login,
  };
  const last = events.findLast((e) => e.type === 'credential.used' && e.kind === 'forge');
  if (
    last?.type === 'credential.used' &&
    last.provider === event.provider &&
    last.owner === event.owner &&
    last.account === event.account
  ) {
    return;
  }
  await appendEvents(ctx.db, { taskId: task.id, runId, events: [event] });
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

/** Tells the task that an attempt to publish failed and another follows (`pr.pending`). */
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
    upstream: Upstream;
    error: unknown;
    attempt: JobAttempt;
  },
): Promise<void> {
  await appendEvents(ctx.db, {
    taskId: task.id,
    runId,
    events: [
      {
        type: 'pr.pending',
        provider: upstream.provider,
        attempt: attempt.attempt,
        maxAttempts: attempt.maxAttempts,
        reason: await retryReason(ctx, upstream, error),
      },
    ],
  });
}

/** Why an attempt failed, in a few words: “GitHub answered 502”, or the failure's sentence. */
async function retryReason(
  ctx: PublishContext,
  upstream: Upstream,
  error: unknown,
): Promise<string> {
  const name = providerName(upstream.provider);
  if (error instanceof ForgeError && error.kind === 'rate_limited') {
    return `${name} is limiting the rate of Lucid's requests`;
  }
  if (error instanceof ForgeError && error.status !== undefined && error.status >= 500) {
    return `${name} answered ${error.status}`;
  }
  return (await asAppError(ctx, upstream, error)).message;
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
