import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunStatus, TaskStatus } from '@lucid/contracts';
import { auditLog, events, tasks } from '../src/db/schema.ts';
import { AppError } from '../src/errors.ts';
import type { DomainEvent } from '../src/tasks/domain-events.ts';
import {
  assertTransition,
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
import { startTestServer, type TestServer } from './support/test-server.ts';

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
  claim: { queued: 'running' },
  interrupt: { queued: 'queued', running: 'queued' },
  review: { running: 'in_review' },
  no_changes: { running: 'todo' },
  fail: { queued: 'failed', running: 'failed' },
  cancel: { queued: 'cancelled', running: 'cancelled' },
  approve: { in_review: 'done' },
  await_merge: { in_review: 'awaiting_merge' },
  done: { awaiting_merge: 'done' },
  reject: { in_review: 'todo', awaiting_merge: 'todo', failed: 'todo' },
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
