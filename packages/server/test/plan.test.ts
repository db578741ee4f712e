/**
 * The plan step: a task in review mode is planned on the plan model with read-only tools, waits
 * in plan review, is approved (edited) and coded following the plan, which the coding run ticks;
 * a rejected plan queues no coding run and cancels the task with the note, which a retry's planner
 * reads; auto mode codes at once. Every model call is recorded with its phase, and the task's
 * totals show the cost of each; a viewer cannot approve, and another user's task does not exist.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Plan } from '@lucid/contracts';
import { usage } from '../src/db/schema.ts';
import { offersTools, type FakeLlm, type RecordedRequest } from './fakes/llm/index.ts';
import { startAgentServer, type AgentServer } from './support/agent-server.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { pushedRepo, taskEvents, waitForStatus, type EventView } from './support/tasks.ts';
import type { TestServer } from './support/test-server.ts';

const PLAN_MODEL = 'anthropic/claude-haiku-4-5';
const CODE_MODEL = 'anthropic/claude-sonnet-4-5';

let testbed: AgentServer;
let llm: FakeLlm;
let server: TestServer;
let user: TestUser;
let repoId: string;

beforeAll(async () => {
  testbed = await startAgentServer({
    repo: 'plan-repo',
    keys: {
      anthropic: 'sk-ant-plan-0123456789',
      openai: 'sk-oa-plan-0123456789',
      compatible: 'sk-c-plan-0123456789',
    },
    env: { LUCID_PLAN_MODEL: PLAN_MODEL, LUCID_SMALL_MODEL: 'openai/gpt-5-mini' },
  });
  ({ llm, server, user, repoId } = testbed);
});
afterAll(() => testbed.close());
beforeEach(() => llm.reset());

const PLAN: Plan = {
  goal: 'Add a greeting file',
  files: [{ path: 'hello.txt', why: 'the greeting lives there' }],
  steps: [
    { title: 'Write the greeting', detail: 'hello.txt says hello' },
    { title: 'Check it', detail: 'read it back' },
  ],
  testing: 'cat hello.txt',
  risks: 'none',
};

/** The planner lists the files, then submits `plan`. */
function scriptPlanner(plan: Plan = PLAN): void {
  llm.script([
    { when: offersTools, toolCalls: [{ name: 'list_files', input: {} }] },
    { when: offersTools, toolCalls: [{ name: 'submit_plan', input: plan }] },
  ]);
}

/** The coder writes the file, ticking both steps, then finishes. */
function scriptCoder(): void {
  llm.script([
    {
      when: offersTools,
      toolCalls: [
        { name: 'write_file', input: { path: 'hello.txt', content: 'hello\n' } },
        { name: 'plan_step_done', input: { index: 0 } },
      ],
    },
    {
      when: offersTools,
      toolCalls: [
        { name: 'plan_step_done', input: { index: 1 } },
        { name: 'finish', input: { summary: 'Wrote the greeting.' } },
      ],
    },
  ]);
}

