/**
 * @module tasks/snapshots
 * What a runner may learn and change about the sandboxes it made: which task a sandbox is on (one
 * at most, recorded by a run the runner holds), which tasks still use them, and the workspace
 * snapshot that replaces a reaped sandbox. A task's sandbox is the runner's only when the run that
 * recorded it on the task was that runner's: a runner acts on no other. The snapshot lives in the
 * task's repository at `refs/lucid/snapshots/<branch>`, a ref the task's run tokens may push (see
 * git-hooks/pre-receive); the task records the commit itself, so a later push to that ref cannot
 * change what is restored.
 */
import { and, desc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { runs, tasks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { mintRunToken, revokeRunTokens } from '../auth/run-tokens.ts';

/** How long a snapshot token lasts: enough to commit and push one workspace. */
const SNAPSHOT_TOKEN_MS = 10 * 60_000;

/** The ref a task's workspace snapshot is pushed to. */
export function snapshotRef(branch: string): string {
  return `refs/lucid/snapshots/${branch}`;
}

/**
 * The runner whose run recorded a task's sandbox: that of the task's newest run naming it. Written
 * out in full, as Drizzle leaves the columns of a selected expression unqualified.
 */
const recorder = sql<string | null>`(
  select "runs"."runner_id" from "runs"
  where "runs"."task_id" = "tasks"."id" and "runs"."sandbox_id" = "tasks"."sandbox_id"
  order by "runs"."created_at" desc, "runs"."id" desc limit 1
)`;

/**
 * The runner that put the sandbox on the task (the runner of the task's newest run recording
 * it); null when the task does not hold that sandbox.
 *
 * @example
 * if ((await sandboxRunner(db, { taskId, sandboxId })) !== runnerId) sandboxId = null;
 */
export async function sandboxRunner(
  db: Db,
  { taskId, sandboxId }: { taskId: string; sandboxId: string },
): Promise<string | null> {
  const [row] = await db
    .select({ runnerId: recorder })
    .from(tasks)
    .where(and(eq(tasks.id, taskId), eq(tasks.sandboxId, sandboxId)));
  return row?.runnerId ?? null;
}

/**
 * Records the sandbox a run works in, on the run and on its task. Refused (409 `conflict`) when
 * another task holds that sandbox, or this task holds it from another runner: a sandbox belongs
 * to one task, and only to the runner that made it.
 */
export async function attachSandbox(
  db: Db,
  {
    runId,
    taskId,
    runnerId,
    sandboxId,
  }: { runId: string; taskId: string; runnerId: string; sandboxId: string },
): Promise<void> {
  const taken = new AppError('conflict', `The sandbox ${sandboxId} belongs to another task.`);
  try {
    await db.transaction(async (tx) => {
      const [holder] = await tx
        .select({ id: tasks.id, runnerId: recorder })
        .from(tasks)
        .where(eq(tasks.sandboxId, sandboxId));
      if (holder && (holder.id !== taskId || holder.runnerId !== runnerId)) throw taken;
      await tx.update(tasks).set({ sandboxId }).where(eq(tasks.id, taskId));
      await tx.update(runs).set({ sandboxId }).where(eq(runs.id, runId));
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw taken;
    throw error;
  }
}

/**
 * Which of the sandboxes are still on a task by this runner's doing: sandbox id → task id. The
 * others are orphans (or the runner's own warm pool).
 */
export async function sandboxTasks(
  db: Db,
  { runnerId, sandboxIds }: { runnerId: string; sandboxIds: string[] },
): Promise<Record<string, string>> {
  if (sandboxIds.length === 0) return {};
  const rows = await db
    .select({ taskId: tasks.id, sandboxId: tasks.sandboxId, runnerId: recorder })
    .from(tasks)
    .where(and(isNotNull(tasks.sandboxId), inArray(tasks.sandboxId, sandboxIds)));
  return Object.fromEntries(
    rows.flatMap((row) =>
      row.sandboxId && row.runnerId === runnerId ? [[row.sandboxId, row.taskId]] : [],
    ),
  );
}

/** The newest run of the task this runner held, which must have ended. */
async function lastHeldRun(db: Db, runnerId: string, taskId: string) {
  const [run] = await db
    .select({ id: runs.id, status: runs.status })
    .from(runs)
    .where(and(eq(runs.taskId, taskId), eq(runs.runnerId, runnerId)))
    .orderBy(desc(runs.createdAt))
    .limit(1);
  if (!run) throw new AppError('task_not_found', 'This runner never held a run of that task.');
  if (run.status === 'running') {
    throw new AppError('conflict', 'The task has a run in flight; its sandbox is in use.');
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
  const [task] = await db
    .select({ repoId: tasks.repoId, branch: tasks.branch, runnerId: recorder })
    .from(tasks)
    .where(and(eq(tasks.id, taskId), eq(tasks.sandboxId, sandboxId)));
  if (!task || task.runnerId !== runnerId) return null;
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
 * has meanwhile moved to another sandbox, or holds it from another runner. Revokes the snapshot
 * token.
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
    .where(
      and(eq(tasks.id, taskId), eq(tasks.sandboxId, sandboxId), sql`${recorder} = ${runnerId}`),
    );
  await revokeRunTokens(db, run.id);
}
