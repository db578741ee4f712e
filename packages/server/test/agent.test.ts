import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { shellTrajectory, type FakeLlm, type ScriptStep } from './fakes/llm/index.ts';
import { startAgentServer, type AgentServer } from './support/agent-server.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { pushedRepo, taskEvents, waitForStatus, type EventView } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const ANTHROPIC_KEY = 'sk-ant-agent-test-0123456789';
const OPENAI_KEY = 'sk-openai-agent-test-0123456789';
const COMPATIBLE_KEY = 'sk-local-agent-test-0123456789';
const MAX_STEPS = 6;

let llm: FakeLlm;
let server: TestServer;
let driver: LocalDriver;
let user: TestUser;
let repoId: string;
let testbed: AgentServer;

beforeAll(async () => {
  testbed = await startAgentServer({
    repo: 'agent-repo',
    keys: {
      anthropic: ANTHROPIC_KEY,
      openai: OPENAI_KEY,
      compatible: COMPATIBLE_KEY,
    },
    env: { LUCID_AGENT_MAX_STEPS: String(MAX_STEPS) },
  });
  ({ llm, server, driver, user, repoId } = testbed);
});
afterAll(() => testbed.close());
beforeEach(() => llm.reset());

const modelRequests = () => testbed.modelRequests();