async function newTask(
  planMode: 'review' | 'auto',
  prompt = 'Add a greeting',
): Promise<{ id: string; planMode: string }> {
  const created = await request<{ task: { id: string; planMode: string } }>(
    server.url,
    'POST',
    '/api/v1/tasks',
    { token: user.token, json: { repoId, prompt, model: CODE_MODEL, planMode } },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.task;
}

const toolRequests = () =>
  testbed.modelRequests().filter((r) => offersTools(r.body as Record<string, unknown>));
const toolNames = (r: RecordedRequest) =>
  ((r.body as { tools?: Array<{ name: string }> }).tools ?? []).map((t) => t.name);
const modelOf = (r: RecordedRequest) => (r.body as { model?: string }).model;
const of = (events: EventView[], type: string) => events.filter((e) => e.type === type);

describe('review mode', () => {
  it('plans on the plan model with read-only tools, waits, and codes the edited plan, ticking it', async () => {
    scriptPlanner();
    const task = await newTask('review');
    expect(task.planMode).toBe('review');
    await waitForStatus(server.url, user, task.id, ['plan_review', 'failed']);

    const planning = toolRequests();
    expect(planning.length).toBe(2);
    for (const sent of planning) {
      expect(modelOf(sent)).toBe('claude-haiku-4-5');
      expect(toolNames(sent).sort()).toEqual(['list_files', 'read_file', 'search', 'submit_plan']);
      const tools = (
        sent.body as { tools: Array<{ name: string; input_schema: { type?: string } }> }
      ).tools;
      // Providers take a tool's input schema only with an object at its root.
      expect(tools.find((t) => t.name === 'submit_plan')?.input_schema.type).toBe('object');
    }
    const detail = await request<{ status: string; plan: Plan }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}`,
      { token: user.token },
    );
    expect(detail.body).toMatchObject({ status: 'plan_review', plan: PLAN });
    const proposed = of(await taskEvents(server.url, user, task.id), 'plan.proposed');
    expect(proposed).toEqual([expect.objectContaining({ plan: PLAN, model: PLAN_MODEL })]);
    // Nothing was committed or pushed while planning.
    const events = await taskEvents(server.url, user, task.id);
    expect(of(events, 'git.push')).toEqual([]);

    llm.reset();
    scriptCoder();
    const edited: Plan = {
      ...PLAN,
      steps: [PLAN.steps[0]!, { title: 'Read the greeting back', detail: 'cat hello.txt' }],
    };
    const approved = await request<{ id: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${task.id}/plan/approve`,
      { token: user.token, json: { plan: edited } },
    );
    expect(approved.status, JSON.stringify(approved.body)).toBe(201);
    await waitForStatus(server.url, user, task.id, ['in_review', 'failed', 'todo']);

    const coding = toolRequests();
    expect(coding.length).toBeGreaterThan(0);
    expect(modelOf(coding[0]!)).toBe('claude-sonnet-4-5');
    expect(toolNames(coding[0]!)).toEqual(expect.arrayContaining(['write_file', 'plan_step_done']));
    expect(JSON.stringify(coding[0]!.body)).toContain('Read the greeting back');

    const after = await taskEvents(server.url, user, task.id);
    expect(of(after, 'plan.approved')).toEqual([
      expect.objectContaining({ plan: edited, edited: true, by: 'Test User' }),
    ]);
    expect(of(after, 'plan.step').map((e) => e.index)).toEqual([0, 1]);
    const final = await request<{ status: string; plan: Plan }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}`,
      { token: user.token },
    );
    expect(final.body).toMatchObject({ status: 'in_review', plan: edited });
  });

  it('rejects a plan with a note: no coding run, the task cancelled; a retry plans with the note', async () => {
    scriptPlanner();
    const task = await newTask('review', 'Add a farewell');
    await waitForStatus(server.url, user, task.id, ['plan_review', 'failed']);
    const rejected = await request<{ status: string; reviewNote: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${task.id}/plan/reject`,
      { token: user.token, json: { note: 'Put it in docs/ instead' } },
    );
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'cancelled',
      reviewNote: 'Put it in docs/ instead',
    });
    const runs = await request<{ runs: unknown[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}/runs`,
      { token: user.token },
    );
    expect(runs.body.runs).toHaveLength(1);
    const events = await taskEvents(server.url, user, task.id);
    expect(of(events, 'plan.rejected')).toEqual([
      expect.objectContaining({ note: 'Put it in docs/ instead', by: 'Test User' }),
    ]);
    // Approving what was rejected is refused.
    const late = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      `/api/v1/tasks/${task.id}/plan/approve`,
      { token: user.token, json: {} },
    );
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('invalid_transition');

    llm.reset();
    scriptPlanner();
    const retried = await request(server.url, 'POST', `/api/v1/tasks/${task.id}/retry`, {
      token: user.token,
    });
    expect(retried.status).toBe(201);
    await waitForStatus(server.url, user, task.id, ['plan_review', 'failed']);
    const replanning = toolRequests();
    expect(modelOf(replanning[0]!)).toBe('claude-haiku-4-5');
    expect(JSON.stringify(replanning[0]!.body)).toContain('Put it in docs/ instead');
  });

  it('refuses a rejection without a note, a viewer’s approval, and another user’s task', async () => {
    scriptPlanner();
    const task = await newTask('review', 'Add a note');
    await waitForStatus(server.url, user, task.id, ['plan_review', 'failed']);
    const noNote = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      `/api/v1/tasks/${task.id}/plan/reject`,
      { token: user.token, json: { note: ' ' } },
    );
    expect(noNote.status).toBe(400);

    const stranger = await signUp(server.url, 'Stranger');
    const hidden = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      `/api/v1/tasks/${task.id}/plan/approve`,
      { token: stranger.token, json: {} },
    );
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe('task_not_found');

    // A team task, seen by a viewer of the team.
    const team = await request<{ id: string }>(server.url, 'POST', '/api/v1/workspaces', {
      token: user.token,
      json: { name: 'Planners' },
    });
    const viewer = await signUp(server.url, 'Viewer');
    const invited = await request<{ token: string }>(
      server.url,
      'POST',
      `/api/v1/workspaces/${team.body.id}/invitations`,
      { token: user.token, json: { email: viewer.email, role: 'viewer' } },
    );
    await request(
      server.url,
      'POST',
      `/api/v1/workspace-invitations/${invited.body.token}/accept`,
      {
        token: viewer.token,
      },
    );
    const teamRepo = await request<{ id: string }>(server.url, 'POST', '/api/v1/repos', {
      token: user.token,
      json: { name: 'team-plan-repo', workspaceId: team.body.id },
    });
    const teamTask = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId: teamRepo.body.id, prompt: 'Later', commands: ['true'], start: false },
    });
    const refused = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      `/api/v1/tasks/${teamTask.body.task.id}/plan/approve`,
      { token: viewer.token, json: {} },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');

    await request(server.url, 'POST', `/api/v1/tasks/${task.id}/plan/reject`, {
      token: user.token,
      json: { note: 'Not now' },
    });
  });
});

describe('auto mode', () => {
  it('codes as soon as the plan is proposed, and records the cost of each phase', async () => {
    scriptPlanner();
    scriptCoder();
    const task = await newTask('auto', 'Add a greeting automatically');
    await waitForStatus(server.url, user, task.id, ['in_review', 'failed', 'todo']);
    const events = await taskEvents(server.url, user, task.id);
    const statuses = of(events, 'task.status').map((e) => e.status);
    expect(statuses).toContain('plan_review');
    expect(statuses.at(-1)).toBe('in_review');
    expect(of(events, 'plan.approved')).toEqual([
      expect.objectContaining({ plan: PLAN, edited: false, by: 'auto' }),
    ]);
    expect(of(events, 'plan.step').map((e) => e.index)).toEqual([0, 1]);

    const rows = await server.database.db
      .select({ phase: usage.phase, model: usage.model })
      .from(usage)
      .where(eq(usage.taskId, task.id));
    expect(new Set(rows.map((r) => `${r.phase} ${r.model}`))).toEqual(
      new Set([`title openai/gpt-5-mini`, `plan ${PLAN_MODEL}`, `code ${CODE_MODEL}`]),
    );
    const detail = await request<{ totals: { costByPhase: Record<string, number> } }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}`,
      { token: user.token },
    );
    const { costByPhase } = detail.body.totals;
    expect(costByPhase.plan).toBeGreaterThan(0);
    expect(costByPhase.code).toBeGreaterThan(0);
    expect(costByPhase.title).toBeGreaterThan(0);
    expect(costByPhase.summary).toBe(0);
  });
});

