/**
 * The durable jobs queue and its worker, on the test server's real database (PGlite, or
 * PostgreSQL with LUCID_TEST_DATABASE_URL): enqueueing is idempotent and heard only once
 * committed, claims never hand one job to two workers nor run one task's jobs at once, an expired
 * claim is taken again, failures are retried after a growing delay until the job succeeds or its
 * attempts are spent.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs, runs } from '../src/db/schema.ts';
import { PUBLISH_JOB } from '../src/forges/publish-run.ts';
import { finishRun } from '../src/control/queue.ts';
import { transitionTask } from '../src/tasks/lifecycle.ts';
import { claimJob, completeJob, enqueueJob, failJob, type JobRow } from '../src/jobs/store.ts';
import { JobFailed, JobWorker, retryDelay, type JobAttempt } from '../src/jobs/worker.ts';
import { emitAfterCommit, type DomainEvent } from '../src/tasks/domain-events.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let user: TestUser;
let repoId: string;
let kindCount = 0;

beforeAll(async () => {
  server = await startTestServer();
  user = await signUp(server.url);
  const repo = await request<{ id: string }>(server.url, 'POST', '/api/v1/repos', {
    token: user.token,
    json: { name: 'jobs' },
  });
  repoId = repo.body.id;
});
afterAll(() => server.close());

const db = () => server.database.db;
/** A kind of job no other test (nor the server's own worker) claims. */
const newKind = () => `test.kind${++kindCount}`;

async function newTask(): Promise<string> {
  const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
    token: user.token,
    json: { repoId, prompt: 'do things', commands: ['true'] },
  });
  expect(created.status).toBe(201);
  return created.body.task.id;
}

async function stored(id: string): Promise<JobRow> {
  const [row] = await db().select().from(jobs).where(eq(jobs.id, id));
  return row!;
}

