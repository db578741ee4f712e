/**
 * The usage report: its figures are the sums of the stored usage rows and runs for every grouping,
 * the CSV says the same, and only members (and above) of the workspace may read it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { UsageGroupBy, UsageReport } from '@lucid/contracts';
import { runs, tasks, usage as usageTable, workspaceMembers } from '../src/db/schema.ts';
import { recordUsage } from '../src/tasks/usage.ts';
import type { DbRunnerBackend } from '../src/control/runner-backend.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { claimedRun, runnerBackendOn } from './support/runner-backend.ts';
import { pushedRepo, startTask } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let backend: DbRunnerBackend;
let owner: TestUser;
let member: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let workspaceId: string;

const day = (offset = 0) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  server = await startTestServer();
  backend = runnerBackendOn(server, 'rnr_usagetest');
  owner = await signUp(server.url, 'Olive Owner');
  member = await signUp(server.url, 'Max Member');
  viewer = await signUp(server.url, 'Vera Viewer');
  outsider = await signUp(server.url, 'Otto Outsider');
  const repo = await pushedRepo(server.url, owner, 'usage-repo');
  const { db } = server.database;
  const me = await request<{ workspaces: Array<{ id: string; personal: boolean }> }>(
    server.url,
    'GET',
    '/api/v1/me',
    { token: owner.token },
  );
  workspaceId = me.body.workspaces.find((w) => w.personal)!.id;
  await db.insert(workspaceMembers).values([
    { workspaceId, userId: member.id, role: 'member' },
    { workspaceId, userId: viewer.id, role: 'viewer' },
  ]);

  // Three runs that called models: two of the owner's (one succeeds, one fails), one of the member's.
  const calls: Array<[TestUser, 'succeeded' | 'failed', Array<[string, number, number, number]>]> =
    [
      [
        owner,
        'succeeded',
        [
          ['anthropic/claude-sonnet-4-5', 1200, 300, 200],
          ['openai/gpt-4o-mini', 500, 40, 0],
        ],
      ],
      [owner, 'failed', [['anthropic/claude-sonnet-4-5', 800, 120, 100]]],
      [member, 'succeeded', [['openai/gpt-4o-mini', 2000, 500, 1000]]],
    ];
  for (const [user, status, models] of calls) {
    const { taskId, runId } = await claimedRun(server, backend, user, repo.id);
    for (const [model, inputTokens, outputTokens, cachedInputTokens] of models) {
      await recordUsage(db, {
        caller: { runId, taskId, workspaceId, userId: user.id },
        model,
        usage: { inputTokens, outputTokens, cachedInputTokens },
      });
    }
    await backend.finish(runId, { status, exitCode: status === 'succeeded' ? 0 : 1 });
  }
  // A run cancelled before it started.
  const cancelled = await startTask(server.url, member, {
    repoId: repo.id,
    prompt: 'never mind',
    commands: ['true'],
  });
  const cancel = await request(server.url, 'POST', `/api/v1/tasks/${cancelled.task.id}/cancel`, {
    token: member.token,
  });
  expect(cancel.status).toBeLessThan(300);
  // Another workspace's usage is not counted.
  const theirs = await pushedRepo(server.url, outsider, 'elsewhere');
  const other = await claimedRun(server, backend, outsider, theirs.id);
  const [otherTask] = await db.select().from(tasks).where(eq(tasks.id, other.taskId));
  await recordUsage(db, {
    caller: {
      runId: other.runId,
      taskId: other.taskId,
      workspaceId: otherTask!.workspaceId,
      userId: outsider.id,
    },
    model: 'anthropic/claude-sonnet-4-5',
    usage: { inputTokens: 99_999, outputTokens: 9_999 },
  });
  // One still queued.
  await startTask(server.url, owner, { repoId: repo.id, prompt: 'later', commands: ['true'] });
});
afterAll(() => server.close());

/** The figures the stored rows give for each group, computed from the tables themselves. */
async function expectedGroups(groupBy: UsageGroupBy) {
  const { db } = server.database;
  const rows = await db.select().from(usageTable).where(eq(usageTable.workspaceId, workspaceId));
  const runRows = await db
    .select({ run: runs, task: tasks })
    .from(runs)
    .innerJoin(tasks, eq(tasks.id, runs.taskId))
    .where(eq(tasks.workspaceId, workspaceId));
  const groups = new Map<string, Record<string, number>>();
  const group = (key: string) => {
    const found = groups.get(key) ?? {
      calls: 0,
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      runs: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      queued: 0,
    };
    groups.set(key, found);
    return found;
  };
  for (const row of rows) {
    const key = {
      day: row.at.toISOString().slice(0, 10),
      user: row.userId ?? '',
      model: row.model,
      task: row.taskId,
    }[groupBy];
    const g = group(key);
    g.calls! += 1;
    g.inputTokens! += row.inputTokens;
    g.cachedInputTokens! += row.cachedInputTokens;
    g.outputTokens! += row.outputTokens;
    g.costUsd! += row.costUsd;
  }
  for (const { run, task } of runRows) {
    const key = {
      day: run.createdAt.toISOString().slice(0, 10),
      user: task.createdBy ?? '',
      model: run.spec.model ?? '',
      task: task.id,
    }[groupBy];
    const g = group(key);
    g.runs! += 1;
    g[run.status] = (g[run.status] ?? 0) + 1;
  }
  return { groups, rows, runRows };
}