async function agentTask(json: { prompt: string; model?: string }) {
  const created = await request<{ task: { id: string; branch: string } }>(
    server.url,
    'POST',
    '/api/v1/tasks',
    { token: user.token, json: { repoId, ...json } },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.task;
}

async function settle(taskId: string): Promise<{ status: string; events: EventView[] }> {
  // A run that leaves no commit sends its task back to To Do: nothing to review.
  const done = await waitForStatus(server.url, user, taskId, [
    'in_review',
    'todo',
    'failed',
    'cancelled',
  ]);
  return { status: done.status, events: await taskEvents(server.url, user, taskId) };
}

const ofType = (events: EventView[], type: string) => events.filter((e) => e.type === type);

interface AnthropicMessage {
  role: string;
  content: Array<{
    type: string;
    id?: string;
    tool_use_id?: string;
    is_error?: boolean;
    content?: unknown;
  }>;
}

const usage = (inputTokens: number, outputTokens: number) => ({ inputTokens, outputTokens });

const trajectory: ScriptStep[] = [
  {
    text: 'I will add the greeting file.',
    toolCalls: [
      { name: 'write_file', input: { path: 'hello.txt', content: 'hello from lucid\n' } },
    ],
    usage: usage(100, 10),
  },
  {
    toolCalls: [
      {
        name: 'bash',
        input: { command: 'test "$(cat hello.txt)" = "hello from lucid" && echo TESTS PASS' },
      },
    ],
    usage: usage(120, 12),
  },
  {
    toolCalls: [
      { name: 'bash', input: { command: 'git add -A && git commit -qm "Add hello.txt"' } },
    ],
    usage: usage(130, 8),
  },
  { toolCalls: [{ name: 'finish', input: { summary: 'Added hello.txt.' } }], usage: usage(140, 5) },
];

describe.each([
  { model: 'anthropic/claude-sonnet-4-5', protocol: 'anthropic' },
  { model: 'openai/gpt-5', protocol: 'openai-responses' },
  { model: 'openai-chat/gpt-4.1', protocol: 'openai-chat' },
  { model: 'openai-compatible/qwen2.5-coder', protocol: 'openai-chat' },
])('the lucid agent on $model', ({ model, protocol }) => {
  it('writes a file, runs the test, commits, and Lucid pushes the task branch', async () => {
    llm.script(trajectory);
    // The server's own runner calls the gateway in-process: no model call crosses its HTTP listener.
    const overHttp: string[] = [];
    const onRequest = (message: unknown) => {
      const url = (message as { request: { url?: string } }).request.url ?? '';
      if (url.startsWith('/llm/')) overHttp.push(url);
    };
    diagnostics.subscribe('http.server.request.start', onRequest);
    const task = await agentTask({ prompt: 'Add hello.txt saying hello', model });
    const { status, events } = await settle(task.id).finally(() =>
      diagnostics.unsubscribe('http.server.request.start', onRequest),
    );
    expect(status, JSON.stringify(ofType(events, 'error'))).toBe('in_review');
    expect(overHttp).toEqual([]);

    expect(modelRequests().map((r) => r.protocol)).toEqual(Array(4).fill(protocol));
    expect(
      modelRequests().every((r) => (r.body as { model: string }).model === model.split('/')[1]),
    ).toBe(true);
    expect(ofType(events, 'message.user')).toMatchObject([{ text: 'Add hello.txt saying hello' }]);
    // Streamed text is published live as drafts (task-stream tests), not stored.
    expect(ofType(events, 'message.delta')).toEqual([]);
    expect(ofType(events, 'message.assistant')).toMatchObject([
      { text: 'I will add the greeting file.' },
    ]);
    expect(ofType(events, 'tool.call').map((e) => e.tool)).toEqual([
      'write_file',
      'bash',
      'bash',
      'finish',
    ]);
    expect(ofType(events, 'tool.result').map((e) => e.ok)).toEqual([true, true, true, true]);
    expect(
      ofType(events, 'tool.output')
        .map((e) => e.chunk)
        .join(''),
    ).toContain('TESTS PASS');
    expect(ofType(events, 'file.changed')).toMatchObject([{ path: 'hello.txt', change: 'added' }]);
    const [commit] = ofType(events, 'git.commit');
    expect(commit).toMatchObject({ subject: 'Add hello.txt' });
    expect(ofType(events, 'git.push')).toMatchObject([{ branch: task.branch, sha: commit?.sha }]);

    const usages = ofType(events, 'usage');
    expect(usages.map((e) => [e.inputTokens, e.outputTokens])).toEqual([
      [100, 10],
      [120, 12],
      [130, 8],
      [140, 5],
    ]);
    expect(usages.every((e) => e.model === model)).toBe(true);

    const commits = await request<{ commits: { sha: string; subject: string }[] }>(
      server.url,
      'GET',
      `/api/v1/repos/${repoId}/commits?ref=${encodeURIComponent(task.branch)}`,
      { token: user.token },
    );
    expect(commits.status).toBe(200);
    expect(commits.body.commits[0]).toMatchObject({ sha: commit?.sha, subject: 'Add hello.txt' });
    expect(commits.body.commits[1]?.subject).toBe('first commit');
  });
});

describe.each([
  { model: 'anthropic/claude-sonnet-4-5', protocol: 'anthropic' },
  { model: 'openai-chat/gpt-4.1', protocol: 'openai-chat' },
])('the lucid agent on $model, its answer cut', ({ model }) => {
  const steps: ScriptStep[] = [
    {
      text: 'I will write the greeting file now, in one go.',
      toolCalls: [{ name: 'write_file', input: { path: 'cut.txt', content: 'whole\n' } }],
      usage: usage(200, 20),
    },
    { toolCalls: [{ name: 'finish', input: { summary: 'Wrote cut.txt.' } }], usage: usage(210, 5) },
  ];

  it('makes the step’s model call again, keeping the answer once', async () => {
    llm.script(steps);
    // The connection resets after a few words of the answer.
    llm.dropStreamAfter(5, { retryAfterMs: 0 });
    const task = await agentTask({ prompt: 'Write cut.txt', model });
    const { status, events } = await settle(task.id);
    expect(status, JSON.stringify(ofType(events, 'error'))).toBe('in_review');
    const [cut, again, last] = modelRequests();
    expect(modelRequests()).toHaveLength(3);
    expect(again?.body).toEqual(cut?.body);
    expect(JSON.stringify(last?.body).match(/I will write the greeting file/g)).toHaveLength(1);
    expect(ofType(events, 'message.assistant').map((e) => e.text)).toEqual([
      'I will write the greeting file now, in one go.',
    ]);
    expect(ofType(events, 'tool.call').map((e) => e.tool)).toEqual(['write_file', 'finish']);
    // What the cut answer counted is not kept: each whole answer is counted once.
    expect(ofType(events, 'usage').map((e) => [e.inputTokens, e.outputTokens])).toEqual([
      [200, 20],
      [210, 5],
    ]);
  });

  it('makes the call again when the stream closes before its end, running no half tool call', async () => {
    llm.script([{ toolCalls: steps[0]!.toolCalls!, usage: usage(200, 20) }, steps[1]!]);
    // The stream ends properly, inside the tool call's input.
    llm.dropStreamAfter(4, { close: true, retryAfterMs: 0 });
    const task = await agentTask({ prompt: 'Write cut.txt', model });
    const { status, events } = await settle(task.id);
    expect(status, JSON.stringify(ofType(events, 'error'))).toBe('in_review');
    const [cut, again] = modelRequests();
    expect(modelRequests()).toHaveLength(3);
    expect(again?.body).toEqual(cut?.body);
    expect(ofType(events, 'tool.result').map((e) => e.ok)).toEqual([true, true]);
    expect(ofType(events, 'file.changed')).toMatchObject([{ path: 'cut.txt', change: 'added' }]);
  });

  it('fails the run naming the cut when every try is cut', async () => {
    llm.script(steps);
    llm.dropStreamAfter(5, { times: 10, retryAfterMs: 0 });
    const task = await agentTask({ prompt: 'Write cut.txt', model });
    const { status, events } = await settle(task.id);
    expect(status).toBe('failed');
    expect(modelRequests()).toHaveLength(4);
    const [error] = ofType(events, 'error');
    expect(error).toMatchObject({ code: 'model_failed' });
    expect(error?.message).toContain("The model's answer was cut off before it ended");
    expect(error?.message).toContain('It was cut on each of 4 tries.');
    expect(ofType(events, 'message.assistant')).toEqual([]);
    expect(ofType(events, 'tool.call')).toEqual([]);
    expect(ofType(events, 'usage')).toEqual([]);
  });
});

describe('the lucid agent', () => {
  it('prices usage from the price table', async () => {
    llm.script([{ text: 'Nothing to do.', usage: usage(1_000_000, 100_000) }]);
    const task = await agentTask({ prompt: 'Look only' });
    const { status, events } = await settle(task.id);
    expect(status).toBe('todo');
    expect(ofType(events, 'usage')).toMatchObject([
      { model: 'anthropic/claude-sonnet-4-5', inputTokens: 1_000_000, costUsd: 4.5 },
    ]);
  });

  it('commits what the agent left uncommitted, with its summary as the message', async () => {
    llm.script([
      { toolCalls: [{ name: 'write_file', input: { path: 'notes.md', content: '# Notes\n' } }] },
      { toolCalls: [{ name: 'finish', input: { summary: 'Wrote the notes file.' } }] },
    ]);
    const task = await agentTask({ prompt: 'Write notes' });
    const { status, events } = await settle(task.id);
    expect(status).toBe('in_review');
    expect(ofType(events, 'git.commit')).toMatchObject([{ subject: 'Wrote the notes file.' }]);
    const commits = await request<{ commits: { subject: string }[] }>(
      server.url,
      'GET',
      `/api/v1/repos/${repoId}/commits?ref=${encodeURIComponent(task.branch)}`,
      { token: user.token },
    );
    expect(commits.body.commits[0]?.subject).toBe('Wrote the notes file.');
  });

  it('masks the run token and provider keys in tool output before the model or an event sees them', async () => {
    llm.script(shellTrajectory([{ command: 'cat .git/config .git/lucid-credentials' }], 'Seen.'));
    const task = await agentTask({ prompt: 'Show the git config' });
    const { status, events } = await settle(task.id);
    expect(status).toBe('todo');

    const runs = await request<{ runs: { sandboxId: string }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}/runs`,
      { token: user.token },
    );
    const sandbox = await driver.get(runs.body.runs[0]?.sandboxId ?? '');
    const config = (await sandbox!.readFile('/workspace/.git/lucid-credentials')).toString('utf8');
    const basic = /Authorization: Basic (\S+)/.exec(config)?.[1] ?? '';
    const token = Buffer.from(basic, 'base64').toString('utf8').split(':')[1] ?? '';
    expect(token.length).toBeGreaterThan(10);

    const sent = JSON.stringify(modelRequests().map((r) => r.body));
    expect(sent).toContain('[redacted]');
    for (const secret of [basic, token, ANTHROPIC_KEY, OPENAI_KEY, COMPATIBLE_KEY]) {
      expect(sent).not.toContain(secret);
      expect(JSON.stringify(events)).not.toContain(secret);
    }
  });

  it('turns a failed edit and invalid input into messages the model reads', async () => {
    llm.script([
      {
        toolCalls: [
          { name: 'edit_file', input: { path: 'README.md', old: 'no such text', new: 'x' } },
        ],
      },
      { toolCalls: [{ name: 'read_file', input: { offset: 2 } }] },
      { text: 'I could not edit it.' },
    ]);
    const task = await agentTask({ prompt: 'Edit the README' });
    const { status, events } = await settle(task.id);
    expect(status).toBe('todo');
    const [, second, third] = modelRequests().map((r) => JSON.stringify(r.body));
    expect(second).toContain('the text to replace was not found in README.md');
    expect(third).toContain('invalid input for read_file');
    expect(third).toContain('path');
    expect(ofType(events, 'tool.result').map((e) => e.ok)).toEqual([false, false]);
  });

  it('runs a step’s tool calls in order, answering an unknown tool and input that is not JSON with errors', async () => {
    llm.script([
      {
        text: 'Three things at once.',
        toolCalls: [
          { name: 'no_such_tool', input: { x: 1 }, id: 'toolu_unknown' },
          { name: 'bash', input: {}, rawInput: '{"command": "echo cut', id: 'toolu_broken' },
          { name: 'bash', input: { command: 'echo FIRST' }, id: 'toolu_first' },
          { name: 'bash', input: { command: 'echo SECOND' }, id: 'toolu_second' },
        ],
      },
      { text: 'All answered.' },
    ]);
    const task = await agentTask({ prompt: 'Do several things' });
    const { status, events } = await settle(task.id);
    expect(status).toBe('todo');
    expect(modelRequests()).toHaveLength(2);
    // Only the valid calls reach a tool, in the order the model made them.
    expect(
      ofType(events, 'tool.call').map((e) => (e.input as { command: string }).command),
    ).toEqual(['echo FIRST', 'echo SECOND']);
    const messages = (modelRequests()[1]?.body as { messages: AnthropicMessage[] }).messages;
    const [assistant, results] = messages.slice(-2);
    expect(assistant?.role).toBe('assistant');
    expect(assistant?.content.map((block) => block.id ?? block.type)).toEqual([
      'text',
      'toolu_unknown',
      'toolu_broken',
      'toolu_first',
      'toolu_second',
    ]);
    expect(results?.role).toBe('user');
    const answers = results?.content ?? [];
    expect(answers.map((block) => [block.tool_use_id, block.is_error === true])).toEqual([
      ['toolu_unknown', true],
      ['toolu_broken', true],
      ['toolu_first', false],
      ['toolu_second', false],
    ]);
    const text = answers.map((block) => JSON.stringify(block.content));
    expect(text[0]).toContain("unavailable tool 'no_such_tool'");
    expect(text[1]).toContain('Invalid input for tool bash');
    expect(text[2]).toContain('FIRST');
    expect(text[3]).toContain('SECOND');
    expect(ofType(events, 'message.assistant').map((e) => e.text)).toEqual([
      'Three things at once.',
      'All answered.',
    ]);
  });

  it('sends a streamed thinking block back with its signature', async () => {
    llm.script([
      {
        reasoning: { text: 'The README first.', signature: 'sig-of-the-thought' },
        toolCalls: [{ name: 'bash', input: { command: 'head -1 README.md' } }],
      },
      { text: 'Read it.' },
    ]);
    const task = await agentTask({ prompt: 'Look at the README' });
    const { status } = await settle(task.id);
    expect(status).toBe('todo');
    const messages = (modelRequests()[1]?.body as { messages: AnthropicMessage[] }).messages;
    const assistant = messages.findLast((message) => message.role === 'assistant');
    expect(assistant?.content[0]).toEqual({
      type: 'thinking',
      thinking: 'The README first.',
      signature: 'sig-of-the-thought',
    });
  });

  it('retries after a 429 and completes', async () => {
    llm.failNext(1, { status: 429, retryAfterSeconds: 0 });
    llm.script([{ text: 'All good after the limit.' }]);
    const task = await agentTask({ prompt: 'Say something', model: 'openai/gpt-5' });
    const { status, events } = await settle(task.id);
    expect(status).toBe('todo');
    expect(modelRequests()).toHaveLength(2);
    expect(ofType(events, 'message.assistant')).toMatchObject([
      { text: 'All good after the limit.' },
    ]);
  });

  it('fails the run with the provider’s message when it keeps failing', async () => {
    llm.failNext(20, { status: 500, retryAfterSeconds: 0, message: 'The kettle is on fire.' });
    const task = await agentTask({ prompt: 'Try', model: 'openai-chat/gpt-4.1' });
    const { status, events } = await settle(task.id);
    expect(status).toBe('failed');
    const [error] = ofType(events, 'error');
    expect(error).toMatchObject({ code: 'model_failed' });
    expect(error?.message).toContain('The kettle is on fire.');
  });

  it('ends a run that reaches the step limit, keeping its work', async () => {
    llm.script(
      Array.from({ length: MAX_STEPS + 2 }, (_, i) => ({
        toolCalls: [{ name: 'bash', input: { command: `echo step ${i} >> steps.txt` } }],
      })),
    );
    const task = await agentTask({ prompt: 'Never stop' });
    const { status, events } = await settle(task.id);
    expect(status).toBe('failed');
    expect(modelRequests()).toHaveLength(MAX_STEPS);
    expect(ofType(events, 'error')).toMatchObject([{ code: 'step_limit_reached' }]);
    expect(ofType(events, 'git.push')).toHaveLength(1);
  });

  it('refuses a task whose model cannot be used', async () => {
    const unknown = await request<{ error: { code: string; message: string } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      { token: user.token, json: { repoId, prompt: 'x', model: 'mystery/model-1' } },
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('model_unavailable');

    const bare = await startTestServer();
    try {
      const owner = await signUp(bare.url);
      const repo = await pushedRepo(bare.url, owner, 'no-models');
      const refused = await request<{ error: { code: string; message: string } }>(
        bare.url,
        'POST',
        '/api/v1/tasks',
        { token: owner.token, json: { repoId: repo.id, prompt: 'Do it' } },
      );
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('model_unavailable');
      expect(refused.body.error.message).toMatch(/ANTHROPIC_API_KEY.*OPENAI_API_KEY/);
      const models = await request<{ models: unknown[] }>(bare.url, 'GET', '/api/v1/models', {
        token: owner.token,
      });
      expect(models.body.models).toEqual([]);
    } finally {
      await bare.close();
    }
  });

  it('lists the usable models with the default', async () => {
    const models = await request<{ models: { provider: string; id: string; default: boolean }[] }>(
      server.url,
      'GET',
      '/api/v1/models',
      { token: user.token },
    );
    expect(models.status).toBe(200);
    expect(models.body.models).toContainEqual({
      provider: 'anthropic',
      id: 'anthropic/claude-sonnet-4-5',
      default: true,
    });
    expect(models.body.models).toContainEqual({
      provider: 'openai',
      id: 'openai/gpt-5',
      default: false,
    });
    expect(models.body.models.filter((m) => m.default)).toHaveLength(1);
  });
});
