/**
 * @module tasks/attempts
 * Best-of-N. A best-of-N task's attempts are tasks of their own (`attempt_of` names it), each with
 * its own branch (`<branch>-a<n>`), sandbox and runs, so the run, check and push code works on each
 * as on any task; they are left off the board and the tasks list. Once every attempt has finished
 * they are ranked: the check command passed first, then the smaller diff against the base branch
 * (lines added and removed), then the lower cost, then the attempt's number; an attempt that failed
 * or changed nothing comes after every one that has work to keep. Keeping one moves the best-of-N
 * task to review with the kept attempt's branch as its own (published as the task's, with its pull
 * request), and takes the sandboxes from the others (their runner's sweep removes them); the
 * others' branches are deleted by a job once the keep is committed (attempts/).
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Attempt, AttemptCheck, AttemptDiff, AttemptList, DiffStats } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { events, runs, tasks, usage, type AttemptScore } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { bareRepoPath, listBranches } from '../git/bare-repo.ts';
import { diffStats } from '../git/diff-stats.ts';
import { GitError, runGit } from '../git/run-git.ts';
import type { Principal } from '../principal.ts';
import { emitAfterCommit } from './domain-events.ts';
import { applyTransition, assertTransition, lockTask } from './lifecycle.ts';
import { loadTask } from './tasks.ts';
import type { TaskRow } from './runs.ts';

/** The statuses an attempt ends in: nothing of it is queued or running. */
const FINISHED = new Set<TaskRow['status']>(['todo', 'in_review', 'failed', 'cancelled', 'done']);

/** The most of a diff between two attempts that is answered, in characters. */
const DIFF_MAX_CHARS = 1_000_000;

/**
 * The last check command outcome of each task, by task id (tasks without one are absent).
 *
 * @example
 * const checks = await lastChecks(db, attempts.map((a) => a.id));
 */
export async function lastChecks(db: Db, taskIds: string[]): Promise<Map<string, AttemptCheck>> {
  const found = new Map<string, AttemptCheck>();
  if (taskIds.length === 0) return found;
  const rows = await db
    .selectDistinctOn([events.taskId], { taskId: events.taskId, payload: events.payload })
    .from(events)
    .where(and(inArray(events.taskId, taskIds), eq(events.type, 'check.result')))
    .orderBy(events.taskId, sql`${events.seq} desc`);
  for (const { taskId, payload } of rows) {
    found.set(taskId, {
      command: String(payload.command),
      passed: payload.passed === true,
      exitCode: typeof payload.exitCode === 'number' ? payload.exitCode : null,
      durationMs: Number(payload.durationMs ?? 0),
    });
  }
  return found;
}

/** The attempts of a best-of-N task, by number. */
export async function attemptsOf(db: Db, taskId: string): Promise<TaskRow[]> {
  return db
    .select()
    .from(tasks)
    .where(eq(tasks.attemptOf, taskId))
    .orderBy(asc(tasks.attemptNumber));
}

/**
 * How many attempts each best-of-N task has and how many passed the check command: the board
 * card's “3 attempts, 2 green”.
 */
export async function attemptTallies(
  db: Db,
  taskIds: string[],
): Promise<Map<string, { total: number; green: number }>> {
  const tallies = new Map<string, { total: number; green: number }>();
  if (taskIds.length === 0) return tallies;
  const children = await db
    .select({ id: tasks.id, of: tasks.attemptOf })
    .from(tasks)
    .where(inArray(tasks.attemptOf, taskIds));
  const checks = await lastChecks(
    db,
    children.map((child) => child.id),
  );
  for (const child of children) {
    if (!child.of) continue;
    const tally = tallies.get(child.of) ?? { total: 0, green: 0 };
    tally.total += 1;
    if (checks.get(child.id)?.passed) tally.green += 1;
    tallies.set(child.of, tally);
  }
  return tallies;
}

/** What each task's model calls cost, in US dollars, by task id. */
async function costsOf(db: Db, taskIds: string[]): Promise<Map<string, number>> {
  if (taskIds.length === 0) return new Map();
  const rows = await db
    .select({ taskId: usage.taskId, cost: sql<number>`coalesce(sum(${usage.costUsd}), 0)` })
    .from(usage)
    .where(inArray(usage.taskId, taskIds))
    .groupBy(usage.taskId);
  return new Map(rows.map((row) => [row.taskId, Number(row.cost)]));
}

/** Each attempt's branch against the base branch, in order; null where its branch is gone. */
async function attemptStats(
  gitRoot: string,
  task: TaskRow,
  attempts: TaskRow[],
): Promise<(DiffStats | null)[]> {
  const repoPath = bareRepoPath(gitRoot, task.repoId);
  const tips = new Map((await listBranches(repoPath)).map((branch) => [branch.name, branch.sha]));
  const base = tips.get(task.baseBranch);
  const pairs = attempts.map((attempt) => {
    const tip = tips.get(attempt.branch);
    return base && tip ? { base, tip } : null;
  });
  const answers = await diffStats(
    repoPath,
    pairs.filter((pair) => pair !== null),
  );
  let next = 0;
  return pairs.map((pair) => (pair ? (answers[next++] ?? null) : null));
}

