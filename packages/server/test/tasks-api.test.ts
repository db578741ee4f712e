import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, runs, usage } from '../src/db/schema.ts';
import { newId } from '../src/ids.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { authedUrl, git, gitOk } from './support/git.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { pushedRepo, startTask, taskEvents } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

// No runner: runs stay queued, which is what the conflicts below need.
let server: TestServer;
let owner: TestUser;
let stranger: TestUser;
let repoId: string;
let otherRepoId: string;
let cloneUrl: string;

interface Summary {
  id: string;
  title: string;
  status: string;
  repoName: string;
  updatedAt: string;
}

beforeAll(async () => {
  server = await startTestServer({
    env: {
      ...fakeProviderEnv('http://127.0.0.1:9', { anthropic: 'a', openai: 'o', compatible: 'c' }),
      LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
    },
  });
  owner = await signUp(server.url, 'Owner');
  stranger = await signUp(server.url, 'Stranger');
  const one = await pushedRepo(server.url, owner, 'api-one');
  repoId = one.id;
  cloneUrl = one.cloneUrl;
  otherRepoId = (await pushedRepo(server.url, owner, 'api-two')).id;
});
afterAll(() => server.close());

const call = <T = unknown>(user: TestUser, method: string, path: string, json?: unknown) =>
  request<T>(server.url, method, path, { token: user.token, ...(json ? { json } : {}) });

