/**
 * @module jobs/store
 * The jobs table is the queue of durable work, on the pattern of the runs table: a job is stored
 * once per kind and key, claimed with `SELECT … FOR UPDATE SKIP LOCKED` and held until
 * `locked_until`, which the worker renews while it works; a claim whose holder vanished is taken
 * again once that time has passed. One task's jobs of a kind are never claimed at once (a
 * transaction-scoped advisory lock per kind and task decides between claimers). The same
 * statements serve PGlite and many servers on one PostgreSQL.
 */
import { and, asc, eq, inArray, isNull, lt, lte, notInArray, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { jobs } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { emitAfterCommit } from '../tasks/domain-events.ts';

export type JobRow = typeof jobs.$inferSelect;

/** How many due jobs one claim tries (passing over those whose task is busy) before it gives up. */
const CANDIDATES = 10;

/**
 * Stores a job unless one of that kind and key exists (then answers that one, unchanged). May be
 * called inside a transaction: the job is stored with the change that asked for it, and the
 * workers hear of it (`job.queued`) once that commits.
 *
 * @example
 * await enqueueJob(tx, { kind: 'forge.publish', key: run.id, taskId: run.taskId, payload: { runId } });
 */
export async function enqueueJob(
  db: Db,
  {
    kind,
    key,
    taskId = null,
    payload = {},
    maxAttempts,
    runAt,
  }: {
    kind: string;
    key: string;
    taskId?: string | null;
    payload?: Record<string, unknown>;
    maxAttempts?: number;
    /** Not before this time (a follow-up that looks again later); now unless given. */
    runAt?: Date;
  },
): Promise<{ job: JobRow; created: boolean }> {
  const [stored] = await db
    .insert(jobs)
    .values({
      id: newId('job'),
      kind,
      key,
      taskId,
      payload,
      ...(maxAttempts ? { maxAttempts } : {}),
      ...(runAt ? { runAt } : {}),
    })
    .onConflictDoNothing({ target: [jobs.kind, jobs.key] })
    .returning();
  if (stored) {
    emitAfterCommit(db, { type: 'job.queued', jobId: stored.id, kind });
    return { job: stored, created: true };
  }
  const [existing] = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.kind, kind), eq(jobs.key, key)));
  if (!existing) throw new AppError('internal', 'The job was neither stored nor found.');
  return { job: existing, created: false };
}

/** Another job of the outer row's kind and task that runs, under a claim still held. */
const runningSibling = sql`SELECT 1 FROM jobs AS sibling
  WHERE sibling.kind = ${jobs.kind} AND sibling.task_id = ${jobs.taskId}
    AND sibling.status = 'running' AND sibling.locked_until >= now() AND sibling.id <> ${jobs.id}`;

/**
 * Claims the job of `kinds` due first, for `lockMs`, counting an attempt: a queued job whose time
 * has come, or a running one whose claim expired. Skips a job while another job of its kind and
 * task runs. Null when none can run now.
 */
export async function claimJob(
  db: Db,
  { kinds, lockMs }: { kinds: string[]; lockMs: number },
): Promise<JobRow | null> {
  if (kinds.length === 0) return null;
  return db.transaction(async (tx) => {
    const passed: string[] = [];
    for (let tries = 0; tries < CANDIDATES; tries++) {
      const [candidate] = await tx
        .select({ id: jobs.id, kind: jobs.kind, taskId: jobs.taskId })
        .from(jobs)
        .where(
          and(
            inArray(jobs.kind, kinds),
            or(
              and(eq(jobs.status, 'queued'), lte(jobs.runAt, sql`now()`)),
              and(eq(jobs.status, 'running'), lt(jobs.lockedUntil, sql`now()`)),
            ),
            or(isNull(jobs.taskId), sql`NOT EXISTS (${runningSibling})`),
            passed.length > 0 ? notInArray(jobs.id, passed) : undefined,
          ),
        )
        .orderBy(asc(jobs.runAt), asc(jobs.createdAt), asc(jobs.id))
        .limit(1)
        .for('update', { skipLocked: true });
      if (!candidate) return null;
      if (candidate.taskId && !(await taskIsFree(tx, { ...candidate, taskId: candidate.taskId }))) {
        passed.push(candidate.id);
        continue;
      }
      const [claimed] = await tx
        .update(jobs)
        .set({
          status: 'running',
          attempts: sql`${jobs.attempts} + 1`,
          lockedUntil: sql`now() + ${lockMs} * interval '1 millisecond'`,
          updatedAt: new Date(),
        })
        .where(eq(jobs.id, candidate.id))
        .returning();
      return claimed ?? null;
    }
    return null;
  });
}