/**
 * Orders scored attempts, best first: work to keep (in review) before the rest, then checks
 * passed, then fewer lines changed, then lower cost, then the earlier attempt.
 *
 * @example
 * rankScores([{ id: 'a', number: 1, keepable: true, score: { checksPassed: true, linesChanged: 9, costUsd: 0 } }, …]);
 */
export function rankScores<T extends { number: number; keepable: boolean; score: AttemptScore }>(
  scored: T[],
): T[] {
  return [...scored].sort(
    (a, b) =>
      Number(b.keepable) - Number(a.keepable) ||
      Number(b.score.checksPassed) - Number(a.score.checksPassed) ||
      a.score.linesChanged - b.score.linesChanged ||
      a.score.costUsd - b.score.costUsd ||
      a.number - b.number,
  );
}

/**
 * Ranks a best-of-N task's attempts once every one has finished, storing each one's rank and
 * score; returns the top attempt that has work to keep (null: none has, or some still run, or they
 * were ranked already). When none has work to keep, the task fails saying so.
 */
export async function rankAttempts(
  db: Db,
  { gitRoot, taskId }: { gitRoot: string; taskId: string },
): Promise<{ task: TaskRow; top: TaskRow | null } | null> {
  const [task] = await db.select().from(tasks).where(eq(tasks.id, taskId));
  if (!task || task.status !== 'running') return null;
  const attempts = await attemptsOf(db, taskId);
  if (attempts.length === 0 || attempts.some((attempt) => !FINISHED.has(attempt.status))) {
    return null;
  }
  if (attempts.every((attempt) => attempt.attemptRank !== null)) return null;
  const ids = attempts.map((attempt) => attempt.id);
  const [checks, costs, stats] = await Promise.all([
    lastChecks(db, ids),
    costsOf(db, ids),
    attemptStats(gitRoot, task, attempts),
  ]);
  const ranked = rankScores(
    attempts.map((attempt, index) => {
      const diff = stats[index];
      return {
        attempt,
        number: attempt.attemptNumber ?? index + 1,
        keepable: attempt.status === 'in_review',
        score: {
          checksPassed: checks.get(attempt.id)?.passed ?? false,
          linesChanged: diff ? diff.insertions + diff.deletions : 0,
          costUsd: costs.get(attempt.id) ?? 0,
        },
      };
    }),
  );
  return db.transaction(async (tx) => {
    const locked = await lockTask(tx, taskId);
    if (locked.status !== 'running') return null;
    for (const [index, { attempt, score }] of ranked.entries()) {
      await tx
        .update(tasks)
        .set({ attemptRank: index + 1, attemptScore: score })
        .where(eq(tasks.id, attempt.id));
    }
    const top = ranked[0]?.keepable ? ranked[0].attempt : null;
    if (!top) {
      await applyTransition(tx, locked, {
        action: 'fail',
        reason: `None of its ${attempts.length} attempts left work to keep.`,
      });
    }
    return { task: locked, top };
  });
}

/**
 * Keeps one attempt of a best-of-N task: the task goes to review with the attempt's branch as its
 * own, the other attempts lose their sandboxes (their runner's sweep removes them), and
 * `attempt.kept` is told once committed (its publish and the removal of the others' branches
 * follow as jobs). 409 `invalid_transition` unless the task waits for an attempt to be kept; 409
 * `conflict` for an attempt with nothing to keep.
 *
 * @example
 * const task = await keepAttempt(db, { actor, taskId, attemptId });
 */
