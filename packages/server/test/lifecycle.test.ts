import { readFileSync } from 'node:fs';
import { and, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunStatus, TaskStatus } from '@lucid/contracts';
import { auditLog, events, runs, tasks } from '../src/db/schema.ts';
import { AppError } from '../src/errors.ts';
import type { DomainEvent } from '../src/tasks/domain-events.ts';
import {
  assertTransition,
  lockTask,
  nextRunStatus,
  nextTaskStatus,
  RUN_TRANSITIONS,
  TASK_TRANSITIONS,
  transitionTask,
  type RunAction,
  type TaskAction,
} from '../src/tasks/lifecycle.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { pushedRepo, startTask } from './support/tasks.ts';
import { claimRun, finishRun, recoverExpiredLeases } from '../src/control/queue.ts';
import { requestCancel } from '../src/tasks/runs.ts';
import { mintRunToken, verifyRunToken } from '../src/auth/run-tokens.ts';
import { onPostgres, startTestServer, type TestServer } from './support/test-server.ts';

const TASK_STATUSES: TaskStatus[] = [
  'todo',
  'queued',
  'running',
  'in_review',
  'awaiting_merge',
  'done',
  'failed',
  'cancelled',
];
const RUN_STATUSES: RunStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
];

/** Where each action leads from each status it is allowed from; every other pair is refused. */
const EXPECTED_TASK: Record<TaskAction, Partial<Record<TaskStatus, TaskStatus>>> = {
  queue: {
    todo: 'queued',
    in_review: 'queued',
    awaiting_merge: 'queued',
    done: 'queued',
    failed: 'queued',
    cancelled: 'queued',
  },
  start: { todo: 'queued', cancelled: 'queued' },
  retry: { failed: 'queued', cancelled: 'queued' },
  attempt: { todo: 'running' },
  keep: { running: 'in_review' },
  claim: { queued: 'running' },
  interrupt: { queued: 'queued', running: 'queued' },
  review: { running: 'in_review' },
  no_changes: { running: 'todo' },
  fail: { queued: 'failed', running: 'failed' },
  cancel: { queued: 'cancelled', running: 'cancelled' },
  approve: { in_review: 'done' },
  await_merge: { in_review: 'awaiting_merge' },
  done: { in_review: 'done', awaiting_merge: 'done' },
  reject: { in_review: 'todo', awaiting_merge: 'todo', failed: 'todo' },
  plan_ready: { running: 'plan_review' },
  plan_approve: { plan_review: 'queued' },
  plan_reject: { plan_review: 'cancelled' },
  publish_failed: { in_review: 'in_review' },
  push_rejected: { in_review: 'awaiting_merge', awaiting_merge: 'awaiting_merge' },
};

const EXPECTED_RUN: Record<RunAction, Partial<Record<RunStatus, RunStatus>>> = {
  claim: { queued: 'running' },
  succeed: { running: 'succeeded' },
  fail: { running: 'failed' },
  cancel: { queued: 'cancelled', running: 'cancelled' },
  interrupt: { running: 'interrupted' },
};