describe('the workspace default', () => {
  it('gives new tasks the plan mode its admins chose; off leaves tasks as they were', async () => {
    const workspaces = await request<{ workspaces: Array<{ id: string; planMode: string }> }>(
      server.url,
      'GET',
      '/api/v1/workspaces',
      { token: user.token },
    );
    const personal = workspaces.body.workspaces[0]!;
    expect(personal.planMode).toBe('off');
    const set = await request<{ planMode: string }>(
      server.url,
      'PATCH',
      `/api/v1/workspaces/${personal.id}`,
      { token: user.token, json: { planMode: 'review' } },
    );
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.planMode).toBe('review');
    const other = await pushedRepo(server.url, user, 'plan-default-repo');
    const card = await request<{ task: { planMode: string; status: string } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      { token: user.token, json: { repoId: other.id, prompt: 'Later', start: false } },
    );
    expect(card.body.task).toMatchObject({ planMode: 'review', status: 'todo' });
    const commands = await request<{ task: { planMode: string } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      {
        token: user.token,
        json: { repoId: other.id, prompt: 'Cmd', commands: ['true'], start: false },
      },
    );
    expect(commands.body.task.planMode).toBe('off');
    await request(server.url, 'PATCH', `/api/v1/workspaces/${personal.id}`, {
      token: user.token,
      json: { planMode: 'off' },
    });
  });
});
