import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tasks } from '../src/db/schema.ts';
import { type LocalDriver } from '../src/sandbox/local/local-driver.ts';
import type { FakeLlm } from './fakes/llm/index.ts';
import { startAgentServer, type AgentServer } from './support/agent-server.ts';
import { request, type TestUser } from './support/client.ts';
import { stdoutOf, taskEvents, waitForStatus } from './support/tasks.ts';
import type { TestServer } from './support/test-server.ts';

let llm: FakeLlm;
let server: TestServer;
let driver: LocalDriver;
let user: TestUser;
let repoId: string;
let testbed: AgentServer;

beforeAll(async () => {
  testbed = await startAgentServer({
    repo: 'followup-repo',
    keys: { anthropic: 'sk-ant-f', openai: 'sk-oa-f', compatible: 'sk-c' },
  });
  ({ llm, server, driver, user, repoId } = testbed);
});
afterAll(() => testbed.close());
beforeEach(() => llm.reset());

const modelRequests = () => testbed.modelRequests();

async function agentTask(prompt: string): Promise<string> {
  const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
    token: user.token,
    json: { repoId, prompt },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.task.id;
}

function followUp(taskId: string, text: string) {
  return request<{ seq: number; delivery: string; run: { id: string } | null }>(
    server.url,
    'POST',
    `/api/v1/tasks/${taskId}/messages`,
    { token: user.token, json: { text } },
  );
}

/** Polls the task's events until one matches. */
async function untilEvent(taskId: string, match: (e: Record<string, unknown>) => boolean) {
  for (;;) {
    const events = await taskEvents(server.url, user, taskId);
    if (events.some(match)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function sandboxOf(taskId: string) {
  const [task] = await server.database.db.select().from(tasks).where(eq(tasks.id, taskId));
  const sandbox = task?.sandboxId ? await driver.get(task.sandboxId) : null;
  if (!sandbox) throw new Error(`task ${taskId} has no sandbox`);
  return sandbox;
}

describe('follow-ups to the agent', () => {
  it('reaches the busy agent at its next model step, which answers it', async () => {
    llm.script([
      {
        text: 'Waiting for the build.',
        toolCalls: [{ name: 'bash', input: { command: 'while [ ! -f go ]; do sleep 0.1; done' } }],
      },
      { text: 'Noted: I will mention the README too.' },
    ]);
    const id = await agentTask('Write the changelog');
    await untilEvent(id, (e) => e.type === 'tool.call');

    const posted = await followUp(id, 'Please mention the README as well.');
    expect(posted.status).toBe(202);
    expect(posted.body).toMatchObject({ delivery: 'next_step', run: null });
    await (await sandboxOf(id)).exec(['touch', 'go']);

    const done = await waitForStatus(server.url, user, id, ['in_review', 'failed']);
    expect(done.status).toBe('in_review');
    const [first, second] = modelRequests().map((r) => JSON.stringify(r.body));
    expect(modelRequests()).toHaveLength(2);
    expect(first).not.toContain('mention the README');
    expect(second).toContain('Please mention the README as well.');
    const events = await taskEvents(server.url, user, id);
    expect(events.filter((e) => e.type === 'message.user').map((e) => e.text)).toEqual([
      'Write the changelog',
      'Please mention the README as well.',
    ]);
    expect(events.filter((e) => e.type === 'message.assistant').at(-1)?.text).toBe(
      'Noted: I will mention the README too.',
    );
    const runs = await request<{ runs: unknown[] }>(server.url, 'GET', `/api/v1/tasks/${id}/runs`, {
      token: user.token,
    });
    expect(runs.body.runs).toHaveLength(1);
  });

  it('starts a new run after the agent finished, which sees the conversation so far', async () => {
    // Answers with no change to the files: each run leaves the task in To Do, where a follow-up
    // still starts a run.
    llm.script([{ text: 'The first answer.' }]);
    const id = await agentTask('Explain the layout');
    expect(
      (await waitForStatus(server.url, user, id, ['todo', 'in_review', 'failed'])).status,
    ).toBe('todo');
    llm.script([{ text: 'The second answer.' }]);
    const posted = await followUp(id, 'Now explain the tests');
    expect(posted.status).toBe(202);
    expect(posted.body.delivery).toBe('new_run');
    expect(posted.body.run?.id).toMatch(/^run_/);
    expect(
      (await waitForStatus(server.url, user, id, ['todo', 'in_review', 'failed'])).status,
    ).toBe('todo');
    const last = JSON.stringify(modelRequests().at(-1)?.body);
    const order = ['Explain the layout', 'The first answer.', 'Now explain the tests'].map((text) =>
      last.indexOf(text),
    );
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const runs = await request<{ runs: { id: string; status: string }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${id}/runs`,
      { token: user.token },
    );
    expect(runs.body.runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(runs.body.runs[0]?.id).toBe(posted.body.run?.id);
  });

  it('stops a working agent, keeping its sandbox: a follow-up continues with its files', async () => {
    llm.script([
      { toolCalls: [{ name: 'write_file', input: { path: 'notes.txt', content: 'kept\n' } }] },
      { toolCalls: [{ name: 'bash', input: { command: 'sleep 600' } }] },
    ]);
    const id = await agentTask('Take notes, then wait');
    await untilEvent(id, (e) => e.type === 'tool.call' && e.tool === 'bash');
    const sandboxBefore = (await sandboxOf(id)).id;

    const stopped = await request<{ status: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${id}/stop`,
      { token: user.token },
    );
    expect(stopped.status).toBe(200);
    expect((await waitForStatus(server.url, user, id, ['cancelled', 'failed'])).status).toBe(
      'cancelled',
    );

    llm.script([
      { toolCalls: [{ name: 'bash', input: { command: 'cat notes.txt' } }] },
      { text: 'The notes are still there.' },
    ]);
    const posted = await followUp(id, 'Show me the notes');
    expect(posted.body.delivery).toBe('new_run');
    expect((await waitForStatus(server.url, user, id, ['in_review', 'failed'])).status).toBe(
      'in_review',
    );
    expect((await sandboxOf(id)).id).toBe(sandboxBefore);
    const events = await taskEvents(server.url, user, id);
    const secondRun = events.filter((e) => e.runId === posted.body.run?.id);
    expect(stdoutOf(secondRun)).toContain('kept');
  });
});
