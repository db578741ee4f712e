/**
 * @module tasks/review
 * The board's transitions of a task, each refused with `invalid_transition` where it has no
 * meaning from the task's status:
 *
 * - `start`: To Do or cancelled → queued. Its first run works on the prompt; after a rejection the
 *   run is told why the work was sent back (a `message.user` holding the review note).
 * - `approve`: In Review → done. The task's branch is merged into its base branch: in Lucid's git
 *   server for a repository without an upstream, through `mergeUpstream` (the forge) otherwise.
 * - `reject`: In Review, awaiting merge or failed → To Do, with the reason stored as the review
 *   note and a `review` event; the branch is kept.
 * - `retry`: failed or cancelled → queued: a new run like the last one, on the same branch, in the
 *   task's sandbox or restored from its snapshot.
 *
 * Cancelling is `tasks/cancel.ts`. Each change goes through `tasks/lifecycle.ts`: it locks the task
 * row, checks the transition table, stores its events and its audit entry in one transaction.
 */
import { desc, eq } from 'drizzle-orm';
import type { EventBody, MergeStrategy } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { repositories, runs, users, type RunSpec } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import { mergeBranch } from '../git/merge.ts';
import type { RepoContext } from '../repos/repos.ts';
import { appendEvents } from './events.ts';
import { firstPromptSeq } from './first-prompt.ts';
import { notifyRefs } from './live-channel.ts';
import { applyTransition, assertTransition, lockTask, transitionTask } from './lifecycle.ts';
import { enqueueRun, type RunRow, type TaskRow } from './queue.ts';
import { loadTask } from './tasks.ts';

/** What merging a task's branch on its forge did: merged now, or left for the forge to merge. */
export type UpstreamMerge =
  { kind: 'merged'; sha: string; strategy: MergeStrategy } | { kind: 'awaiting_merge' };

/**
 * Merges an approved task of a repository with an upstream (GitHub, GitLab) on its forge. The
 * forge code supplies it; it throws `AppError` (`merge_conflict`, `forge_error`, …) when it cannot.
 */
export type MergeUpstream = (input: { task: TaskRow; actor: Principal }) => Promise<UpstreamMerge>;

/**
 * Retries a task whose push to its forge was refused (`awaiting_merge`): the forge code supplies
 * it; it answers the new run.
 */
export type RetryRejectedPush = (input: { taskId: string; actor: Principal }) => Promise<RunRow>;

export interface ReviewContext extends RepoContext {
  /** Approval for repositories with an upstream; absent, they are refused with `forge_error`. */
  mergeUpstream?: MergeUpstream | undefined;
  /** Retry of an `awaiting_merge` task whose push upstream was refused. */
  retryRejectedPush?: RetryRejectedPush | undefined;
}

export interface ApprovedTask {
  task: TaskRow;
  /** Null while the forge has yet to merge it (the task is `awaiting_merge`). */
  merge: { branch: string; into: string; sha: string; strategy: MergeStrategy } | null;
}

/** The spec of the task's newest run, if it has one. */
async function lastSpec(tx: Db, taskId: string): Promise<RunSpec | null> {
  const [run] = await tx
    .select({ spec: runs.spec })
    .from(runs)
    .where(eq(runs.taskId, taskId))
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(1);
  return run?.spec ?? null;
}

/** The text of the message that gives a run the reason its task's work was sent back. */
export function reviewPrompt(note: string): string {
  return [
    'Your previous work on this task was reviewed and sent back. The reviewer said:',
    '',
    note,
    '',
    'Change the work on this branch to address it.',
  ].join('\n');
}

/**
 * Starts a task from To Do (or again after it was cancelled): queues an agent run on the prompt,
 * or, when the work was sent back, on the review note.
 *
 * @example
 * const run = await startTask(ctx, { actor, taskId });
 */
export async function startTask(
  ctx: ReviewContext,
  { actor, taskId }: { actor: Principal; taskId: string },
): Promise<RunRow> {
  const found = await loadTask(ctx.db, actor.userId, taskId, 'member');
  return ctx.db.transaction(async (tx) => {
    const task = await lockTask(tx, found.id);
    assertTransition(task, 'start');
    const previous = await lastSpec(tx, task.id);
    let spec: RunSpec;
    if (previous && (task.status === 'cancelled' || !previous.agent)) {
      spec = previous;
    } else if (previous) {
      const text = task.reviewNote ? reviewPrompt(task.reviewNote) : task.prompt;
      spec = await agentSpec(tx, task, previous, text);
    } else {
      spec = await firstSpec(tx, task);
    }
    return enqueueRun(tx, { taskId: task.id, spec, action: 'start', actor });
  });
}

function agentOf(task: TaskRow): NonNullable<RunSpec['agent']> {
  return (task.agent ?? 'lucid') as NonNullable<RunSpec['agent']>;
}

/** The first run of a task that never ran: its agent on its prompt, the conversation's first message. */
async function firstSpec(tx: Db, task: TaskRow): Promise<RunSpec> {
  if (!task.agent) {
    throw new AppError(
      'no_agent',
      `“${task.title}” runs shell commands only; queue a run with its commands instead.`,
    );
  }
  const promptSeq = await firstPromptSeq(tx, task);
  return {
    commands: [],
    agent: agentOf(task),
    prompt: task.prompt,
    ...(task.model ? { model: task.model } : {}),
    ...(promptSeq !== undefined ? { promptSeq } : {}),
  };
}

/**
 * An agent run's spec on a new user message `text`, stored as the conversation's next
 * `message.user`, with the agent and model of the last run.
 */
async function agentSpec(
  tx: Db,
  task: TaskRow,
  previous: RunSpec | null,
  text: string,
): Promise<RunSpec> {
  const [stored] = await appendEvents(tx, {
    taskId: task.id,
    runId: null,
    events: [{ type: 'message.user', text }],
  });
  return {
    commands: [],
    agent: agentOf(task),
    ...(task.model ? { model: task.model } : {}),
    ...previous,
    prompt: text,
    ...(stored ? { promptSeq: stored.seq } : {}),
  };
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

/**
 * Runs a failed or cancelled task again like its last run, on its branch (in its sandbox or
 * restored from its snapshot). A task `awaiting_merge` is handed to `retryRejectedPush`.
 *
 * @example
 * const run = await retryTask(ctx, { actor, taskId });
 */
export async function retryTask(
  ctx: ReviewContext,
  { actor, taskId }: { actor: Principal; taskId: string },
): Promise<RunRow> {
  const found = await loadTask(ctx.db, actor.userId, taskId, 'member');
  if (found.status === 'awaiting_merge' && ctx.retryRejectedPush) {
    return ctx.retryRejectedPush({ taskId: found.id, actor });
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
    return enqueueRun(tx, { taskId: task.id, spec, action: 'retry', actor });
  });
}