/** Resolves once `check` answers true, asking again every few milliseconds. */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('enqueueing a job', () => {
  it('stores one job per kind and key, however often it is asked', async () => {
    const kind = newKind();
    const first = await enqueueJob(db(), { kind, key: 'run_1', payload: { n: 1 } });
    const again = await enqueueJob(db(), { kind, key: 'run_1', payload: { n: 2 } });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, job: { id: first.job.id, payload: { n: 1 } } });
    const other = await enqueueJob(db(), { kind, key: 'run_2' });
    expect(other.job.id).not.toBe(first.job.id);
  });

  it('inside a transaction, is heard of once the transaction commits, and never when it rolls back', async () => {
    const kind = newKind();
    const heard: DomainEvent[] = [];
    const stop = server.events.on('job.queued', (event) => {
      if (event.kind === kind) heard.push(event);
    });
    try {
      const inside = await db().transaction(async (tx) => {
        const { job } = await tx.transaction(async (savepoint) =>
          enqueueJob(savepoint, { kind, key: 'committed' }),
        );
        expect(heard).toEqual([]);
        return job;
      });
      expect(heard).toEqual([{ type: 'job.queued', jobId: inside.id, kind }]);

      await expect(
        db().transaction(async (tx) => {
          await enqueueJob(tx, { kind, key: 'rolled-back' });
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(heard).toHaveLength(1);
      const rows = await db().select().from(jobs).where(eq(jobs.kind, kind));
      expect(rows.map((r) => r.key)).toEqual(['committed']);
    } finally {
      stop();
    }
  });
});

describe('a follow-up stored in the transaction that asks for it', () => {
  it('is committed with the change, or rolled back with it when it cannot be stored', async () => {
    const kind = newKind();
    const taskId = await newTask();
    const stop = server.events.within('run.cancelled', async (event, tx) => {
      if (event.taskId !== taskId) return;
      if (event.runId === 'run_refused') throw new Error('the follow-up cannot be stored');
      await enqueueJob(tx, { kind, key: event.runId, taskId });
    });
    const changes = () =>
      db()
        .select()
        .from(jobs)
        .where(eq(jobs.kind, `${kind}.change`));
    const followUps = () => db().select().from(jobs).where(eq(jobs.kind, kind));
    try {
      await db().transaction(async (tx) => {
        await enqueueJob(tx, { kind: `${kind}.change`, key: 'kept' });
        emitAfterCommit(tx, { type: 'run.cancelled', runId: 'run_kept', taskId });
      });
      // Stored by the time the transaction has committed: nothing runs later.
      expect((await followUps()).map((job) => job.key)).toEqual(['run_kept']);

      await expect(
        db().transaction(async (tx) => {
          await enqueueJob(tx, { kind: `${kind}.change`, key: 'refused' });
          emitAfterCommit(tx, { type: 'run.cancelled', runId: 'run_refused', taskId });
        }),
      ).rejects.toThrow('the follow-up cannot be stored');
      expect((await changes()).map((job) => job.key)).toEqual(['kept']);

      // Recorded outside a transaction, an event has no transaction to be stored in.
      emitAfterCommit(db(), { type: 'run.cancelled', runId: 'run_outside', taskId });
      expect((await followUps()).map((job) => job.key)).toEqual(['run_kept']);
    } finally {
      stop();
    }
  });

  it("stores a succeeded run's publish job with the run's end, or ends nothing", async () => {
    const runningRun = async () => {
      const taskId = await newTask();
      const [run] = await db().select({ id: runs.id }).from(runs).where(eq(runs.taskId, taskId));
      await db()
        .update(runs)
        .set({ status: 'running', runnerId: 'runner_publish_test' })
        .where(eq(runs.id, run!.id));
      await transitionTask(db(), { taskId, action: 'claim', runId: run!.id });
      return run!.id;
    };
    const finish = (runId: string) =>
      finishRun(db(), {
        runId,
        runnerId: 'runner_publish_test',
        outcome: { status: 'succeeded', exitCode: 0 },
      });

    const refused = await runningRun();
    const stop = server.events.within('run.succeeded', async (event) => {
      if (event.runId === refused) throw new Error('the publish job cannot be stored');
    });
    try {
      await expect(finish(refused)).rejects.toThrow('the publish job cannot be stored');
    } finally {
      stop();
    }
    const [still] = await db().select().from(runs).where(eq(runs.id, refused));
    expect(still!.status).toBe('running');

    const ended = await runningRun();
    expect(await finish(ended)).toBe(true);
    const stored = await db().select().from(jobs).where(eq(jobs.key, ended));
    expect(stored.map((job) => job.kind)).toEqual([PUBLISH_JOB]);
  });
});

describe('claiming jobs', () => {
  it('hands each job to exactly one of many concurrent claimers', async () => {
    const kind = newKind();
    const ids = new Set<string>();
    for (let i = 0; i < 8; i++) ids.add((await enqueueJob(db(), { kind, key: `k${i}` })).job.id);
    const claims = await Promise.all(
      Array.from({ length: 12 }, () => claimJob(db(), { kinds: [kind], lockMs: 60_000 })),
    );
    const won = claims.filter((c): c is JobRow => c !== null);
    expect(won).toHaveLength(8);
    expect(new Set(won.map((c) => c.id))).toEqual(ids);
    expect(won.every((c) => c.status === 'running' && c.attempts === 1)).toBe(true);
  });

  it("runs one task's jobs of a kind one at a time, and others' meanwhile", async () => {
    const kind = newKind();
    const [taskA, taskB] = [await newTask(), await newTask()];
    const a1 = (await enqueueJob(db(), { kind, key: 'a1', taskId: taskA })).job;
    const a2 = (await enqueueJob(db(), { kind, key: 'a2', taskId: taskA })).job;
    const b1 = (await enqueueJob(db(), { kind, key: 'b1', taskId: taskB })).job;
    const first = await claimJob(db(), { kinds: [kind], lockMs: 60_000 });
    const second = await claimJob(db(), { kinds: [kind], lockMs: 60_000 });
    expect([first?.id, second?.id]).toEqual([a1.id, b1.id]);
    expect(await claimJob(db(), { kinds: [kind], lockMs: 60_000 })).toBeNull();
    await completeJob(db(), first!);
    expect((await claimJob(db(), { kinds: [kind], lockMs: 60_000 }))?.id).toBe(a2.id);
  });

  it('takes a job again once its claim has expired, and the old claim changes nothing', async () => {
    const kind = newKind();
    const { job } = await enqueueJob(db(), { kind, key: 'stuck' });
    const lost = await claimJob(db(), { kinds: [kind], lockMs: -1_000 });
    expect(lost?.id).toBe(job.id);
    const retaken = await claimJob(db(), { kinds: [kind], lockMs: 60_000 });
    expect(retaken).toMatchObject({ id: job.id, attempts: 2, status: 'running' });
    await completeJob(db(), lost!);
    expect(await stored(job.id)).toMatchObject({ status: 'running', attempts: 2 });
    await completeJob(db(), retaken!);
    expect(await stored(job.id)).toMatchObject({ status: 'succeeded' });
  });

  it('leaves a failed job alone until its retry is due', async () => {
    const kind = newKind();
    const { job } = await enqueueJob(db(), { kind, key: 'later' });
    const claim = await claimJob(db(), { kinds: [kind], lockMs: 60_000 });
    await failJob(db(), { claim: claim!, error: 'GitHub answered 502', retryInMs: 60_000 });
    expect(await stored(job.id)).toMatchObject({
      status: 'queued',
      lastError: 'GitHub answered 502',
    });
    expect(await claimJob(db(), { kinds: [kind], lockMs: 60_000 })).toBeNull();
    await failJob(db(), { claim: claim!, error: 'again', retryInMs: 0 });
    await db()
      .update(jobs)
      .set({ runAt: new Date(0) })
      .where(eq(jobs.id, job.id));
    expect((await claimJob(db(), { kinds: [kind], lockMs: 60_000 }))?.id).toBe(job.id);
  });
});

describe('the job worker', () => {
  it('doubles the wait before each further attempt', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, 2_000))).toEqual([2_000, 4_000, 8_000, 16_000]);
  });

  it('retries a failing job until it succeeds, each attempt told its number', async () => {
    const kind = newKind();
    const seen: Pick<JobAttempt, 'attempt' | 'maxAttempts' | 'last'>[] = [];
    const worker = new JobWorker({
      db: db(),
      handlers: {
        [kind]: async ({ attempt, maxAttempts, last }) => {
          seen.push({ attempt, maxAttempts, last });
          if (attempt < 3) throw new Error(`GitHub answered 502 (${attempt})`);
        },
      },
      retryBaseMs: 1,
      pollMs: 60_000,
      log: () => {},
    });
    await worker.start();
    try {
      const { job } = await enqueueJob(db(), { kind, key: 'flaky', maxAttempts: 4 });
      worker.wake();
      await until(async () => (await stored(job.id)).status === 'succeeded');
      expect(seen).toEqual([
        { attempt: 1, maxAttempts: 4, last: false },
        { attempt: 2, maxAttempts: 4, last: false },
        { attempt: 3, maxAttempts: 4, last: false },
      ]);
      expect(await stored(job.id)).toMatchObject({
        attempts: 3,
        lastError: 'GitHub answered 502 (2)',
      });
    } finally {
      await worker.stop();
    }
  });

  it('marks a job failed when its attempts are spent, or at once when retrying cannot help', async () => {
    const kind = newKind();
    const worker = new JobWorker({
      db: db(),
      handlers: {
        [kind]: async ({ job }) => {
          if (job.key === 'hopeless') throw new JobFailed('The token was revoked.');
          throw new Error('GitHub answered 502');
        },
      },
      retryBaseMs: 1,
      pollMs: 60_000,
      log: () => {},
    });
    await worker.start();
    try {
      const spent = (await enqueueJob(db(), { kind, key: 'spent', maxAttempts: 2 })).job;
      const hopeless = (await enqueueJob(db(), { kind, key: 'hopeless' })).job;
      worker.wake();
      await until(
        async () =>
          (await stored(spent.id)).status === 'failed' &&
          (await stored(hopeless.id)).status === 'failed',
      );
      expect(await stored(spent.id)).toMatchObject({
        attempts: 2,
        lastError: 'GitHub answered 502',
      });
      expect(await stored(hopeless.id)).toMatchObject({
        attempts: 1,
        lastError: 'The token was revoked.',
      });
    } finally {
      await worker.stop();
    }
  });

  it('never runs one job in two workers at once', async () => {
    const kind = newKind();
    const runs = new Map<string, number>();
    const handler = async ({ job }: JobAttempt) => {
      runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
      await new Promise((resolve) => setImmediate(resolve));
    };
    const workers = [1, 2, 3].map(
      () =>
        new JobWorker({
          db: db(),
          handlers: { [kind]: handler },
          concurrency: 3,
          pollMs: 60_000,
          log: () => {},
        }),
    );
    for (const worker of workers) await worker.start();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 15; i++)
        ids.push((await enqueueJob(db(), { kind, key: `j${i}` })).job.id);
      for (const worker of workers) worker.wake();
      await until(async () => {
        const rows = await db().select().from(jobs).where(eq(jobs.kind, kind));
        return rows.every((r) => r.status === 'succeeded');
      });
      expect([...runs.keys()].sort()).toEqual([...ids].sort());
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
    } finally {
      for (const worker of workers) await worker.stop();
    }
  });
});
