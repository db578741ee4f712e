/**
 * Trajectory export and replay: a real run of the built-in agent against the fake LLM is exported
 * through the API (its prompt, each model exchange as the loop built it, the tool results, masked)
 * and played back through the current agent loop with the recorded answers standing in for the
 * model: no divergence; a loop changed through the replay's options (another system prompt, the
 * tools in another order) or a recording that differs reports the first divergent step and what
 * differs. The `lucid run export` and `lucid eval replay` commands do the same end to end.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunExport } from '@lucid/contracts';
import { replayRun } from '../src/agent/replay.ts';
import { startAgentServer, type AgentServer } from './support/agent-server.ts';
import { cliUser, type CliUser } from './support/cli.ts';
import { request, signUp } from './support/client.ts';
import { startTask, waitForStatus } from './support/tasks.ts';

const KEY = 'sk-ant-replay-0123456789abcdef';
let testbed: AgentServer;
let taskId: string;
let runId: string;
let exported: RunExport;
let cli: CliUser;

const api = <T>(method: string, pathname: string, token = testbed.user.token) =>
  request<T>(testbed.server.url, method, pathname, { token });

beforeAll(async () => {
  testbed = await startAgentServer({
    repo: 'replay-repo',
    keys: {
      anthropic: KEY,
      openai: 'sk-oa-replay-0123456789',
      compatible: 'sk-c-replay-0123456789',
    },
  });
  testbed.llm.script([
    {
      reasoning: { text: 'I should look around first.', signature: 'sig-replay-1' },
      text: 'Let me look.',
      toolCalls: [
        { name: 'bash', input: { command: 'ls -a && cat .git/lucid-credentials; echo done' } },
      ],
    },
    { toolCalls: [{ name: 'read_file', input: { path: 'README.md' } }] },
    {
      toolCalls: [
        { name: 'write_file', input: { path: 'NOTES.md', content: 'Replayed.\n' } },
        { name: 'finish', input: { summary: 'Wrote NOTES.md.' } },
      ],
    },
  ]);
  const created = await request<{ task: { id: string } }>(
    testbed.server.url,
    'POST',
    '/api/v1/tasks',
    { token: testbed.user.token, json: { repoId: testbed.repoId, prompt: 'Write some notes' } },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  taskId = created.body.task.id;
  const done = await waitForStatus(testbed.server.url, testbed.user, taskId, [
    'in_review',
    'failed',
    'todo',
  ]);
  expect(done.status).toBe('in_review');
  const listed = await api<{ runs: Array<{ id: string }> }>('GET', `/api/v1/tasks/${taskId}/runs`);
  runId = listed.body.runs[0]!.id;
  const answer = await api<RunExport>('GET', `/api/v1/runs/${runId}/export`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  exported = RunExport.parse(answer.body);
  cli = await cliUser();
}, 120_000);
afterAll(() => testbed.close());

describe('a run’s export', () => {
  it('holds the prompt and each model exchange in order, with the tool results', () => {
    expect(exported).toMatchObject({
      format: 'lucid.run-export',
      version: 1,
      run: { id: runId, taskId, status: 'succeeded', agent: 'lucid' },
      prompt: 'Write some notes',
      replayable: true,
    });
    expect(exported.exchanges.map((exchange) => exchange.step)).toEqual([1, 2, 3]);
    expect(testbed.modelRequests()).toHaveLength(3);
    const [first, second, third] = exported.exchanges;
    expect(first?.input).toMatchObject({
      prompt: 'Write some notes',
      model: { provider: 'anthropic.messages', name: 'anthropic/claude-sonnet-4-5' },
      repository: [{ name: 'README.md' }],
    });
    const tools = (first?.request.tools ?? []) as Array<{ name: string }>;
    expect(tools.map((tool) => tool.name)).toContain('bash');
    expect(first?.answer.parts.map((part) => part.type)).toEqual([
      'reasoning',
      'text',
      'tool-call',
    ]);
    expect(first?.results[0]?.output.value).toContain('done');
    // Each request is kept as what it adds to the one before it.
    expect(second?.request.tools).toBeUndefined();
    expect(second?.request.messages.from).toBeGreaterThan(0);
    expect(third?.results.map((result) => result.toolName)).toEqual(['write_file', 'finish']);
    expect(exported.events.some((event) => event.type === 'tool.call')).toBe(true);
  });

  it('holds no provider key and no run token', () => {
    const text = JSON.stringify(exported);
    expect(text).not.toContain(KEY);
    expect(text).not.toMatch(/lucid_run_[A-Za-z0-9_-]{8}/);
    // The credentials the agent printed were masked before the model saw them.
    expect(exported.exchanges[0]?.results[0]?.output.value).toContain('[redacted]');
  });

  it('is not found by a user outside the task’s workspace', async () => {
    const stranger = await signUp(testbed.server.url);
    const answer = await api<{ error: { code: string } }>(
      'GET',
      `/api/v1/runs/${runId}/export`,
      stranger.token,
    );
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('run_not_found');
  });
});

describe('replaying an exported run', () => {
  it('reports no divergence with the current agent loop', async () => {
    const report = await replayRun(exported);
    expect(report).toEqual({ recorded: 3, matched: 3, divergence: null });
  });

  it('reports the first divergent step of a loop with another system prompt', async () => {
    const report = await replayRun(exported, {
      loop: { system: (built) => built.replace(/^.*$/m, 'You are a careless agent.') },
    });
    expect(report.divergence?.step).toBe(1);
    expect(report.divergence?.differences[0]).toBe('The system prompt differs:');
    expect(report.divergence?.differences[2]).toBe('+ now, line 1:      You are a careless agent.');
  });

  it('reports the tools in another order', async () => {
    const report = await replayRun(exported, {
      loop: {
        tools: (bound) =>
          Object.fromEntries(Object.entries(bound).reverse()) as Record<string, Tool>,
      },
    });
    expect(report.divergence?.step).toBe(1);
    expect(report.divergence?.differences).toEqual([
      'The tools differ:',
      '- recorded: bash, read_file, write_file, edit_file, list_files, search, finish',
      '+ now:      finish, search, list_files, edit_file, write_file, read_file, bash',
    ]);
  });

  it('reports a tool call whose input differs from the recorded request at its step', async () => {
    const changed = structuredClone(exported);
    const added = changed.exchanges[1]!.request.messages.add as Array<{
      role: string;
      content: Array<{ type: string; input?: unknown }>;
    }>;
    const call = added
      .find((message) => message.role === 'assistant')
      ?.content.find((part) => part.type === 'tool-call');
    expect(call).toBeDefined();
    call!.input = { command: 'ls' };
    const report = await replayRun(changed);
    expect(report.matched).toBe(1);
    expect(report.divergence?.step).toBe(2);
    expect(report.divergence?.differences[0]).toMatch(/^Message \d+ \(assistant\) differs:$/);
    expect(report.divergence?.differences[1]).toBe('- recorded bash input: {"command":"ls"}');
  });
});

describe('lucid run export and lucid eval replay', () => {
  it('export a run to a file and replay it: no divergence, exit 0', async () => {
    const login = await cli.run([
      'login',
      '--server',
      testbed.server.url,
      '--token',
      testbed.user.token,
    ]);
    expect(login.code, login.stderr).toBe(0);
    const file = path.join(cli.home, 'run.json');
    const exportedByCli = await cli.run(['run', 'export', runId, '-o', file]);
    expect(exportedByCli.code, exportedByCli.stderr).toBe(0);
    expect(exportedByCli.stdout).toContain('(3 model exchanges)');
    const document = RunExport.parse(JSON.parse(await readFile(file, 'utf8')));
    expect(document.exchanges).toEqual(exported.exchanges);

    const replayed = await cli.run(['eval', 'replay', file]);
    expect(replayed.stderr).toBe('');
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toBe(
      'No divergence: the current agent loop made the 3 recorded model requests alike.\n',
    );
  });

  it('report the first divergent step with exit 1, and refuse what cannot be replayed', async () => {
    const changed = structuredClone(exported);
    const first = changed.exchanges[0]!.request.messages.add as Array<{
      role: string;
      content: unknown;
    }>;
    const system = first.find((message) => message.role === 'system')!;
    system.content = `${String(system.content)}\nAlways write tests.`;
    const file = path.join(cli.home, 'changed.json');
    await writeFile(file, JSON.stringify(changed));
    const diverged = await cli.run(['eval', 'replay', file]);
    expect(diverged.code).toBe(1);
    expect(diverged.stdout).toMatch(/^Divergence at step 1 of 3 \(0 matched\):\n/);
    expect(diverged.stdout).toContain('The system prompt differs:');
    expect(diverged.stdout).toContain('Always write tests.');

    const cliAgentRun = structuredClone(exported);
    cliAgentRun.run.agent = 'claude-code';
    cliAgentRun.replayable = false;
    cliAgentRun.exchanges = [];
    const other = path.join(cli.home, 'claude.json');
    await writeFile(other, JSON.stringify(cliAgentRun));
    const refused = await cli.run(['eval', 'replay', other]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'lucid: Only runs of the built-in agent can be replayed; this run was made by the claude-code agent.\n',
    );

    const notExport = await cli.run(['eval', 'replay', path.join(cli.home, 'lucid-config')]);
    expect(notExport.code).toBe(2);
    expect(notExport.stderr).toMatch(/^lucid: Could not read /);
  });
});

describe('a run not finished', () => {
  it('cannot be exported yet (409 run_not_finished)', async () => {
    const { task, run } = await startTask(testbed.server.url, testbed.user, {
      repoId: testbed.repoId,
      prompt: 'Wait',
      commands: ['sleep 30'],
    });
    await waitForStatus(testbed.server.url, testbed.user, task.id, ['running']);
    const answer = await api<{ error: { code: string; message: string } }>(
      'GET',
      `/api/v1/runs/${run.id}/export`,
    );
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('run_not_finished');
    expect(answer.body.error.message).toMatch(/it can be exported once it has finished\.$/);
    await api('POST', `/api/v1/tasks/${task.id}/stop`);
    await waitForStatus(testbed.server.url, testbed.user, task.id, ['cancelled']);
  });
});