describe('the transition table', () => {
  it('names every task action, and no other', () => {
    expect(Object.keys(TASK_TRANSITIONS).sort()).toEqual(Object.keys(EXPECTED_TASK).sort());
    expect(Object.keys(RUN_TRANSITIONS).sort()).toEqual(Object.keys(EXPECTED_RUN).sort());
  });

  const taskPairs = (Object.keys(EXPECTED_TASK) as TaskAction[]).flatMap((action) =>
    TASK_STATUSES.map((status) => ({ action, status, to: EXPECTED_TASK[action][status] ?? null })),
  );
  it.each(taskPairs)('task: $action from $status → $to', ({ action, status, to }) => {
    expect(nextTaskStatus(status, action)).toBe(to);
    const task = { title: 'Fix the build', status };
    if (to) {
      expect(() => assertTransition(task, action)).not.toThrow();
      return;
    }
    let refusal: unknown;
    try {
      assertTransition(task, action);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(AppError);
    expect((refusal as AppError).code).toBe('invalid_transition');
    expect((refusal as AppError).message).toMatch(
      /^“Fix the build” is [a-z ]+; only a task that is /,
    );
    expect((refusal as AppError).message).not.toMatch(/_/);
  });

  const runPairs = (Object.keys(EXPECTED_RUN) as RunAction[]).flatMap((action) =>
    RUN_STATUSES.map((status) => ({ action, status, to: EXPECTED_RUN[action][status] ?? null })),
  );
  it.each(runPairs)('run: $action from $status → $to', ({ action, status, to }) => {
    expect(nextRunStatus(status, action)).toBe(to);
  });
});

/** The edges of the mermaid diagram in docs/ARCHITECTURE.md marked `%% <marker>`, as `from → to: action`. */
function drawnEdges(marker: string): string[] {
  const doc = readFileSync(new URL('../../../docs/ARCHITECTURE.md', import.meta.url), 'utf8');
  const blocks = [...doc.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const diagram = blocks.filter((block) => block.includes(`%% ${marker}`));
  expect(diagram, `one diagram marked %% ${marker}`).toHaveLength(1);
  return (diagram[0] ?? '')
    .split('\n')
    .map((line) => /^\s*(\w+) --> (\w+): (.+)$/.exec(line))
    .filter((match) => match !== null)
    .flatMap(([, from, to, actions]) =>
      (actions ?? '').split(',').map((action) => `${from} → ${to}: ${action.trim()}`),
    )
    .sort();
}

/** Every edge of a transition table, as `from → to: action`. */
function tableEdges(table: Record<string, { from: readonly string[]; to: string }>): string[] {
  return Object.entries(table)
    .flatMap(([action, { from, to }]) => from.map((status) => `${status} → ${to}: ${action}`))
    .sort();
}

describe('the lifecycle diagrams of docs/ARCHITECTURE.md', () => {
  it('draws exactly the transitions of TASK_TRANSITIONS', () => {
    expect(drawnEdges('TASK_TRANSITIONS')).toEqual(tableEdges(TASK_TRANSITIONS));
  });

  it('draws exactly the transitions of RUN_TRANSITIONS', () => {
    expect(drawnEdges('RUN_TRANSITIONS')).toEqual(tableEdges(RUN_TRANSITIONS));
  });
});

describe('a task transition in the database', () => {
  let server: TestServer;
  let user: TestUser;
  let repoId: string;
  const heard: Extract<DomainEvent, { from: TaskStatus }>[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    user = await signUp(server.url);
    repoId = (await pushedRepo(server.url, user, 'lifecycle-repo')).id;
    for (const type of ['task.cancelled', 'task.rejected', 'task.failed'] as const) {
      server.events.on(type, (event) => heard.push(event));
    }
  });
  afterAll(async () => {
    await server.close();
  });

  async function written(taskId: string) {
    const db = server.database.db;
    const [audits] = await db
      .select({ n: count() })
      .from(auditLog)
      .where(eq(auditLog.targetId, taskId));
    const [statuses] = await db
      .select({ n: count() })
      .from(events)
      .where(and(eq(events.taskId, taskId), eq(events.type, 'task.status')));
    const [all] = await db.select({ n: count() }).from(events).where(eq(events.taskId, taskId));
    const [task] = await db.select().from(tasks).where(eq(tasks.id, taskId));
    return { audits: audits?.n, statuses: statuses?.n, events: all?.n, status: task?.status };
  }

  function act(taskId: string, action: string, json?: unknown) {
    return request<{ error?: { code: string; message: string } }>(
      server.url,
      'POST',
      `/api/v1/tasks/${taskId}/${action}`,
      { token: user.token, ...(json ? { json } : {}) },
    );
  }

  it('refuses a move the table does not allow with 409 invalid_transition, writing nothing', async () => {
    const { task } = await startTask(server.url, user, {
      repoId,
      prompt: 'Queued work',
      commands: ['true'],
    });
    const before = await written(task.id);
    expect(before.status).toBe('queued');
    for (const action of ['approve', 'retry', 'start']) {
      const refused = await act(task.id, action);
      expect(refused.status, action).toBe(409);
      expect(refused.body.error?.code).toBe('invalid_transition');
      expect(refused.body.error?.message).toMatch(/^“Queued work” is queued; only a task that is /);
    }
    expect(await written(task.id)).toEqual(before);
  });

  it('writes one audit entry, one task.status event and one domain event per move', async () => {
    const { task, run } = await startTask(server.url, user, {
      repoId,
      prompt: 'Cancel me',
      commands: ['true'],
    });
    const before = await written(task.id);
    expect((await act(task.id, 'cancel')).status).toBe(200);
    const after = await written(task.id);
    expect(after).toMatchObject({
      status: 'cancelled',
      audits: (before.audits ?? 0) + 1,
      statuses: (before.statuses ?? 0) + 1,
    });
    expect(heard.filter((e) => e.type === 'task.cancelled' && e.taskId === task.id)).toEqual([
      { type: 'task.cancelled', taskId: task.id, from: 'queued', to: 'cancelled' },
    ]);
    const [audit] = await server.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, task.id), eq(auditLog.action, 'task.cancel')));
    expect(audit?.metadata).toEqual({ runId: run.id });

    // Every cancel route is the same cancel: the ended run is refused alike.
    for (const path of [
      `/tasks/${task.id}/stop`,
      `/tasks/${task.id}/cancel`,
      `/runs/${run.id}/cancel`,
    ]) {
      const again = await request<{ error?: { code: string } }>(
        server.url,
        'POST',
        `/api/v1${path}`,
        { token: user.token },
      );
      expect(again.status, path).toBe(409);
      expect(again.body.error?.code, path).toBe('invalid_transition');
    }
    expect(await written(task.id)).toEqual(after);
  });

  it('moves a failed task back to To Do on reject, telling task.rejected once committed', async () => {
    const { task } = await startTask(server.url, user, {
      repoId,
      prompt: 'Reject me',
      commands: ['true'],
    });
    await transitionTask(server.database.db, {
      taskId: task.id,
      action: 'fail',
      reason: 'Broken.',
    });
    const before = await written(task.id);
    expect(before.status).toBe('failed');
    expect((await act(task.id, 'reject', { reason: 'Add a test.' })).status).toBe(200);
    expect(await written(task.id)).toMatchObject({
      status: 'todo',
      audits: (before.audits ?? 0) + 1,
      statuses: (before.statuses ?? 0) + 1,
      events: (before.events ?? 0) + 2,
    });
    expect(heard.filter((e) => e.taskId === task.id).map((e) => e.type)).toEqual([
      'task.failed',
      'task.rejected',
    ]);
  });
});

