/**
 * Workspace quotas and API rate limits: tasks a day (429 `quota_exceeded` with `Retry-After`,
 * nothing stored), runs at once (the claim passes over a workspace at its limit), the monthly
 * model budget (the gateway refuses, the run fails saying why, new tasks are refused, and so is
 * every other run a user starts: a re-run, a follow-up, a start, a retry), the owner's overrides,
 * and requests per minute per caller.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runs, tasks, usage, workspaceMembers } from '../src/db/schema.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { claimRun } from '../src/control/queue.ts';
import { startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { pushedRepo, taskEvents, waitForStatus, type EventView } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

interface Quota {
  limit: number;
  default: number;
  overridden: boolean;
  used: number;
}
interface Quotas {
  workspaceId: string;
  tasksPerDay: Quota;
  concurrentRuns: Quota;
  monthlyBudgetUsd: Quota;
  editable: boolean;
}
interface ErrorAnswer {
  error: { code: string; message: string };
}

async function workspaceOf(server: TestServer, user: TestUser): Promise<string> {
  const me = await request<{ workspaces: Array<{ id: string }> }>(server.url, 'GET', '/api/v1/me', {
    token: user.token,
  });
  return me.body.workspaces[0]?.id ?? '';
}

/** Polls until `check` holds; fails with `what` after a while. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never happened: ${what}`);
}

const stdout = (events: EventView[]) =>
  events
    .filter((e) => e.type === 'tool.output' && e.stream === 'stdout')
    .map((e) => String(e.chunk))
    .join('');

describe('tasks a day, and the owner’s quotas', () => {
  let server: TestServer;
  let owner: TestUser;
  let member: TestUser;
  let stranger: TestUser;
  let repoId: string;
  let workspaceId: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { LUCID_WORKSPACE_TASKS_PER_DAY: '2' } });
    owner = await signUp(server.url, 'Owner');
    member = await signUp(server.url, 'Member');
    stranger = await signUp(server.url, 'Stranger');
    repoId = (await pushedRepo(server.url, owner, 'quota-repo')).id;
    workspaceId = await workspaceOf(server, owner);
    await server.database.db
      .insert(workspaceMembers)
      .values({ workspaceId, userId: member.id, role: 'member' });
  });
  afterAll(() => server.close());

  const create = (user: TestUser, json: Record<string, unknown>) =>
    request<{ task: { id: string } } & ErrorAnswer>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId, ...json },
    });

  const counts = async () => {
    const db = server.database.db;
    const [t] = await db
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(tasks)
      .where(eq(tasks.workspaceId, workspaceId));
    const [r] = await db
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(runs)
      .innerJoin(tasks, eq(tasks.id, runs.taskId))
      .where(eq(tasks.workspaceId, workspaceId));
    return { tasks: t?.n ?? 0, runs: r?.n ?? 0 };
  };

  it('refuses the task past the day’s quota with 429 and Retry-After, storing nothing and queueing no run', async () => {
    expect((await create(owner, { prompt: 'one', commands: ['true'] })).status).toBe(201);
    expect((await create(member, { prompt: 'two', start: false, commands: ['true'] })).status).toBe(
      201,
    );
    const before = await counts();
    expect(before).toEqual({ tasks: 2, runs: 1 });

    const refused = await create(owner, { prompt: 'three', commands: ['true'] });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('quota_exceeded');
    expect(refused.body.error.message).toMatch(
      /^This workspace has created its 2 tasks for today; the next can start in \d+ (h|min)\.$/,
    );
    const now = new Date();
    const toMidnight =
      (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) /
      1000;
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(Math.abs(retryAfter - toMidnight)).toBeLessThan(60);
    expect(await counts()).toEqual(before);
  });

  it('shows the quotas to members, lets only the owner change them, and hides them from others', async () => {
    const path = `/api/v1/workspaces/${workspaceId}/quotas`;
    const seen = await request<Quotas>(server.url, 'GET', path, { token: member.token });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({
      workspaceId,
      tasksPerDay: { limit: 2, default: 2, overridden: false, used: 2 },
      concurrentRuns: { limit: 0, default: 0, overridden: false, used: 0 },
      monthlyBudgetUsd: { limit: 0, overridden: false, used: 0 },
      editable: false,
    });

    const byMember = await request<ErrorAnswer>(server.url, 'PATCH', path, {
      token: member.token,
      json: { tasksPerDay: 10 },
    });
    expect(byMember.status).toBe(403);
    expect(byMember.body.error.code).toBe('forbidden');
    const byStranger = await request<ErrorAnswer>(server.url, 'GET', path, {
      token: stranger.token,
    });
    expect(byStranger.status).toBe(404);

    const raised = await request<Quotas>(server.url, 'PATCH', path, {
      token: owner.token,
      json: { tasksPerDay: 3, concurrentRuns: 2 },
    });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({
      tasksPerDay: { limit: 3, default: 2, overridden: true },
      concurrentRuns: { limit: 2, overridden: true },
      editable: true,
    });
    expect((await create(owner, { prompt: 'three', commands: ['true'] })).status).toBe(201);
    expect((await create(owner, { prompt: 'four', commands: ['true'] })).status).toBe(429);

    const back = await request<Quotas>(server.url, 'PATCH', path, {
      token: owner.token,
      json: { tasksPerDay: null },
    });
    expect(back.body.tasksPerDay).toMatchObject({ limit: 2, overridden: false, used: 3 });
    expect(back.body.concurrentRuns).toMatchObject({ limit: 2, overridden: true });
  });
});

describe('runs at once', () => {
  let server: TestServer;
  let driver: LocalDriver;
  let user: TestUser;
  let repoId: string;

  beforeAll(async () => {
    driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) });
    server = await startTestServer({
      env: { LUCID_WORKSPACE_CONCURRENT_RUNS: '1' },
      runner: { driver, slots: 2, leaseMs: 3_000, maxRuntimeMs: 120_000, pollMs: 100, warmPool: 0 },
    });
    user = await signUp(server.url);
    repoId = (await pushedRepo(server.url, user, 'concurrent-repo')).id;
  });
  afterAll(() => server.close());

  it('keeps the workspace’s next run queued until the running one ends', async () => {
    const start = (prompt: string, commands: string[]) =>
      request<{ task: { id: string }; run: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
        token: user.token,
        json: { repoId, prompt, commands },
      });
    const first = await start('hold', [
      'echo started; while [ ! -f go ]; do sleep 0.05; done; rm go',
    ]);
    expect(first.status).toBe(201);
    await until('the first run has started', async () =>
      stdout(await taskEvents(server.url, user, first.body.task.id)).includes('started'),
    );
    const second = await start('next', ['echo second > second.txt']);
    expect(second.status).toBe(201);

    // A free runner slot finds nothing it may claim: the workspace runs its one run at once.
    const db = server.database.db;
    const quotas = server.config.workspaceQuotas;
    expect(await claimRun(db, { runnerId: 'rnr_probe', leaseMs: 60_000, quotas })).toBeNull();
    const [queued] = await db.select().from(runs).where(eq(runs.id, second.body.run.id));
    expect(queued?.status).toBe('queued');
    const board = await request<{
      columns: Array<{ cards: Array<{ id: string; waiting?: string }> }>;
    }>(server.url, 'GET', `/api/v1/repos/${repoId}/board`, { token: user.token });
    const cards = board.body.columns.flatMap((c) => c.cards);
    expect(cards.find((c) => c.id === second.body.task.id)?.waiting).toBe(
      'Waiting: the workspace runs 1 task at once',
    );
    expect(cards.find((c) => c.id === first.body.task.id)?.waiting).toBeUndefined();

    const [running] = await db.select().from(runs).where(eq(runs.id, first.body.run.id));
    const sandbox = await driver.get(running?.sandboxId ?? '');
    await sandbox?.exec(['touch', '/workspace/go']);
    await waitForStatus(server.url, user, first.body.task.id, ['in_review'], 90_000);
    await waitForStatus(server.url, user, second.body.task.id, ['in_review'], 90_000);
  }, 180_000);
});

describe('the monthly model budget', () => {
  let llm: FakeLlm;
  let server: TestServer;
  let user: TestUser;
  let repoId: string;

  beforeAll(async () => {
    llm = await startFakeLlm();
    const driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) });
    server = await startTestServer({
      env: {
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-quota-test-0123456789',
          openai: 'sk-openai-quota-test-0123456789',
          compatible: 'sk-local-quota-test-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        LUCID_WORKSPACE_MONTHLY_BUDGET_USD: '1',
      },
      runner: { driver, slots: 1, leaseMs: 3_000, maxRuntimeMs: 120_000, pollMs: 100, warmPool: 0 },
    });
    user = await signUp(server.url);
    repoId = (await pushedRepo(server.url, user, 'budget-repo')).id;
  });
  afterAll(async () => {
    await server.close();
    await llm.close();
  });

  it('fails the run whose model call is over it, saying so, and refuses new tasks with 429', async () => {
    // The first call costs $3 (a million input tokens); the second is over the $1 budget.
    llm.script([
      {
        toolCalls: [{ name: 'bash', input: { command: 'echo working' } }],
        usage: { inputTokens: 1_000_000, outputTokens: 10 },
      },
      { toolCalls: [{ name: 'finish', input: { summary: 'Done.' } }] },
    ]);
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId, prompt: 'Spend the budget' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const done = await waitForStatus(server.url, user, created.body.task.id, ['failed'], 90_000);
    expect(done.status).toBe('failed');
    const errors = (await taskEvents(server.url, user, created.body.task.id)).filter(
      (e) => e.type === 'error',
    );
    expect(JSON.stringify(errors)).toContain('of its $1.00 monthly model budget');

    const refused = await request<ErrorAnswer>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId, prompt: 'One more' },
    });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('quota_exceeded');
    expect(refused.body.error.message).toMatch(
      /^This workspace has used \$3\.\d\d of its \$1\.00 monthly model budget; new tasks can start in /,
    );
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  }, 120_000);
});

describe('the budget before every run', () => {
  let server: TestServer;
  let owner: TestUser;
  let repoId: string;
  let workspaceId: string;

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        ...fakeProviderEnv('http://127.0.0.1:9', {
          anthropic: 'sk-ant-budget-runs-0123456789',
          openai: 'sk-openai-budget-runs-0123456789',
          compatible: 'sk-local-budget-runs-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        LUCID_WORKSPACE_MONTHLY_BUDGET_USD: '1',
      },
    });
    owner = await signUp(server.url, 'Owner');
    repoId = (await pushedRepo(server.url, owner, 'budget-runs-repo')).id;
    workspaceId = await workspaceOf(server, owner);
  });
  afterAll(() => server.close());

  const api = <T>(method: string, pathname: string, json?: unknown) =>
    request<T & ErrorAnswer>(server.url, method, `/api/v1${pathname}`, {
      token: owner.token,
      ...(json !== undefined && { json }),
    });
  const runsOf = async (taskId: string) =>
    (await server.database.db.select().from(runs).where(eq(runs.taskId, taskId))).length;
  const expectRefused = (answer: { status: number; body: ErrorAnswer; headers: Headers }) => {
    expect(answer.status, JSON.stringify(answer.body)).toBe(429);
    expect(answer.body.error.code).toBe('quota_exceeded');
    expect(answer.body.error.message).toMatch(
      /^This workspace has used \$2\.00 of its \$1\.00 monthly model budget; new tasks can start in /,
    );
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  };

  it('refuses a re-run, a follow-up, a start and a retry past it with 429, queueing nothing and storing nothing', async () => {
    const commands = await api<{ task: { id: string } }>('POST', '/tasks', {
      repoId,
      prompt: 'list the files',
      commands: ['ls'],
    });
    expect(commands.status, JSON.stringify(commands.body)).toBe(201);
    const stopped = commands.body.task.id;
    expect((await api('POST', `/tasks/${stopped}/stop`)).status).toBe(200);
    const card = await api<{ task: { id: string } }>('POST', '/tasks', {
      repoId,
      prompt: 'write the notes',
      start: false,
    });
    expect(card.status, JSON.stringify(card.body)).toBe(201);
    const todo = card.body.task.id;

    // The month's model calls cost $2, over the $1 budget.
    await server.database.db.insert(usage).values({
      id: 'use_spent_budget',
      runId: null,
      taskId: stopped,
      workspaceId,
      userId: owner.id,
      model: 'anthropic/claude-sonnet-4-5',
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 2,
    });

    expectRefused(await api('POST', `/tasks/${stopped}/runs`, { commands: ['ls'] }));
    expectRefused(await api('POST', `/tasks/${stopped}/retry`));
    expectRefused(await api('POST', `/tasks/${todo}/start`));
    expectRefused(await api('POST', `/tasks/${todo}/messages`, { text: 'Also the changelog.' }));

    expect(await runsOf(stopped)).toBe(1);
    expect(await runsOf(todo)).toBe(0);
    const [stoppedTask] = await server.database.db
      .select()
      .from(tasks)
      .where(eq(tasks.id, stopped));
    const [todoTask] = await server.database.db.select().from(tasks).where(eq(tasks.id, todo));
    expect([stoppedTask?.status, todoTask?.status]).toEqual(['cancelled', 'todo']);
    // The refused follow-up was not stored: its writer still has it, to send when the budget allows.
    const messages = (await taskEvents(server.url, owner, todo)).filter(
      (e) => e.type === 'message.user',
    );
    expect(messages).toEqual([]);

    // Once the owner raises the budget, the same follow-up starts a run.
    const raised = await api('PATCH', `/workspaces/${workspaceId}/quotas`, {
      monthlyBudgetUsd: 10,
    });
    expect(raised.status, JSON.stringify(raised.body)).toBe(200);
    const posted = await api<{ delivery: string }>('POST', `/tasks/${todo}/messages`, {
      text: 'Also the changelog.',
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    expect(posted.body.delivery).toBe('new_run');
    expect((await api('POST', `/tasks/${stopped}/retry`)).status).toBe(201);
  });
});

describe('API rate limits', () => {
  let server: TestServer;
  let first: TestUser;
  let second: TestUser;

  beforeAll(async () => {
    server = await startTestServer({ env: { LUCID_RATE_LIMIT_PER_MINUTE: '5' } });
    first = await signUp(server.url, 'First');
    second = await signUp(server.url, 'Second');
  });
  afterAll(() => server.close());

  it('answers 429 rate_limited with Retry-After past the limit, counting each caller apart', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (await request(server.url, 'GET', '/api/v1/me', { token: first.token })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await request<ErrorAnswer>(server.url, 'GET', '/api/v1/me', {
      token: first.token,
    });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(limited.body.error.message).toMatch(/^Too many requests: at most 5 a minute/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    expect((await request(server.url, 'GET', '/api/v1/me', { token: second.token })).status).toBe(
      200,
    );
    // Health, git and the runner API are not counted.
    expect((await request(server.url, 'GET', '/healthz')).status).toBe(200);
    const runner = await request<ErrorAnswer>(server.url, 'POST', '/api/v1/runner/heartbeat', {
      headers: { authorization: 'Bearer lrt_not-a-runner' },
      json: {},
    });
    expect(runner.status).not.toBe(429);
  });

  it('shares the count between two servers on one database', async () => {
    const other = await startTestServer({
      env: { LUCID_RATE_LIMIT_PER_MINUTE: '5' },
      sharedDatabase: server.database,
    });
    try {
      const caller = await signUp(server.url, 'Both');
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        statuses.push(
          (await request(server.url, 'GET', '/api/v1/me', { token: caller.token })).status,
        );
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
      const limited = await request<ErrorAnswer>(other.url, 'GET', '/api/v1/me', {
        token: caller.token,
      });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });

  it('counts unauthenticated requests by the client’s address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await request(server.url, 'GET', '/api/v1/me')).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });
});
