import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Board, TaskStatus } from '@lucid/contracts';
import { auditLog, tasks } from '../src/db/schema.ts';
import { shellTrajectory, type FakeLlm } from './fakes/llm/index.ts';
import { openBoardStream } from './support/board-stream.ts';
import { startAgentServer, type AgentServer } from './support/agent-server.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { pushedRepo, startTask, stdoutOf, taskEvents, waitForStatus } from './support/tasks.ts';
import type { TestServer } from './support/test-server.ts';

let llm: FakeLlm;
let server: TestServer;
let user: TestUser;
let repoId: string;
let testbed: AgentServer;

beforeAll(async () => {
  testbed = await startAgentServer({
    repo: 'board-repo',
    keys: {
      anthropic: 'sk-ant-board',
      openai: 'sk-oa-board',
      compatible: 'sk-c-board',
    },
  });
  ({ llm, server, user, repoId } = testbed);
});
afterAll(() => testbed.close());
beforeEach(() => llm.reset());

type Action = 'start' | 'approve' | 'reject' | 'retry' | 'cancel';

function act(taskId: string, action: Action, as: TestUser = user) {
  return request<{
    id: string;
    status: string;
    reviewNote?: string | null;
    error?: { code: string; message: string };
  }>(server.url, 'POST', `/api/v1/tasks/${taskId}/${action}`, {
    token: as.token,
    ...(action === 'reject' ? { json: { reason: 'Needs a test.' } } : {}),
  });
}