describe('a claim or an end and a cancel on one task', () => {
  let server: TestServer;
  let user: TestUser;
  let repoId: string;

  beforeAll(async () => {
    server = await startTestServer();
    user = await signUp(server.url);
    repoId = (await pushedRepo(server.url, user, 'claim-repo')).id;
  });
  afterAll(async () => {
    await server.close();
  });

  /** The task's status and its runs' statuses (and whether each was asked to stop). */
  async function stateOf(taskId: string) {
    const db = server.database.db;
    const [task] = await db
      .select({ status: tasks.status })
      .from(tasks)
      .where(eq(tasks.id, taskId));
    const taskRuns = await db
      .select({ status: runs.status, cancelRequested: runs.cancelRequested })
      .from(runs)
      .where(eq(runs.taskId, taskId));
    return { status: task?.status, runs: taskRuns };
  }

  it('ends consistent whichever comes first: never a running run on a task that is not running', async () => {
    const runnerId = `rnr_claim_${Date.now()}`;
    for (let round = 0; round < 12; round += 1) {
      const { task } = await startTask(server.url, user, {
        repoId,
        prompt: `Race ${round}`,
        commands: ['true'],
      });
      const [claimed, cancelled] = await Promise.all([
        claimRun(server.database.db, { runnerId, leaseMs: 60_000 }),
        request<{ error?: { code: string } }>(
          server.url,
          'POST',
          `/api/v1/tasks/${task.id}/cancel`,
          { token: user.token },
        ),
      ]);
      expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
      const state = await stateOf(task.id);
      expect(state.runs).toHaveLength(1);
      const [run] = state.runs;
      if (claimed) {
        // Claimed first: the task runs, and its runner is asked to stop it.
        expect(claimed.task.id).toBe(task.id);
        expect(state).toEqual({
          status: 'running',
          runs: [{ status: 'running', cancelRequested: true }],
        });
      } else {
        expect(state).toEqual({
          status: 'cancelled',
          runs: [{ status: 'cancelled', cancelRequested: true }],
        });
      }
      expect(run?.status === 'running').toBe(state.status === 'running');
      if (claimed) {
        await finishRun(server.database.db, {
          runId: claimed.run.id,
          runnerId,
          outcome: { status: 'cancelled' },
        });
      }
      expect((await stateOf(task.id)).status).toBe('cancelled');
    }
  });

  it('stores the claim whole: the run.status and task.status events of one claim stand together', async () => {
    const { task, run } = await startTask(server.url, user, {
      repoId,
      prompt: 'Claim me whole',
      commands: ['true'],
    });
    const claimed = await claimRun(server.database.db, { runnerId: 'rnr_whole', leaseMs: 60_000 });
    expect(claimed?.run.id).toBe(run.id);
    expect(claimed?.task.status).toBe('running');
    const stored = await server.database.db
      .select({ seq: events.seq, type: events.type, payload: events.payload })
      .from(events)
      .where(eq(events.taskId, task.id))
      .orderBy(events.seq);
    expect(stored.slice(-2).map((e) => [e.type, e.payload.status])).toEqual([
      ['run.status', 'running'],
      ['task.status', 'running'],
    ]);
    await finishRun(server.database.db, {
      runId: run.id,
      runnerId: 'rnr_whole',
      outcome: { status: 'failed', errorCode: 'test', errorMessage: 'Ended by the test.' },
    });
  });

  it('recovers an expired lease whole: the run is interrupted and its task moved together, or neither', async () => {
    const db = server.database.db;
    const { task, run } = await startTask(server.url, user, {
      repoId,
      prompt: 'Lose my runner',
      commands: ['true'],
    });
    const claimed = await claimRun(db, { runnerId: 'rnr_lost', leaseMs: 60_000 });
    expect(claimed?.run.id).toBe(run.id);
    const token = await mintRunToken(db, {
      runId: run.id,
      repoId,
      branch: task.branch,
      ttlMs: 60_000,
    });
    // A failure injected after the run's interrupt is written, before its task moves: the task
    // row refuses every write (its events' sequence, its status), as a lost connection would.
    await db.execute(
      sql.raw(`create function refuse_task_write() returns trigger language plpgsql as $$
        begin raise exception 'the task row cannot be written'; end $$`),
    );
    await db.execute(
      sql.raw(`create trigger refuse_task_write before update on tasks for each row
        when (old.id = '${task.id}') execute function refuse_task_write()`),
    );
    await db
      .update(runs)
      .set({ leaseExpiresAt: sql`now() - interval '1 second'` })
      .where(eq(runs.id, run.id));

    await expect(recoverExpiredLeases(db)).rejects.toThrow();
    expect(await stateOf(task.id)).toEqual({
      status: 'running',
      runs: [{ status: 'running', cancelRequested: false }],
    });
    expect(await verifyRunToken(db, token)).not.toBeNull();

    await db.execute(sql.raw('drop trigger refuse_task_write on tasks'));
    await db.execute(sql.raw('drop function refuse_task_write'));
    await recoverExpiredLeases(db);
    const recovered = await stateOf(task.id);
    expect(recovered.status).toBe('queued');
    expect(recovered.runs.map((r) => r.status).sort()).toEqual(['interrupted', 'queued']);
    expect(await verifyRunToken(db, token)).toBeNull();
    const requeued = await claimRun(db, { runnerId: 'rnr_found', leaseMs: 60_000 });
    expect(requeued?.run.attempt).toBe(2);
    await finishRun(db, {
      runId: requeued?.run.id ?? '',
      runnerId: 'rnr_found',
      outcome: { status: 'failed', errorCode: 'test', errorMessage: 'Ended by the test.' },
    });
  });

  // Two connections are needed to hold a task's lock while another transaction claims.
  it.skipIf(!onPostgres)(
    'passes over a task another transition holds, in the one lock order (task, then run)',
    async () => {
      const db = server.database.db;
      const { task, run } = await startTask(server.url, user, {
        repoId,
        prompt: 'Held by a cancel',
        commands: ['true'],
      });
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      let proceed!: () => void;
      const mayProceed = new Promise<void>((resolve) => (proceed = resolve));
      const cancel = db.transaction(async (tx) => {
        const held = await lockTask(tx, task.id);
        locked();
        await mayProceed;
        return requestCancel(tx, { task: held, runId: run.id });
      });
      await isLocked;
      let blocked = false;
      const claim = claimRun(db, { runnerId: 'rnr_held', leaseMs: 60_000 });
      const outcome = await Promise.race([
        claim.then((claimed) => ({ claimed })),
        waitingOnALock(db, () => blocked).then(() => 'blocked on the task' as const),
      ]);
      blocked = true;
      proceed();
      expect(outcome).toEqual({ claimed: null });
      expect((await cancel).moved).toBe(true);
      expect(await stateOf(task.id)).toEqual({
        status: 'cancelled',
        runs: [{ status: 'cancelled', cancelRequested: true }],
      });
      await claim;
    },
  );

  it.skipIf(!onPostgres)(
    'ends a run while a cancel holds its task without a deadlock: the end waits for the task first',
    async () => {
      const db = server.database.db;
      const { task } = await startTask(server.url, user, {
        repoId,
        prompt: 'Ended during a cancel',
        commands: ['true'],
      });
      const claimed = await claimRun(db, { runnerId: 'rnr_end', leaseMs: 60_000 });
      expect(claimed?.task.id).toBe(task.id);
      const runId = claimed?.run.id ?? '';
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      let proceed!: () => void;
      const mayProceed = new Promise<void>((resolve) => (proceed = resolve));
      const cancel = db.transaction(async (tx) => {
        const held = await lockTask(tx, task.id);
        locked();
        await mayProceed;
        return requestCancel(tx, { task: held, runId });
      });
      await isLocked;
      const end = finishRun(db, {
        runId,
        runnerId: 'rnr_end',
        outcome: { status: 'succeeded', noChanges: true },
      });
      await waitingOnALock(db, () => false);
      proceed();
      const [asked, ended] = await Promise.allSettled([cancel, end]);
      expect(asked).toMatchObject({ status: 'fulfilled', value: { moved: false } });
      expect(ended).toEqual({ status: 'fulfilled', value: true });
      expect(await stateOf(task.id)).toEqual({
        status: 'todo',
        runs: [{ status: 'succeeded', cancelRequested: true }],
      });
    },
  );
});

/** Resolves once a statement of this database waits for a row lock (or when `done` says so). */
async function waitingOnALock(db: TestServer['database']['db'], done: () => boolean) {
  while (!done()) {
    const waiting = await db.execute(
      sql`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if ((waiting as unknown as { rows: unknown[] }).rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