async function agentTask(prompt: string, repo = repoId, start = false) {
  const created = await call<{ task: { id: string } }>(owner, 'POST', '/api/v1/tasks', {
    repoId: repo,
    prompt,
    start,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.task.id;
}

describe('the conversations list', () => {
  it("lists the caller's tasks, most recently updated first, with repo names and filters", async () => {
    const first = await agentTask('Polish the navbar colours');
    const second = await agentTask('Write the release notes', otherRepoId);
    const third = await startTask(server.url, owner, {
      repoId,
      prompt: 'Run the linter',
      commands: ['true'],
    });
    const list = await call<{ tasks: Summary[] }>(owner, 'GET', '/api/v1/tasks');
    expect(list.status).toBe(200);
    const ids = list.body.tasks.map((t) => t.id);
    expect(ids.slice(0, 3)).toEqual([third.task.id, second, first]);
    expect(list.body.tasks.find((t) => t.id === second)?.repoName).toBe('api-two');

    const renamed = await call(owner, 'PATCH', `/api/v1/tasks/${first}`, { title: 'Navbar' });
    expect(renamed.status).toBe(200);
    const after = await call<{ tasks: Summary[] }>(owner, 'GET', '/api/v1/tasks?limit=1');
    expect(after.body.tasks.map((t) => t.id)).toEqual([first]);

    const byRepo = await call<{ tasks: Summary[] }>(
      owner,
      'GET',
      `/api/v1/tasks?repoId=${otherRepoId}`,
    );
    expect(byRepo.body.tasks.map((t) => t.id)).toEqual([second]);
    const byStatus = await call<{ tasks: Summary[] }>(owner, 'GET', '/api/v1/tasks?status=queued');
    expect(byStatus.body.tasks.map((t) => t.id)).toEqual([third.task.id]);
    const byText = await call<{ tasks: Summary[] }>(owner, 'GET', '/api/v1/tasks?q=RELEASE%20note');
    expect(byText.body.tasks.map((t) => t.id)).toEqual([second]);
    const wildcard = await call<{ tasks: Summary[] }>(owner, 'GET', '/api/v1/tasks?q=%25');
    expect(wildcard.body.tasks).toEqual([]);

    const theirs = await call<{ tasks: Summary[] }>(stranger, 'GET', '/api/v1/tasks');
    expect(theirs.body.tasks).toEqual([]);
  });

  it('refuses bad filters with a code', async () => {
    for (const query of ['status=sleeping', 'limit=0', 'limit=500', 'q=%20%20']) {
      const answer = await call<{ error: { code: string } }>(
        owner,
        'GET',
        `/api/v1/tasks?${query}`,
      );
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code).toBe('validation_failed');
    }
  });
});

describe('the branch a task starts from', () => {
  it('refuses a base branch the repository does not have, and stores nothing', async () => {
    const before = await call<{ tasks: unknown[] }>(owner, 'GET', `/api/v1/tasks?repoId=${repoId}`);
    for (const baseBranch of ['nope', 'main~1', 'HEAD']) {
      const answer = await call<{ error: { code: string; message: string } }>(
        owner,
        'POST',
        '/api/v1/tasks',
        { repoId, prompt: 'start elsewhere', commands: ['true'], baseBranch },
      );
      expect(answer.status, baseBranch).toBe(400);
      expect(answer.body.error.code).toBe('branch_not_found');
      expect(answer.body.error.message).toContain(baseBranch);
    }
    const after = await call<{ tasks: unknown[] }>(owner, 'GET', `/api/v1/tasks?repoId=${repoId}`);
    expect(after.body.tasks).toHaveLength(before.body.tasks.length);

    const onMain = await call<{ task: { baseBranch: string } }>(owner, 'POST', '/api/v1/tasks', {
      repoId,
      prompt: 'start on main',
      commands: ['true'],
      baseBranch: 'main',
      start: false,
    });
    expect(onMain.status, JSON.stringify(onMain.body)).toBe(201);
    expect(onMain.body.task.baseBranch).toBe('main');
  });
});

describe('rename, stop and delete', () => {
  it('records where a task comes from: the API by default, a chat or a board card when told', async () => {
    const sources: Array<[string | undefined, string]> = [
      [undefined, 'api'],
      ['chat', 'chat'],
      ['board', 'board'],
    ];
    for (const [source, stored] of sources) {
      const created = await call<{ task: { id: string; source: string } }>(
        owner,
        'POST',
        '/api/v1/tasks',
        { repoId, prompt: 'Where from?', start: false, ...(source ? { source } : {}) },
      );
      expect(created.status).toBe(201);
      expect(created.body.task.source).toBe(stored);
    }
    const bad = await call<{ error: { code: string } }>(owner, 'POST', '/api/v1/tasks', {
      repoId,
      prompt: 'Where from?',
      source: 'webhook',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
  });

  it('renames a task, audited; an empty title is refused', async () => {
    const id = await agentTask('Rename me');
    const renamed = await call<{ title: string }>(owner, 'PATCH', `/api/v1/tasks/${id}`, {
      title: '  A better title ',
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.title).toBe('A better title');
    const empty = await call<{ error: { code: string } }>(owner, 'PATCH', `/api/v1/tasks/${id}`, {
      title: '  ',
    });
    expect(empty.status).toBe(400);
    const audit = await call<{ entries: { action: string; targetId: string }[] }>(
      owner,
      'GET',
      '/api/v1/audit',
    );
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({ action: 'task.update', targetId: id }),
    );
  });

  it('refuses to delete a task while a run is queued; stop, then delete removes it all', async () => {
    const { task, run } = await startTask(server.url, owner, {
      repoId,
      prompt: 'Long job',
      commands: ['sleep 600'],
    });
    const refused = await call<{ error: { code: string; message: string } }>(
      owner,
      'DELETE',
      `/api/v1/tasks/${task.id}`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('conflict');
    expect(refused.body.error.message).toContain('stop it');
    expect(refused.body.error.message).toContain('“Long job”');
    expect(refused.body.error.message).not.toMatch(/task_|run_/);

    const stopped = await call<{ id: string; status: string }>(
      owner,
      'POST',
      `/api/v1/tasks/${task.id}/stop`,
    );
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ id: run.id, status: 'cancelled' });
    const cancelled = await call<{ status: string }>(owner, 'GET', `/api/v1/tasks/${task.id}`);
    expect(cancelled.body.status).toBe('cancelled');

    const again = await call<{ error: { code: string; message: string } }>(
      owner,
      'POST',
      `/api/v1/tasks/${task.id}/stop`,
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('invalid_transition');
    expect(again.body.error.message).toBe(
      '“Long job” is cancelled; only a task that is queued or running can be cancelled.',
    );
    const approved = await call<{ error: { message: string } }>(
      owner,
      'POST',
      `/api/v1/tasks/${task.id}/approve`,
    );
    expect(approved.body.error.message).toMatch(/^“Long job” is cancelled; only a task/);

    expect((await taskEvents(server.url, owner, task.id)).length).toBeGreaterThan(0);
    const deleted = await call(owner, 'DELETE', `/api/v1/tasks/${task.id}`);
    expect(deleted.status).toBe(204);
    const gone = await call<{ error: { code: string } }>(owner, 'GET', `/api/v1/tasks/${task.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('task_not_found');
    const { db } = server.database;
    expect(await db.select().from(runs).where(eq(runs.taskId, task.id))).toEqual([]);
    expect(await db.select().from(events).where(eq(events.taskId, task.id))).toEqual([]);
    const audit = await call<{ entries: { action: string; targetId: string }[] }>(
      owner,
      'GET',
      '/api/v1/audit',
    );
    const actions = audit.body.entries.filter((e) => e.targetId === task.id).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['task.cancel', 'task.delete']));
  });
});

describe('follow-ups', () => {
  it('stores the first prompt of an agent task as a user message, once', async () => {
    const id = await agentTask('Make the footer sticky', repoId, true);
    const events = await taskEvents(server.url, owner, id);
    expect(events.filter((e) => e.type === 'message.user')).toMatchObject([
      { text: 'Make the footer sticky', seq: 1 },
    ]);
  });

  it('stores the prompt of a task to do later when it first runs, so it can be edited until then', async () => {
    const id = await agentTask('Make the header sticky');
    expect(await taskEvents(server.url, owner, id)).toEqual([]);
    const edited = await call(owner, 'PATCH', `/api/v1/tasks/${id}`, {
      prompt: 'Make the header and footer sticky',
    });
    expect(edited.status).toBe(200);
    const started = await call(owner, 'POST', `/api/v1/tasks/${id}/start`);
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const events = await taskEvents(server.url, owner, id);
    expect(events.filter((e) => e.type === 'message.user')).toMatchObject([
      { text: 'Make the header and footer sticky', seq: 1 },
    ]);
  });

  it('queues a new agent run when none is pending, else leaves it for the next step', async () => {
    const id = await agentTask('Start nothing yet');
    const first = await call<{ seq: number; delivery: string; run: { id: string } | null }>(
      owner,
      'POST',
      `/api/v1/tasks/${id}/messages`,
      { text: 'Now add a test' },
    );
    expect(first.status).toBe(202);
    expect(first.body.delivery).toBe('new_run');
    expect(first.body.run?.id).toMatch(/^run_/);
    const second = await call<{ seq: number; delivery: string; run: unknown }>(
      owner,
      'POST',
      `/api/v1/tasks/${id}/messages`,
      { text: 'And a changelog entry' },
    );
    expect(second.body).toMatchObject({ delivery: 'next_step', run: null });
    expect(second.body.seq).toBeGreaterThan(first.body.seq);
    const runs = await call<{ runs: unknown[] }>(owner, 'GET', `/api/v1/tasks/${id}/runs`);
    expect(runs.body.runs).toHaveLength(1);
    const texts = (await taskEvents(server.url, owner, id))
      .filter((e) => e.type === 'message.user')
      .map((e) => e.text);
    expect(texts).toEqual(['Start nothing yet', 'Now add a test', 'And a changelog entry']);
  });

  it('refuses follow-ups to a command-only task, and empty ones', async () => {
    const { task } = await startTask(server.url, owner, {
      repoId,
      prompt: 'Commands only',
      commands: ['true'],
    });
    const refused = await call<{ error: { code: string } }>(
      owner,
      'POST',
      `/api/v1/tasks/${task.id}/messages`,
      { text: 'hello?' },
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('no_agent');
    const empty = await call<{ error: { code: string } }>(
      owner,
      'POST',
      `/api/v1/tasks/${task.id}/messages`,
      { text: '   ' },
    );
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('validation_failed');
  });
});

describe("another user's task", () => {
  it('does not exist for them on any endpoint', async () => {
    const id = await agentTask('Private work');
    const attempts: [string, string, unknown?][] = [
      ['GET', `/api/v1/tasks/${id}`],
      ['PATCH', `/api/v1/tasks/${id}`, { title: 'Mine now' }],
      ['DELETE', `/api/v1/tasks/${id}`],
      ['POST', `/api/v1/tasks/${id}/stop`],
      ['POST', `/api/v1/tasks/${id}/messages`, { text: 'hi' }],
      ['GET', `/api/v1/tasks/${id}/runs`],
      ['GET', `/api/v1/tasks/${id}/events`],
      ['GET', `/api/v1/tasks/${id}/files`],
      ['GET', `/api/v1/tasks/${id}/files/content?path=README.md`],
      ['GET', `/api/v1/tasks/${id}/diff`],
    ];
    for (const [method, path, json] of attempts) {
      const answer = await call<{ error: { code: string } }>(stranger, method, path, json);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.error.code, `${method} ${path}`).toBe('task_not_found');
    }
    const still = await call<{ title: string }>(owner, 'GET', `/api/v1/tasks/${id}`);
    expect(still.body.title).toBe('Private work');
  });
});

describe("a task's totals", () => {
  it('sums the time, tokens and cost of its runs, and says since when one runs', async () => {
    const { task, run } = await startTask(server.url, owner, {
      repoId,
      prompt: 'Counted',
      commands: ['true'],
    });
    const fresh = await call<{ totals: Record<string, unknown> }>(
      owner,
      'GET',
      `/api/v1/tasks/${task.id}`,
    );
    expect(fresh.body.totals).toEqual({
      runs: 1,
      elapsedMs: 0,
      runningSince: null,
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      costUsd: 0,
      cacheSavingsUsd: 0,
      costByPhase: { plan: 0, code: 0, title: 0, summary: 0 },
    });

    const { db } = server.database;
    const [row] = await db.select().from(runs).where(eq(runs.id, run.id));
    await db
      .update(runs)
      .set({
        status: 'succeeded',
        startedAt: new Date('2026-01-01T10:00:00Z'),
        finishedAt: new Date('2026-01-01T10:01:30Z'),
      })
      .where(eq(runs.id, run.id));
    const running = await db
      .insert(runs)
      .values({
        id: newId('run'),
        taskId: task.id,
        spec: row!.spec,
        status: 'running',
        startedAt: new Date(Date.now() - 60_000),
      })
      .returning();
    const workspaceId = (
      await call<{ workspaceId: string }>(owner, 'GET', `/api/v1/tasks/${task.id}`)
    ).body.workspaceId;
    const meter = (runId: string, input: number, output: number, costUsd: number) => ({
      id: newId('use'),
      runId,
      taskId: task.id,
      workspaceId,
      model: 'anthropic/claude-sonnet-4-5',
      inputTokens: input,
      outputTokens: output,
      cachedInputTokens: 10,
      costUsd,
    });
    await db
      .insert(usage)
      .values([meter(run.id, 1000, 200, 0.25), meter(running[0]!.id, 500, 100, 0.5)]);

    const read = await call<{ totals: Record<string, number | string | null> }>(
      owner,
      'GET',
      `/api/v1/tasks/${task.id}`,
    );
    expect(read.status).toBe(200);
    const totals = read.body.totals;
    expect(totals).toMatchObject({
      runs: 2,
      inputTokens: 1500,
      outputTokens: 300,
      cachedInputTokens: 20,
      costUsd: 0.75,
      runningSince: running[0]!.startedAt!.toISOString(),
    });
    expect(totals.elapsedMs).toBe(90_000);
    // 20 tokens read from the cache at $0.30 per million instead of $3.
    expect(totals.cacheSavingsUsd).toBeCloseTo((20 * (3 - 0.3)) / 1_000_000, 12);
    await db.update(runs).set({ status: 'cancelled' }).where(eq(runs.taskId, task.id));
  });
});

describe("a task's patch", () => {
  it("answers the branch's commits as a patch file that applies to the base branch", async () => {
    const id = await agentTask('Patch me');
    const task = (
      await call<{ branch: string; title: string }>(owner, 'GET', `/api/v1/tasks/${id}`)
    ).body;

    const before = await call<{ error: { code: string; message: string } }>(
      owner,
      'GET',
      `/api/v1/tasks/${id}/patch`,
    );
    expect(before.status).toBe(404);
    expect(before.body.error.code).toBe('ref_not_found');
    expect(before.body.error.message).toContain('“Patch me”');

    const work = path.join(tmpdir(), newId('clone'));
    const url = authedUrl(cloneUrl, owner.token);
    await gitOk(['clone', '--quiet', url, work]);
    await gitOk(['checkout', '--quiet', '-b', task.branch], work);
    await writeFile(path.join(work, 'patched.txt'), 'from the task\n');
    await writeFile(path.join(work, 'README.md'), '# api-one\nChanged by the task.\n');
    await gitOk(['add', '.'], work);
    await gitOk(['commit', '--quiet', '-m', 'Add patched.txt'], work);
    await gitOk(['push', '--quiet', url, task.branch], work);

    const answer = await fetch(`${server.url}/api/v1/tasks/${id}/patch`, {
      headers: { authorization: `Bearer ${owner.token}` },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/x-patch/);
    const disposition = answer.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^attachment; filename="lucid-.+\.patch"$/);
    const patch = await answer.text();
    expect(patch).toContain('Subject: [PATCH] Add patched.txt');
    expect(patch).toContain('+from the task');

    await gitOk(['checkout', '--quiet', 'main'], work);
    const patchFile = path.join(tmpdir(), `${newId('patch')}.patch`);
    await writeFile(patchFile, patch);
    const check = await git(['apply', '--check', patchFile], work);
    expect(check.code, check.stderr).toBe(0);

    const stranger404 = await call<{ error: { code: string } }>(
      stranger,
      'GET',
      `/api/v1/tasks/${id}/patch`,
    );
    expect(stranger404.status).toBe(404);
    expect(stranger404.body.error.code).toBe('task_not_found');
  });
});
