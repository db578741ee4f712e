/**
 * Eval suites end to end: the example suite shipped in `evals/example` is run through `lucid eval
 * run` against the fake LLM by two scripted "models" (Sonnet passes add and greet, Haiku passes
 * shout alone), each case an eval task on its own repository at the folder's commit, run by the
 * built-in agent on the local driver, then checked in the same workspace by a hidden test. The
 * rates, dollars and per-case results are exactly as scripted; a failed check keeps its output's
 * tail; eval tasks stay off the task list; a bad suite file is refused with its line; a cancel
 * stops the cases not yet done.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvalDetail, EvalList } from '@lucid/contracts';
import { startAgentServer, type AgentServer } from './support/agent-server.ts';
import { cliUser, type CliUser } from './support/cli.ts';
import { request, signUp } from './support/client.ts';
import {
  EXAMPLE_SUITE,
  EXAMPLE_USAGE,
  exampleSuiteScript,
  type ExampleCase,
} from './support/example-suite.ts';

const KEYS = {
  anthropic: 'sk-ant-evals-0123456789abcdef',
  openai: 'sk-oa-evals-0123456789',
  compatible: 'sk-c-evals-0123456789',
};

let t: AgentServer;
let cli: CliUser;
const api = <T>(method: string, pathname: string, json?: unknown, token = t.user.token) =>
  request<T>(t.server.url, method, pathname, { token, ...(json === undefined ? {} : { json }) });

beforeAll(async () => {
  t = await startAgentServer({ repo: 'evals-other', keys: KEYS, runner: { slots: 2 } });
  cli = await cliUser();
  const login = await cli.run(['login', '--server', t.server.url, '--token', t.user.token]);
  expect(login.code, login.stderr).toBe(0);
}, 120_000);
afterAll(() => t.close());

describe('lucid eval run on the example suite', () => {
  const ids: Record<string, string> = {};

  it('runs each model on every case and prints the results and the summary', async () => {
    const passes: Record<string, ExampleCase[]> = {
      'claude-sonnet-4-5': ['add', 'greet'],
      'claude-haiku-4-5': ['shout'],
    };
    for (const [model, passing] of Object.entries(passes)) {
      t.llm.script(exampleSuiteScript(model, passing));
      const ran = await cli.run([
        'eval',
        'run',
        EXAMPLE_SUITE,
        '--model',
        `anthropic/${model}`,
        '--concurrency',
        '2',
      ]);
      expect(ran.code, ran.stderr + ran.stdout).toBe(0);
      const started = /Started eval (eval_\w+)/.exec(ran.stdout);
      expect(started, ran.stdout).not.toBeNull();
      ids[model] = started![1]!;
      expect(t.llm.remainingSteps()).toBe(0);
    }
    const sonnet = await cli.run(['eval', 'show', ids['claude-sonnet-4-5']!]);
    expect(sonnet.stdout).toContain(
      'example with lucid on anthropic/claude-sonnet-4-5: 2 of 3 passed (67%)',
    );
    expect(sonnet.stdout).toContain('$0.0270 in all, $0.0090 per task, $0.0135 per success');
    expect(sonnet.stdout).toMatch(/^add\s+1\s+passed\s/m);
    expect(sonnet.stdout).toMatch(/^shout\s+1\s+failed\s/m);
    const listed = await cli.run(['eval', 'list']);
    expect(listed.stdout).toMatch(/anthropic\/claude-haiku-4-5\s+done\s+33% \(1\/3\)/);
    expect(listed.stdout).toMatch(/anthropic\/claude-sonnet-4-5\s+done\s+67% \(2\/3\)/);
  }, 180_000);

  it('records per case the outcome, time, steps, tokens, dollars, diff and trajectory', async () => {
    const sonnet = EvalDetail.parse(
      (await api('GET', `/api/v1/evals/${ids['claude-sonnet-4-5']}`)).body,
    );
    const haiku = EvalDetail.parse(
      (await api('GET', `/api/v1/evals/${ids['claude-haiku-4-5']}`)).body,
    );
    const outcome = (detail: EvalDetail) =>
      Object.fromEntries(detail.results.map((r) => [r.caseId, r.status]));
    expect(outcome(sonnet)).toEqual({ add: 'passed', greet: 'passed', shout: 'failed' });
    expect(outcome(haiku)).toEqual({ add: 'failed', greet: 'failed', shout: 'passed' });
    // Two model calls of 1,000 tokens in and 100 out each: Sonnet $3/$15, Haiku $1/$5 a million.
    for (const result of sonnet.results) {
      expect(result).toMatchObject({ steps: 2, inputTokens: 2000, outputTokens: 200 });
      expect(result.costUsd).toBeCloseTo(0.009, 10);
      expect(result.durationMs).toBeGreaterThan(0);
      expect(result.trajectoryUrl).toBe(`/api/v1/runs/${result.agentRunId}/export`);
    }
    for (const result of haiku.results) expect(result.costUsd).toBeCloseTo(0.003, 10);
    expect(sonnet.summary).toMatchObject({ attempts: 3, finished: 3, passed: 2 });
    expect(sonnet.summary.successRate).toBeCloseTo(2 / 3, 10);
    expect(sonnet.summary.usdPerTask).toBeCloseTo(0.009, 10);
    expect(sonnet.summary.usdPerSuccess).toBeCloseTo(0.0135, 10);
    expect(haiku.summary.successRate).toBeCloseTo(1 / 3, 10);
    expect(haiku.summary.usdPerTask).toBeCloseTo(0.003, 10);
    expect(haiku.summary.usdPerSuccess).toBeCloseTo(0.009, 10);
    const add = sonnet.results.find((r) => r.caseId === 'add')!;
    expect(add.diff).toMatchObject({ filesChanged: 1, insertions: 1, deletions: 2 });
    expect(add.diff?.patch).toContain('+  return a + b;');
    const trajectory = await api<{ run: { id: string } }>('GET', add.trajectoryUrl!);
    expect(trajectory.status).toBe(200);
    expect(trajectory.body.run.id).toBe(add.agentRunId);
  });

  it('keeps the tail of a failed check’s output', async () => {
    const haiku = EvalDetail.parse(
      (await api('GET', `/api/v1/evals/${ids['claude-haiku-4-5']}`)).body,
    );
    const add = haiku.results.find((r) => r.caseId === 'add')!;
    expect(add.output).toContain('add sums');
    expect(add.output).toContain('Command 2 exited with code 1: node --test test/add.test.mjs');
  });

  it('leaves eval tasks off the task list', async () => {
    const listed = await api<{ tasks: Array<{ source: string }> }>('GET', '/api/v1/tasks');
    expect(listed.body.tasks.filter((task) => task.source === 'eval')).toEqual([]);
  });

  it('shows another user no eval', async () => {
    const stranger = await signUp(t.server.url);
    const read = await api<{ error: { code: string } }>(
      'GET',
      `/api/v1/evals/${ids['claude-haiku-4-5']}`,
      undefined,
      stranger.token,
    );
    expect(read.status).toBe(404);
    expect(read.body.error.code).toBe('eval_not_found');
    const listed = await api('GET', '/api/v1/evals', undefined, stranger.token);
    expect(EvalList.parse(listed.body).evals).toEqual([]);
  });
});

describe('a suite file with a mistake', () => {
  it('is refused with the line that is wrong', async () => {
    const dir = path.join(cli.home, 'bad-suite');
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'suite.json'),
      [
        '{',
        '  "name": "bad",',
        '  "cases": [',
        '    { "id": "one", "repository": "evals-other", "prompt": "Do it", "check": "true" },',
        '    { "id": "two", "repository": "evals-other", "prompt": "Do it",',
        '      "check": 42 }',
        '  ]',
        '}',
      ].join('\n'),
    );
    const refused = await cli.run(['eval', 'run', dir, '--model', 'anthropic/claude-sonnet-4-5']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `lucid: ${path.join(dir, 'suite.json')}, line 6: cases[1].check: Invalid input: expected string, received number.\n`,
    );
    await writeFile(path.join(dir, 'suite.json'), '{\n  "name": "bad",\n  "cases": [,]\n}\n');
    const broken = await cli.run(['eval', 'run', dir, '--model', 'anthropic/claude-sonnet-4-5']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/suite\.json, line 3: this is not valid JSON/);
  });
});

describe('cancelling an eval', () => {
  it('stops the case under way, and the cases not started never start', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    t.llm.script([{ hold: held, usage: EXAMPLE_USAGE, text: 'Thinking.' }]);
    const started = await api<EvalDetail>('POST', '/api/v1/evals', {
      suite: {
        name: 'cancelled',
        cases: ['one', 'two', 'three'].map((id) => ({
          id,
          repoId: t.repoId,
          prompt: `Case ${id}: write a file.`,
          check: 'true',
        })),
      },
      model: 'anthropic/claude-sonnet-4-5',
      concurrency: 1,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id = started.body.id;
    expect(started.body.results.map((r) => r.status)).toEqual(['running', 'pending', 'pending']);
    while (!t.llm.requests.some((r) => r.protocol !== undefined)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const cancelled = await api<EvalDetail>('POST', `/api/v1/evals/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    release();
    let detail = cancelled.body;
    while (detail.results[0]?.status === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      detail = EvalDetail.parse((await api('GET', `/api/v1/evals/${id}`)).body);
    }
    expect(detail.results.map((r) => [r.caseId, r.status, r.taskId === null])).toEqual([
      ['one', 'cancelled', false],
      ['two', 'cancelled', true],
      ['three', 'cancelled', true],
    ]);
  });
});
