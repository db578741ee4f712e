/**
 * @module tasks/snapshots
 * What a runner may learn and change about the sandboxes it made: which tasks still use them, and
 * the workspace snapshot that replaces a reaped sandbox. A runner acts only on tasks whose runs it
 * held. The snapshot lives in the task's repository at `refs/lucid/snapshots/<branch>`, a ref the
 * task's run tokens may push (see git-hooks/pre-receive); the task records the commit itself, so a
 * later push to that ref cannot change what is restored.
 */
import { and, desc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { runs, tasks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { mintRunToken, revokeRunTokens } from './run-tokens.ts';

/** How long a snapshot token lasts: enough to commit and push one workspace. */
const SNAPSHOT_TOKEN_MS = 10 * 60_000;

/** The ref a task's workspace snapshot is pushed to. */
export function snapshotRef(branch: string): string {
  return `refs/lucid/snapshots/${branch}`;
}

/**
 * Which of the sandboxes still belong to a task this runner worked on: sandbox id → task id.
 * The others are orphans (or the runner's own warm pool).
 */
export async function sandboxTasks(
  db: Db,
  { runnerId, sandboxIds }: { runnerId: string; sandboxIds: string[] },
): Promise<Record<string, string>> {
  if (sandboxIds.length === 0) return {};
  const rows = await db
    .selectDistinct({ taskId: tasks.id, sandboxId: tasks.sandboxId })
    .from(tasks)
    .innerJoin(runs, and(eq(runs.taskId, tasks.id), eq(runs.runnerId, runnerId)))
    .where(and(isNotNull(tasks.sandboxId), inArray(tasks.sandboxId, sandboxIds)));
  return Object.fromEntries(rows.map((row) => [row.sandboxId ?? '', row.taskId]));
}

/** The newest run of the task this runner held, which must have ended. */
async function lastHeldRun(db: Db, runnerId: string, taskId: string) {
  const [run] = await db
    .select({ id: runs.id, status: runs.status })
    .from(runs)
    .where(and(eq(runs.taskId, taskId), eq(runs.runnerId, runnerId)))
    .orderBy(desc(runs.createdAt))
    .limit(1);
  if (!run) throw new AppError('task_not_found', `This runner never held a run of task ${taskId}.`);
  if (run.status === 'running') {
    throw new AppError('conflict', `Task ${taskId} has a run in flight; its sandbox is in use.`);
  }
  return run;
}

/**
 * A token to push the snapshot of the task's sandbox, or null when the task no longer uses that
 * sandbox (a later run moved elsewhere): then there is nothing to keep.
 *
 * @example
 * const grant = await snapshotGrant(db, { runnerId, taskId, sandboxId, sandboxUrl });
 * // git push --force <grant.cloneUrl> <sha>:<grant.ref>, with grant.token as the password
 */
export async function snapshotGrant(
  db: Db,
  {
    runnerId,
    taskId,
    sandboxId,
    sandboxUrl,
  }: { runnerId: string; taskId: string; sandboxId: string; sandboxUrl: string },
): Promise<{ cloneUrl: string; token: string; ref: string } | null> {
  const run = await lastHeldRun(db, runnerId, taskId);
  const [task] = await db.select().from(tasks).where(eq(tasks.id, taskId));
  if (!task || task.sandboxId !== sandboxId) return null;
  const token = await mintRunToken(db, {
    runId: run.id,
    repoId: task.repoId,
    branch: task.branch,
    ttlMs: SNAPSHOT_TOKEN_MS,
  });
  return {
    cloneUrl: `${sandboxUrl}/git/${task.repoId}.git`,
    token,
    ref: snapshotRef(task.branch),
  };
}

/**
 * Records that the task's sandbox was reaped: its snapshot commit (null when it held no
 * repository, and the previous snapshot stays) replaces the sandbox. Changes nothing when the task
 * has meanwhile moved to another sandbox. Revokes the snapshot token.
 */
export async function recordSnapshot(
  db: Db,
  {
    runnerId,
    taskId,
    sandboxId,
    sha,
  }: { runnerId: string; taskId: string; sandboxId: string; sha: string | null },
): Promise<void> {
  const run = await lastHeldRun(db, runnerId, taskId);
  await db
    .update(tasks)
    .set({ sandboxId: null, ...(sha ? { snapshotRef: sha } : {}) })
    .where(and(eq(tasks.id, taskId), eq(tasks.sandboxId, sandboxId)));
  await revokeRunTokens(db, run.id);
}
