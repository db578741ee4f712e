import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runs, tasks } from '../src/db/schema.ts';
import { appendEvents, listEvents } from '../src/tasks/events.ts';
import { lockTask } from '../src/tasks/lifecycle.ts';
import { claimRun, finishRun, recoverExpiredLeases, renewLease } from '../src/control/queue.ts';
import { requestCancel } from '../src/tasks/runs.ts';
import { mintRunToken, verifyRunToken } from '../src/auth/run-tokens.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let user: TestUser;
let repoId: string;

beforeAll(async () => {
  server = await startTestServer();
  user = await signUp(server.url);
  const repo = await request<{ id: string }>(server.url, 'POST', '/api/v1/repos', {
    token: user.token,
    json: { name: 'queue' },
  });
  repoId = repo.body.id;
});
afterAll(() => server.close());

const db = () => server.database.db;

async function newTask(start = false): Promise<string> {
  const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
    token: user.token,
    json: { repoId, prompt: 'do things', commands: ['true'], start },
  });
  expect(created.status).toBe(201);
  return created.body.task.id;
}

async function drainQueue(): Promise<void> {
  while (await claimRun(db(), { runnerId: 'drain', leaseMs: 60_000 })) {
    // take everything left by earlier tests
  }
}

describe('the runs queue', () => {
  it('hands each queued run to exactly one of many concurrent claimers, oldest first', async () => {
    await drainQueue();
    const taskIds: string[] = [];
    for (let i = 0; i < 8; i++) taskIds.push(await newTask(true));
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        claimRun(db(), { runnerId: `r${i % 3}`, leaseMs: 60_000 }),
      ),
    );
    const won = claims.filter((c) => c !== null);
    expect(won).toHaveLength(8);
    expect(new Set(won.map((c) => c?.run.id)).size).toBe(8);
    expect(new Set(won.map((c) => c?.task.id))).toEqual(new Set(taskIds));
    for (const claim of won) expect(claim?.task.status).toBe('running');
  });

  it('keeps a lease only for its holder, and reports a cancel at the next renewal', async () => {
    await drainQueue();
    const taskId = await newTask(true);
    const claim = await claimRun(db(), { runnerId: 'holder', leaseMs: 60_000 });
    expect(claim?.task.id).toBe(taskId);
    const runId = claim?.run.id ?? '';
    await expect(renewLease(db(), { runId, runnerId: 'other', leaseMs: 60_000 })).rejects.toThrow(
      'This runner does not hold that run',
    );
    await db().transaction(async (tx) =>
      requestCancel(tx, { task: await lockTask(tx, taskId), runId }),
    );
    expect(await renewLease(db(), { runId, runnerId: 'holder', leaseMs: 60_000 })).toEqual({
      lost: false,
      cancelRequested: true,
    });
    expect(
      await finishRun(db(), { runId, runnerId: 'other', outcome: { status: 'succeeded' } }),
    ).toBe(false);
    expect(
      await finishRun(db(), { runId, runnerId: 'holder', outcome: { status: 'cancelled' } }),
    ).toBe(true);
    const [task] = await db().select().from(tasks).where(eq(tasks.id, taskId));
    expect(task?.status).toBe('cancelled');
    expect(await renewLease(db(), { runId, runnerId: 'holder', leaseMs: 60_000 })).toEqual({
      lost: true,
      cancelRequested: false,
    });
  });

  it('cancels a queued run at once', async () => {
    await drainQueue();
    const taskId = await newTask(true);
    const [run] = await db().select().from(runs).where(eq(runs.taskId, taskId));
    const cancelled = await request<{ status: string }>(
      server.url,
      'POST',
      `/api/v1/runs/${run?.id}/cancel`,
      {
        token: user.token,
      },
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(await claimRun(db(), { runnerId: 'x', leaseMs: 60_000 })).toBeNull();
  });

  it('re-queues a run whose lease expired once, revoking its tokens, then fails the task with the reason', async () => {
    await drainQueue();
    const taskId = await newTask(true);
    const first = await claimRun(db(), { runnerId: 'vanishing', leaseMs: 1 });
    const token = await mintRunToken(db(), {
      runId: first?.run.id ?? '',
      repoId,
      branch: first?.task.branch ?? '',
      ttlMs: 60_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const recovered = await recoverExpiredLeases(db());
    expect(recovered.map((r) => r.id)).toEqual([first?.run.id]);
    expect(await verifyRunToken(db(), token)).toBeNull();

    const all = await db().select().from(runs).where(eq(runs.taskId, taskId));
    expect(all.map((r) => [r.status, r.attempt]).sort()).toEqual([
      ['interrupted', 1],
      ['queued', 2],
    ]);

    const second = await claimRun(db(), { runnerId: 'vanishing-too', leaseMs: 1 });
    expect(second?.run.attempt).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await recoverExpiredLeases(db());
    const [task] = await db().select().from(tasks).where(eq(tasks.id, taskId));
    expect(task?.status).toBe('failed');
    const events = await listEvents(db(), { taskId });
    const error = events.find((e) => e.type === 'error');
    expect(error).toMatchObject({ code: 'runner_lost' });
    expect(await claimRun(db(), { runnerId: 'x', leaseMs: 60_000 })).toBeNull();
  });

  it('numbers a task’s events without gaps or repeats under concurrent appends', async () => {
    const taskId = await newTask(false);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        appendEvents(db(), {
          taskId,
          runId: null,
          events: [
            { type: 'tool.output', stream: 'stdout', chunk: `a${i}` },
            { type: 'tool.output', stream: 'stdout', chunk: `b${i}` },
          ],
        }),
      ),
    );
    const events = await listEvents(db(), { taskId });
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // Each append's two events stay next to each other.
    for (let i = 0; i < 40; i += 2) {
      const [a, b] = [events[i], events[i + 1]];
      expect(a?.type === 'tool.output' && b?.type === 'tool.output' && a.chunk.slice(1)).toBe(
        b?.type === 'tool.output' ? b.chunk.slice(1) : null,
      );
    }
    const after = await request<{ events: { seq: number }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${taskId}/events?after=35`,
      { token: user.token },
    );
    expect(after.body.events.map((e) => e.seq)).toEqual([36, 37, 38, 39, 40]);
  });

  it('answers 404 for another user’s task and run', async () => {
    const taskId = await newTask(true);
    const [run] = await db().select().from(runs).where(eq(runs.taskId, taskId));
    const stranger = await signUp(server.url);
    for (const [method, path] of [
      ['GET', `/api/v1/tasks/${taskId}`],
      ['GET', `/api/v1/tasks/${taskId}/runs`],
      ['GET', `/api/v1/tasks/${taskId}/events`],
      ['POST', `/api/v1/runs/${run?.id}/cancel`],
    ] as const) {
      const response = await request<{ error: { code: string } }>(server.url, method, path, {
        token: stranger.token,
      });
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    const noRepo = await request<{ error: { code: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: stranger.token,
      json: { repoId, prompt: 'x' },
    });
    expect(noRepo.status).toBe(404);
    expect(noRepo.body.error.code).toBe('repo_not_found');
  });
});