async function report(user: TestUser, query: string) {
  return request<UsageReport>(server.url, 'GET', `/api/v1/usage?${query}`, { token: user.token });
}

describe('usage report', () => {
  it.each(['day', 'user', 'model', 'task'] as const)(
    'grouped by %s, sums the stored usage rows and runs, and the CSV says the same',
    async (groupBy) => {
      const { groups, rows, runRows } = await expectedGroups(groupBy);
      expect(rows.length).toBe(4);
      expect(runRows.length).toBe(5);
      const answer = await report(
        member,
        `workspaceId=${workspaceId}&groupBy=${groupBy}&from=${day(-1)}&to=${day(1)}`,
      );
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const body = answer.body;
      expect(body.workspaceId).toBe(workspaceId);
      const withData = body.groups.filter((g) => g.calls > 0 || g.runs > 0);
      expect(withData.map((g) => g.key).sort()).toEqual([...groups.keys()].sort());
      for (const g of withData) {
        const want = groups.get(g.key)!;
        expect(g.calls).toBe(want.calls);
        expect(g.inputTokens).toBe(want.inputTokens);
        expect(g.cachedInputTokens).toBe(want.cachedInputTokens);
        expect(g.outputTokens).toBe(want.outputTokens);
        expect(g.costUsd).toBeCloseTo(want.costUsd!, 10);
        expect(g.runs).toBe(want.runs);
        for (const status of ['succeeded', 'failed', 'cancelled', 'queued'] as const) {
          expect(g.outcomes[status]).toBe(want[status] ?? 0);
        }
      }
      expect(body.totals.inputTokens).toBe(rows.reduce((sum, r) => sum + r.inputTokens, 0));
      expect(body.totals.costUsd).toBeCloseTo(
        rows.reduce((sum, r) => sum + r.costUsd, 0),
        10,
      );
      expect(body.totals.runs).toBe(5);
      if (groupBy === 'user') {
        expect(body.groups.map((g) => g.label)).toContain(`Max Member (${member.email})`);
      }
      if (groupBy === 'day')
        expect(body.groups.map((g) => g.key)).toEqual([day(-1), day(), day(1)]);

      const csv = await request<string>(
        server.url,
        'GET',
        `/api/v1/usage?workspaceId=${workspaceId}&groupBy=${groupBy}&from=${day(-1)}&to=${day(1)}`,
        {
          token: member.token,
          headers: { accept: 'text/csv' },
        },
      );
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(csv.headers.get('content-disposition')).toBe(
        `attachment; filename="lucid-usage-${day(-1)}-to-${day(1)}-by-${groupBy}.csv"`,
      );
      const [header, ...lines] = csv.body.trim().split('\r\n');
      const columns = header!.split(',');
      expect(lines.length).toBe(body.groups.length);
      lines.forEach((line, i) => {
        const cells = parseCsvLine(line);
        const g = body.groups[i]!;
        const cell = (name: string) => cells[columns.indexOf(name)];
        expect(cell('key')).toBe(g.key);
        expect(cell('label')).toBe(g.label);
        expect(Number(cell('inputTokens'))).toBe(g.inputTokens);
        expect(Number(cell('outputTokens'))).toBe(g.outputTokens);
        expect(Number(cell('cachedInputTokens'))).toBe(g.cachedInputTokens);
        expect(Number(cell('costUsd'))).toBe(g.costUsd);
        expect(Number(cell('runs'))).toBe(g.runs);
        expect(Number(cell('succeeded'))).toBe(g.outcomes.succeeded);
        expect(Number(cell('cancelled'))).toBe(g.outcomes.cancelled);
      });
      const byFormat = await request<string>(
        server.url,
        'GET',
        `/api/v1/usage?workspaceId=${workspaceId}&groupBy=${groupBy}&from=${day(-1)}&to=${day(1)}&format=csv`,
        {
          token: member.token,
        },
      );
      expect(byFormat.body).toBe(csv.body);
    },
  );

  it('reads the personal workspace by default', async () => {
    const answer = await report(owner, '');
    expect(answer.status).toBe(200);
    expect(answer.body.workspaceId).toBe(workspaceId);
    expect(answer.body.groups.length).toBe(30);
    const theirs = await report(outsider, 'groupBy=model');
    expect(theirs.body.workspaceId).not.toBe(workspaceId);
    expect(theirs.body.totals.inputTokens).toBe(99_999);
  });

  it('refuses a viewer with 403 naming the role, and tells a non-member the workspace does not exist', async () => {
    const refused = await report(viewer, `workspaceId=${workspaceId}`);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'forbidden' } });
    expect(JSON.stringify(refused.body)).toContain('member role');
    const hidden = await report(outsider, `workspaceId=${workspaceId}`);
    expect(hidden.status).toBe(404);
    expect(hidden.body).toMatchObject({ error: { code: 'not_found' } });
  });

  it.each([
    ['from=yesterday', 'is not a date'],
    ['from=2026-02-30', 'is not a date'],
    ['from=2026-03-02&to=2026-03-01', 'comes after its end'],
    ['from=2025-01-01&to=2026-03-01', 'a year at most'],
  ])('refuses %s with 400 invalid_date_range', async (query, says) => {
    const answer = await report(owner, query);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { code: 'invalid_date_range' } });
    expect(JSON.stringify(answer.body)).toContain(says);
  });
});

function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}