/**
 * True when no other job of the kind runs for the task, holding the kind and task's advisory lock
 * to the end of the claim's transaction (a claimer that cannot take it at once moves on).
 */
async function taskIsFree(
  tx: Db,
  { id, kind, taskId }: { id: string; kind: string; taskId: string },
): Promise<boolean> {
  const result = await tx.execute(
    sql`SELECT pg_try_advisory_xact_lock(hashtextextended(${`${kind}:${taskId}`}, 0)) AS locked`,
  );
  const { rows } = result as unknown as { rows: { locked: boolean }[] };
  if (!rows[0]?.locked) return false;
  const [busy] = await tx
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        eq(jobs.kind, kind),
        eq(jobs.taskId, taskId),
        eq(jobs.status, 'running'),
        sql`${jobs.lockedUntil} >= now()`,
        sql`${jobs.id} <> ${id}`,
      ),
    )
    .limit(1);
  return !busy;
}

/** The claim of one attempt: the job, and which attempt holds it. */
export type JobClaim = Pick<JobRow, 'id' | 'attempts'>;

/** The claim's own job, while that attempt still holds it. */
function held(claim: JobClaim) {
  return and(eq(jobs.id, claim.id), eq(jobs.status, 'running'), eq(jobs.attempts, claim.attempts));
}

/** Extends a claim; false when it is no longer this attempt's (it expired and was taken). */
export async function renewJob(
  db: Db,
  { claim, lockMs }: { claim: JobClaim; lockMs: number },
): Promise<boolean> {
  const renewed = await db
    .update(jobs)
    .set({ lockedUntil: sql`now() + ${lockMs} * interval '1 millisecond'` })
    .where(held(claim))
    .returning({ id: jobs.id });
  return renewed.length > 0;
}

/**
 * Stores what an attempt has done so far in its job's payload, while that attempt holds it: a
 * later attempt reads it and skips the steps already done.
 *
 * @example
 * await saveJobPayload(db, { claim, payload: { ...job.payload, commented: true } });
 */
export async function saveJobPayload(
  db: Db,
  { claim, payload }: { claim: JobClaim; payload: Record<string, unknown> },
): Promise<void> {
  await db.update(jobs).set({ payload }).where(held(claim));
}

/** Marks the claimed attempt's job done. */
export async function completeJob(db: Db, claim: JobClaim): Promise<void> {
  await db
    .update(jobs)
    .set({ status: 'succeeded', lockedUntil: null, updatedAt: new Date() })
    .where(held(claim));
}

/**
 * Records a failed attempt: the job is queued again after `retryInMs`, or, with null, has failed
 * for good.
 */
export async function failJob(
  db: Db,
  { claim, error, retryInMs }: { claim: JobClaim; error: string; retryInMs: number | null },
): Promise<void> {
  await db
    .update(jobs)
    .set(
      retryInMs === null
        ? { status: 'failed', lockedUntil: null, lastError: error, updatedAt: new Date() }
        : {
            status: 'queued',
            lockedUntil: null,
            lastError: error,
            runAt: sql`now() + ${retryInMs} * interval '1 millisecond'`,
            updatedAt: new Date(),
          },
    )
    .where(held(claim));
}

/**
 * Makes every running job claimable at once: for a database only this process uses (embedded
 * PGlite), where a running job at start was left by a process that stopped.
 */
export async function releaseAllClaims(db: Db): Promise<number> {
  const released = await db
    .update(jobs)
    .set({ lockedUntil: sql`now() - interval '1 millisecond'`, updatedAt: new Date() })
    .where(eq(jobs.status, 'running'))
    .returning({ id: jobs.id });
  return released.length;
}

/** Jobs waiting to run: queued (due or waiting for their retry). */
export async function queuedJobCount(db: Db): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)`.mapWith(Number) })
    .from(jobs)
    .where(eq(jobs.status, 'queued'));
  return row?.count ?? 0;
}
