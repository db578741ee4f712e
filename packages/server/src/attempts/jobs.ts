/**
 * @module attempts/jobs
 * What follows a best-of-N task's attempts, as durable jobs: when an attempt's run ends, ranking
 * the attempts once all have finished (`attempts.rank`, which in auto mode keeps the top one), and
 * once one is kept, deleting the others' branches and snapshots from Lucid's git server
 * (`attempts.discard`). Their sandboxes go with their runner's next sweep, since keeping took them
 * from their tasks (tasks/attempts.ts).
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { tasks } from '../db/schema.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import { runGit } from '../git/run-git.ts';
import { enqueueJob } from '../jobs/store.ts';
import type { JobHandler } from '../jobs/worker.ts';
import { attemptsOf, keepAttempt, rankAttempts } from '../tasks/attempts.ts';
import { notifyRefs } from '../tasks/live-channel.ts';

/** The kind of the job ranking a best-of-N task's attempts. */
export const RANK_JOB = 'attempts.rank';

/** The kind of the job removing the branches of the attempts not kept. */
export const DISCARD_JOB = 'attempts.discard';

/**
 * Stores the ranking job of the best-of-N task whose attempt's run ended (nothing for a run of
 * any other task), in the transaction ending it.
 *
 * @example
 * events.within('run.succeeded', (run, tx) => enqueueRank(tx, run));
 */
export async function enqueueRank(
  db: Db,
  { runId, taskId }: { runId: string; taskId: string },
): Promise<void> {
  const [task] = await db
    .select({ attemptOf: tasks.attemptOf })
    .from(tasks)
    .where(eq(tasks.id, taskId));
  if (!task?.attemptOf) return;
  await enqueueJob(db, {
    kind: RANK_JOB,
    key: runId,
    taskId: task.attemptOf,
    payload: { taskId: task.attemptOf },
  });
}

/**
 * The handler of {@link RANK_JOB}: ranks the attempts once every one has finished, and in auto
 * mode keeps the top one.
 */
export function rankJob(ctx: { db: Db; gitRoot: string }): JobHandler {
  return async ({ job }) => {
    const taskId = job.payload.taskId;
    if (typeof taskId !== 'string') return;
    const ranked = await rankAttempts(ctx.db, { gitRoot: ctx.gitRoot, taskId });
    if (ranked?.top && ranked.task.keepMode === 'auto') {
      await keepAttempt(ctx.db, { actor: null, taskId, attemptId: ranked.top.id });
    }
  };
}

/** Stores the job removing the other attempts' branches, in the transaction keeping one. */
export async function enqueueDiscard(
  db: Db,
  { taskId, attemptId }: { taskId: string; attemptId: string },
): Promise<void> {
  await enqueueJob(db, { kind: DISCARD_JOB, key: attemptId, taskId, payload: { taskId } });
}

/**
 * The handler of {@link DISCARD_JOB}: deletes the branches (and workspace snapshots) of every
 * attempt but the kept one from Lucid's copy of the repository.
 */
export function discardJob(ctx: { db: Db; gitRoot: string }): JobHandler {
  return async ({ job }) => {
    const taskId = job.payload.taskId;
    if (typeof taskId !== 'string') return;
    const [task] = await ctx.db.select().from(tasks).where(eq(tasks.id, taskId));
    if (!task?.keptAttemptId) return;
    const others = (await attemptsOf(ctx.db, taskId)).filter(
      (attempt) => attempt.id !== task.keptAttemptId,
    );
    const repoPath = bareRepoPath(ctx.gitRoot, task.repoId);
    const present = new Set(
      (
        await runGit(
          ['for-each-ref', '--format=%(refname)', 'refs/heads', 'refs/lucid/snapshots'],
          {
            cwd: repoPath,
          },
        )
      ).split('\n'),
    );
    const refs = others
      .flatMap((attempt) => [
        `refs/heads/${attempt.branch}`,
        `refs/lucid/snapshots/${attempt.branch}`,
      ])
      .filter((ref) => present.has(ref));
    if (refs.length === 0) return;
    for (const ref of refs) await runGit(['update-ref', '-d', ref], { cwd: repoPath });
    await notifyRefs(ctx.db, task.repoId);
  };
}