async function todoTask(json: Record<string, unknown>): Promise<string> {
  const created = await request<{ task: { id: string; status: string } }>(
    server.url,
    'POST',
    '/api/v1/tasks',
    { token: user.token, json: { repoId, start: false, ...json } },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(created.body.task.status).toBe('todo');
  return created.body.task.id;
}

async function board(query = '', as: TestUser = user) {
  return request<Board & { error?: { code: string } }>(
    server.url,
    'GET',
    `/api/v1/repos/${repoId}/board${query}`,
    { token: as.token },
  );
}

function column(view: Board, id: string): string[] {
  return view.columns.find((c) => c.id === id)?.cards.map((card) => card.id) ?? [];
}

/** The agent's next run writes a file: work to review (a run that changes nothing stays to do). */
const scriptWork = (file: string) =>
  llm.script(shellTrajectory([{ command: `echo done > ${file}` }], `Wrote ${file}.`));

const modelBodies = () =>
  llm.requests.filter((r) => r.protocol !== undefined).map((r) => JSON.stringify(r.body));

describe('board transitions', () => {
  it('starts a to-do card: its agent works on the prompt, and a second start is refused', async () => {
    const id = await todoTask({ prompt: 'Describe the repository in NOTES.md' });
    scriptWork('NOTES.md');
    const started = await act(id, 'start');
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.status).toBe('queued');
    await waitForStatus(server.url, user, id, ['in_review', 'failed']).then((task) =>
      expect(task.status).toBe('in_review'),
    );
    expect(modelBodies().some((body) => body.includes('Describe the repository in NOTES.md'))).toBe(
      true,
    );
    const again = await act(id, 'start');
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe('invalid_transition');
    expect(again.body.error?.message).toMatch(/in review.*only a task that is to do or cancelled/);
    const [audit] = await server.database.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, 'task.start'));
    expect(audit?.targetId).toBe(id);
  });

  it('rejects a card in review back to To Do with its reason, which the next run is given', async () => {
    const id = await todoTask({ prompt: 'Add a health check' });
    scriptWork('health.txt');
    expect((await act(id, 'start')).status).toBe(201);
    await waitForStatus(server.url, user, id, ['in_review']);
    const branchBefore = (await server.database.db.select().from(tasks).where(eq(tasks.id, id)))[0]
      ?.branch;

    const rejected = await request<{ status: string; reviewNote: string | null; branch: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${id}/reject`,
      { token: user.token, json: { reason: 'The endpoint must answer 503 while migrating.' } },
    );
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'todo',
      reviewNote: 'The endpoint must answer 503 while migrating.',
      branch: branchBefore,
    });
    // The checks before a push of a repository without a forge are recorded by a job that may
    // end after the rejection: they are not part of it.
    const events = (await taskEvents(server.url, user, id)).filter(
      (e) => !e.type.startsWith('safety.'),
    );
    expect(events.slice(-2)).toMatchObject([
      {
        type: 'review',
        decision: 'rejected',
        reason: 'The endpoint must answer 503 while migrating.',
      },
      { type: 'task.status', status: 'todo' },
    ]);
    expect(column((await board()).body, 'todo')).toContain(id);
    const audits = await server.database.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, id));
    expect(audits.map((a) => a.action)).toEqual(
      expect.arrayContaining(['task.start', 'task.reject']),
    );

    const empty = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      `/api/v1/tasks/${id}/reject`,
      { token: user.token, json: { reason: ' ' } },
    );
    expect(empty.status).toBe(400);
    expect((await act(id, 'reject')).body.error?.code).toBe('invalid_transition');

    llm.reset();
    expect((await act(id, 'start')).status).toBe(201);
    await waitForStatus(server.url, user, id, ['in_review', 'failed']);
    const bodies = modelBodies();
    expect(bodies.length).toBeGreaterThan(0);
    expect(
      bodies.every((body) => body.includes('The endpoint must answer 503 while migrating.')),
    ).toBe(true);
    // The conversation so far comes along: the original prompt is there too.
    expect(bodies[0]).toContain('Add a health check');
  });

  it('retries a failed card on its branch, in the workspace it left', async () => {
    const { task } = await startTask(server.url, user, {
      repoId,
      prompt: 'Flaky step',
      commands: ['if [ -f marker ]; then echo second-try; else touch marker; exit 3; fi'],
    });
    await waitForStatus(server.url, user, task.id, ['failed', 'in_review']).then((t) =>
      expect(t.status).toBe('failed'),
    );
    expect((await act(task.id, 'cancel')).body.error?.code).toBe('invalid_transition');
    expect(column((await board()).body, 'failed')).toContain(task.id);

    const retried = await act(task.id, 'retry');
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    const done = await waitForStatus(server.url, user, task.id, ['in_review', 'failed']);
    expect(done).toMatchObject({ status: 'in_review', branch: task.branch });
    expect(stdoutOf(await taskEvents(server.url, user, task.id))).toContain('second-try');
    expect((await act(task.id, 'retry')).body.error?.code).toBe('invalid_transition');
  });

  it('cancels a running card; a cancelled card can be started again', async () => {
    const { task } = await startTask(server.url, user, {
      repoId,
      prompt: 'Slow',
      commands: ['sleep 60'],
    });
    await waitForStatus(server.url, user, task.id, ['running']);
    expect(column((await board()).body, 'in_progress')).toContain(task.id);
    const cancelled = await act(task.id, 'cancel');
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    await waitForStatus(server.url, user, task.id, ['cancelled']);
    const view = (await board()).body;
    const card = view.columns.find((c) => c.id === 'todo')?.cards.find((c) => c.id === task.id);
    expect(card).toMatchObject({ status: 'cancelled', latestRun: { status: 'cancelled' } });
    const stopped = await taskEvents(server.url, user, task.id);
    expect(stopped.filter((e) => e.type === 'error')).toEqual([]);
    expect(stopped.filter((e) => e.type === 'task.status').at(-1)).toMatchObject({
      status: 'cancelled',
    });
    expect((await act(task.id, 'cancel')).body.error?.code).toBe('invalid_transition');
    expect((await act(task.id, 'approve')).body.error?.code).toBe('invalid_transition');

    const restarted = await act(task.id, 'start');
    expect(restarted.status).toBe(201);
    expect((await act(task.id, 'cancel')).status).toBe(200);
    await waitForStatus(server.url, user, task.id, ['cancelled']);
  });

  it('refuses every transition that has no meaning from the status', async () => {
    const id = await todoTask({ prompt: 'Refusals' });
    const refused: Record<TaskStatus, Action[]> = {
      todo: ['approve', 'reject', 'retry', 'cancel'],
      queued: ['start', 'approve', 'reject', 'retry'],
      running: ['start', 'approve', 'reject', 'retry'],
      plan_review: ['start', 'approve', 'reject', 'retry', 'cancel'],
      in_review: ['start', 'retry', 'cancel'],
      awaiting_merge: ['start', 'approve', 'retry', 'cancel'],
      done: ['start', 'approve', 'reject', 'retry', 'cancel'],
      failed: ['start', 'approve', 'cancel'],
      cancelled: ['approve', 'reject', 'cancel'],
    };
    for (const [status, actions] of Object.entries(refused) as [TaskStatus, Action[]][]) {
      await server.database.db.update(tasks).set({ status }).where(eq(tasks.id, id));
      for (const action of actions) {
        const answer = await act(id, action);
        expect(answer.status, `${action} from ${status}`).toBe(409);
        expect(answer.body.error?.code).toBe('invalid_transition');
      }
    }
    await server.database.db.delete(tasks).where(eq(tasks.id, id));
  });
});

describe('editing a card before it first runs', () => {
  const edit = (taskId: string, json: Record<string, unknown>, as: TestUser = user) =>
    request<{
      prompt: string;
      title: string;
      agent: string | null;
      model: string | null;
      error?: { code: string; message: string };
    }>(server.url, 'PATCH', `/api/v1/tasks/${taskId}`, { token: as.token, json });

  it('changes its description, agent and model, and its first run uses them', async () => {
    const id = await todoTask({ prompt: 'Write the release notes' });
    const edited = await edit(id, {
      title: 'Notes',
      prompt: 'List the files in EDITED.md',
      agent: 'lucid',
      model: 'openai/gpt-5',
    });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body).toMatchObject({
      title: 'Notes',
      prompt: 'List the files in EDITED.md',
      agent: 'lucid',
      model: 'openai/gpt-5',
    });
    scriptWork('EDITED.md');
    expect((await act(id, 'start')).status).toBe(201);
    await waitForStatus(server.url, user, id, ['in_review', 'failed']);
    const calls = llm.requests.filter((r) => r.protocol !== undefined);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((r) => r.protocol === 'openai-responses')).toBe(true);
    const bodies = calls.map((r) => JSON.stringify(r.body));
    expect(bodies.some((body) => body.includes('List the files in EDITED.md'))).toBe(true);
    expect(bodies.some((body) => body.includes('Write the release notes'))).toBe(false);
    const messages = (await taskEvents(server.url, user, id)).filter(
      (e) => e.type === 'message.user',
    );
    expect(messages.map((e) => e.text)).toEqual(['List the files in EDITED.md']);
    const audit = await server.database.db.select().from(auditLog).where(eq(auditLog.targetId, id));
    expect(audit.map((entry) => entry.action)).toContain('task.update');

    const late = await edit(id, { prompt: 'Something else' });
    expect(late.status).toBe(409);
    expect(late.body.error?.code).toBe('invalid_transition');
    expect(late.body.error?.message).toMatch(/can only be changed before it first runs/);
    const renamed = await edit(id, { title: 'Release notes' });
    expect(renamed.status).toBe(200);
  });

  it('refuses an edit to a card sent back to do after a run', async () => {
    const id = await todoTask({ prompt: 'Add a README' });
    scriptWork('README.md');
    expect((await act(id, 'start')).status).toBe(201);
    await waitForStatus(server.url, user, id, ['in_review', 'failed']);
    await server.database.db.update(tasks).set({ status: 'todo' }).where(eq(tasks.id, id));
    const late = await edit(id, { model: 'openai/gpt-5' });
    expect(late.status).toBe(409);
    expect(late.body.error?.code).toBe('invalid_transition');
  });

  it('checks the agent and model as at creation, needs a field, and hides the task from others', async () => {
    const id = await todoTask({ prompt: 'Keep me as I am' });
    const badModel = await edit(id, { model: 'gemini/gemini-2.5-pro' });
    expect(badModel.status).toBe(400);
    expect(badModel.body.error?.code).toBe('model_unavailable');
    const badAgent = await edit(id, { agent: 'codex' });
    expect(badAgent.status).toBe(400);
    expect(badAgent.body.error?.code).toBe('agent_unavailable');
    const empty = await edit(id, {});
    expect(empty.status).toBe(400);
    expect(empty.body.error?.code).toBe('validation_failed');
    expect(empty.body.error?.message).toMatch(/at least one of title, prompt, agent or model/);
    const stranger = await signUp(server.url);
    const hidden = await edit(id, { prompt: 'Mine now' }, stranger);
    expect(hidden.status).toBe(404);
    expect(hidden.body.error?.code).toBe('task_not_found');
    const [stored] = await server.database.db.select().from(tasks).where(eq(tasks.id, id));
    expect(stored).toMatchObject({
      prompt: 'Keep me as I am',
      agent: 'lucid',
      model: 'anthropic/claude-sonnet-4-5',
    });
  });
});

describe('the board read model', () => {
  it('puts each status in its column, marks awaiting merge, and filters', async () => {
    const other = (await pushedRepo(server.url, user, 'board-columns')).id;
    const make = async (prompt: string, status: TaskStatus, agent?: string) => {
      const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
        token: user.token,
        json: { repoId: other, prompt, start: false, ...(agent ? { agent } : {}) },
      });
      const id = created.body.task.id;
      await server.database.db.update(tasks).set({ status }).where(eq(tasks.id, id));
      return id;
    };
    const ids = {
      todo: await make('Write the changelog', 'todo'),
      queued: await make('Fix the login form', 'queued'),
      running: await make('Speed up the build', 'running'),
      inReview: await make('Add dark mode', 'in_review'),
      awaiting: await make('Bump dependencies', 'awaiting_merge'),
      done: await make('Rename the package', 'done'),
      failed: await make('Port to Deno', 'failed'),
      cancelled: await make('Rewrite in Rust', 'cancelled'),
    };
    const read = await request<Board>(server.url, 'GET', `/api/v1/repos/${other}/board`, {
      token: user.token,
    });
    expect(read.status).toBe(200);
    const view = read.body;
    expect(view.columns.map((c) => c.id)).toEqual([
      'todo',
      'in_progress',
      'in_review',
      'done',
      'failed',
    ]);
    const sorted = (list: string[]) => [...list].sort();
    expect(sorted(column(view, 'todo'))).toEqual(sorted([ids.todo, ids.cancelled]));
    expect(sorted(column(view, 'in_progress'))).toEqual(sorted([ids.queued, ids.running]));
    expect(sorted(column(view, 'in_review'))).toEqual(sorted([ids.inReview, ids.awaiting]));
    expect(column(view, 'done')).toEqual([ids.done]);
    expect(column(view, 'failed')).toEqual([ids.failed]);
    const review = view.columns.find((c) => c.id === 'in_review')?.cards ?? [];
    expect(review.find((c) => c.id === ids.awaiting)).toMatchObject({
      awaitingMerge: true,
      status: 'awaiting_merge',
      repoName: 'board-columns',
      agent: 'lucid',
      model: 'anthropic/claude-sonnet-4-5',
      latestRun: null,
    });
    expect(review.find((c) => c.id === ids.inReview)?.awaitingMerge).toBe(false);

    const get = (query: string) =>
      request<Board>(server.url, 'GET', `/api/v1/repos/${other}/board?${query}`, {
        token: user.token,
      }).then((r) => r.body.columns.flatMap((c) => c.cards.map((card) => card.id)));
    expect(await get('q=LOGIN')).toEqual([ids.queued]);
    expect(sorted(await get('status=cancelled'))).toEqual([ids.cancelled]);
    expect(await get('agent=codex')).toEqual([]);
    expect((await get('agent=lucid')).length).toBe(8);
    const bad = await request<{ error: { code: string } }>(
      server.url,
      'GET',
      `/api/v1/repos/${other}/board?status=sleeping`,
      { token: user.token },
    );
    expect(bad.status).toBe(400);
  });

  it('shows the newest run of a card with its duration', async () => {
    const { task } = await startTask(server.url, user, {
      repoId,
      prompt: 'Quick',
      commands: ['echo quick'],
    });
    await waitForStatus(server.url, user, task.id, ['in_review']);
    const card = (await board()).body.columns.flatMap((c) => c.cards).find((c) => c.id === task.id);
    expect(card?.latestRun).toMatchObject({ status: 'succeeded' });
    expect(card?.latestRun?.durationMs).toBeGreaterThanOrEqual(0);
    expect(card?.latestRun?.finishedAt).not.toBeNull();
  });

  it("hides another user's repository and tasks: 404", async () => {
    const stranger = await signUp(server.url, 'Stranger');
    const seen = await board('', stranger);
    expect(seen.status).toBe(404);
    expect(seen.body.error?.code).toBe('repo_not_found');
    const id = await todoTask({ prompt: 'Private work' });
    for (const action of ['start', 'approve', 'reject', 'retry', 'cancel'] as const) {
      const answer = await act(id, action, stranger);
      expect(answer.status, action).toBe(404);
      expect(answer.body.error?.code).toBe('task_not_found');
    }
    const stream = await fetch(`${server.url}/api/v1/repos/${repoId}/board/stream`, {
      headers: { authorization: `Bearer ${stranger.token}` },
    });
    expect(stream.status).toBe(404);
  });
});

describe('the board stream', () => {
  it('tells every viewer when a task of the repository is created or changes status', async () => {
    const viewers = await Promise.all([
      openBoardStream(server.url, repoId, user.token),
      openBoardStream(server.url, repoId, user.token),
    ]);
    const id = await todoTask({ prompt: 'Streamed card' });
    for (const viewer of viewers) {
      await viewer.waitFor(
        (m) => m.kind === 'board.changed' && m.taskId === id && m.status === 'todo',
      );
    }
    expect((await act(id, 'reject')).status).toBe(409);
    await server.database.db.update(tasks).set({ status: 'in_review' }).where(eq(tasks.id, id));
    expect((await act(id, 'reject')).status).toBe(200);
    for (const viewer of viewers) {
      await viewer.waitFor(
        (m) =>
          m.kind === 'board.changed' &&
          m.taskId === id &&
          m.status === 'todo' &&
          m !== viewer.first(),
      );
    }
    const deleted = await request(server.url, 'DELETE', `/api/v1/tasks/${id}`, {
      token: user.token,
    });
    expect(deleted.status).toBe(204);
    await viewers[0]?.waitFor(
      (m) => m.kind === 'board.changed' && m.taskId === id && m.status === null,
    );
    for (const viewer of viewers) viewer.close();
  });
});

describe('the runners panel', () => {
  it('lists the pool: slots, busy, queued runs and warm sandboxes', async () => {
    const list = await request<{
      runners: unknown[];
      pool: { slots: number; busy: number; queuedRuns: number; warmSandboxes: number };
    }>(server.url, 'GET', '/api/v1/runners', { token: user.token });
    expect(list.status).toBe(200);
    expect(list.body.pool).toEqual({ slots: 1, busy: 0, queuedRuns: 0, warmSandboxes: 0 });
  });
});