export async function keepAttempt(
  db: Db,
  { actor, taskId, attemptId }: { actor: Principal | null; taskId: string; attemptId: string },
): Promise<TaskRow> {
  if (actor) await loadTask(db, actor.userId, taskId, 'member');
  return db.transaction(async (tx) => {
    const task = await lockTask(tx, taskId);
    const [attempt] = await tx
      .select()
      .from(tasks)
      .where(and(eq(tasks.id, attemptId), eq(tasks.attemptOf, taskId)));
    if (!attempt) throw attemptNotFound();
    assertTransition(task, 'keep');
    if (attempt.status !== 'in_review') {
      throw new AppError(
        'conflict',
        `Attempt ${attempt.attemptNumber ?? ''} of “${task.title}” has no work to keep: it is ` +
          `${attempt.status.replace('_', ' ')}. Keep one that is in review.`,
      );
    }
    const [run] = await tx
      .select({ id: runs.id })
      .from(runs)
      .where(and(eq(runs.taskId, attempt.id), eq(runs.status, 'succeeded')))
      .orderBy(sql`${runs.finishedAt} desc nulls last`)
      .limit(1);
    await tx
      .update(tasks)
      .set({ sandboxId: null, snapshotRef: null })
      .where(and(eq(tasks.attemptOf, taskId), sql`${tasks.id} <> ${attempt.id}`));
    const moved = await applyTransition(tx, task, {
      action: 'keep',
      runId: run?.id ?? null,
      reason: `Attempt ${attempt.attemptNumber ?? ''} was kept: its branch ${attempt.branch} is the task's.`,
      ...(actor
        ? { actor, audit: { metadata: { attemptId: attempt.id, branch: attempt.branch } } }
        : {}),
    });
    const [kept] = await tx
      .update(tasks)
      .set({ branch: attempt.branch, keptAttemptId: attempt.id, updatedAt: new Date() })
      .where(eq(tasks.id, taskId))
      .returning();
    emitAfterCommit(tx, {
      type: 'attempt.kept',
      taskId,
      attemptId: attempt.id,
      runId: run?.id ?? null,
    });
    return kept ?? moved;
  });
}

function attemptNotFound(): AppError {
  return new AppError('attempt_not_found', 'This task has no such attempt.');
}

/**
 * A best-of-N task's attempts as its page shows them: status, check, diff stats, cost and rank
 * (none for a task of one). 404 `task_not_found` for a task the caller may not see.
 */
export async function listAttempts(
  db: Db,
  { gitRoot, userId, taskId }: { gitRoot: string; userId: string; taskId: string },
): Promise<AttemptList> {
  const task = await loadTask(db, userId, taskId, 'member');
  const attempts = await attemptsOf(db, task.id);
  const ids = attempts.map((attempt) => attempt.id);
  const [checks, costs, stats] = await Promise.all([
    lastChecks(db, ids),
    costsOf(db, ids),
    attemptStats(gitRoot, task, attempts),
  ]);
  return {
    keep: task.keepMode ?? 'choose',
    ranked: attempts.length > 0 && attempts.every((attempt) => attempt.attemptRank !== null),
    keptAttemptId: task.keptAttemptId,
    attempts: attempts.map((attempt, index): Attempt => ({
      id: attempt.id,
      number: attempt.attemptNumber ?? index + 1,
      status: attempt.status,
      agent: attempt.agent,
      model: attempt.model,
      branch: attempt.branch,
      check: checks.get(attempt.id) ?? null,
      diffStats: stats[index] ?? null,
      costUsd: costs.get(attempt.id) ?? 0,
      rank: attempt.attemptRank,
      kept: task.keptAttemptId === attempt.id,
      discarded: task.keptAttemptId !== null && task.keptAttemptId !== attempt.id,
    })),
  };
}

/**
 * What attempt `b` changes against attempt `a`: `git diff` of their branches' heads in Lucid's
 * copy (cut at 1,000,000 characters; an attempt that pushed nothing counts as its base branch).
 * 404 `attempt_not_found` for an attempt not of this task; 409 `conflict` for one discarded when
 * another was kept.
 */
export async function diffAttempts(
  db: Db,
  {
    gitRoot,
    userId,
    taskId,
    a,
    b,
  }: { gitRoot: string; userId: string; taskId: string; a: string; b: string },
): Promise<AttemptDiff> {
  const task = await loadTask(db, userId, taskId, 'member');
  const rows = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.attemptOf, task.id), inArray(tasks.id, [a, b])));
  const from = rows.find((row) => row.id === a);
  const to = rows.find((row) => row.id === b);
  if (!from || !to) throw attemptNotFound();
  const repoPath = bareRepoPath(gitRoot, task.repoId);
  const tips = new Map((await listBranches(repoPath)).map((branch) => [branch.name, branch.sha]));
  // An attempt that pushed nothing stands where its base branch does; a discarded one is gone.
  const headOf = (attempt: TaskRow): string | undefined => {
    if (task.keptAttemptId !== null && task.keptAttemptId !== attempt.id) {
      throw new AppError(
        'conflict',
        `Attempt ${attempt.attemptNumber ?? ''} was removed when another attempt was kept: there is nothing of it to compare.`,
      );
    }
    return tips.get(attempt.branch) ?? tips.get(task.baseBranch);
  };
  const fromSha = headOf(from);
  const toSha = headOf(to);
  if (!fromSha || !toSha) throw attemptNotFound();
  let diff: string;
  try {
    diff = await runGit(['diff', '--no-color', '-M', fromSha, toSha, '--'], { cwd: repoPath });
  } catch (error) {
    if (error instanceof GitError) throw attemptNotFound();
    throw error;
  }
  const truncated = diff.length > DIFF_MAX_CHARS;
  return { a, b, diff: truncated ? diff.slice(0, DIFF_MAX_CHARS) : diff, truncated };
}
