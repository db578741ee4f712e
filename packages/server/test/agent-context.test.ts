/**
 * The built-in agent's context: a run whose tool outputs add up to several times its model's
 * context window finishes, compacting as it goes, and no request it sends passes the window; a
 * request the provider still refuses as too long is compacted harder and sent again; Anthropic
 * requests carry cache marks, OpenAI requests the task's cache key, and what the provider read
 * from its cache is recorded, priced at the cached rate, and counted as a saving on the task.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RunExport } from '@lucid/contracts';
import { replayRun } from '../src/agent/replay.ts';
import { outputNote } from '../src/agent/compaction.ts';
import { agentContextOf, contextWindowOf } from '../src/llm/context-window.ts';
import { cacheSavingOf, costOf } from '../src/llm/cost.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import {
  offersTools,
  type FakeLlm,
  type RecordedRequest,
  type ScriptStep,
} from './fakes/llm/index.ts';
import { requestTokens } from './fakes/llm/script.ts';
import { startAgentServer, type AgentServer } from './support/agent-server.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { pushedRepo, taskEvents, waitForStatus, type EventView } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const WINDOW = 16_000;

let llm: FakeLlm;
let server: TestServer;
let user: TestUser;
let repoId: string;
let testbed: AgentServer;

beforeAll(async () => {
  testbed = await startAgentServer({
    repo: 'context-repo',
    keys: {
      anthropic: 'sk-ant-context-test-0123456789',
      openai: 'sk-openai-context-test-0123456789',
      compatible: 'sk-local-context-test-0123456789',
    },
    env: { LUCID_AGENT_MAX_STEPS: '40' },
    runner: { maxRuntimeMs: 300_000 },
  });
  ({ llm, server, user, repoId } = testbed);
});
afterAll(() => testbed.close());
beforeEach(() => llm.reset());

/** Model requests of the agent's steps (they offer tools; summaries do not). */
const stepRequests = () => llm.requests.filter((r) => r.protocol && offersTools(body(r)));
const body = (r: RecordedRequest) => r.body as Record<string, unknown>;
const ofType = (events: EventView[], type: string) => events.filter((e) => e.type === type);

async function runTask(prompt: string, model?: string) {
  const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
    token: user.token,
    json: { repoId, prompt, ...(model ? { model } : {}) },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const taskId = created.body.task.id;
  const done = await waitForStatus(
    server.url,
    user,
    taskId,
    ['in_review', 'todo', 'failed'],
    120_000,
  );
  const events = await taskEvents(server.url, user, taskId);
  return { taskId, status: done.status, events };
}

/** A step printing about `chars` characters of output (`lines` lines of 20). */
function bigOutput(step: number, chars: number): ScriptStep {
  const lines = Math.ceil(chars / 20);
  return {
    when: offersTools,
    toolCalls: [{ name: 'bash', input: { command: `seq -f 'line %g of step ${step}' ${lines}` } }],
  };
}

/** A run that writes a file, prints `steps` big outputs, and finishes. */
function bigRun(steps: number, chars: number): ScriptStep[] {
  return [
    {
      when: offersTools,
      text: 'Plan: print the listings one by one, then finish.',
      toolCalls: [{ name: 'write_file', input: { path: 'notes.txt', content: 'listings\n' } }],
    },
    ...Array.from({ length: steps }, (_, i) => bigOutput(i + 1, chars)),
    { when: offersTools, toolCalls: [{ name: 'finish', input: { summary: 'Printed them all.' } }] },
  ];
}

describe("a model's context window", () => {
  it('comes from the model table, else a default per provider, and LUCID_CONTEXT_WINDOW overrides both', () => {
    expect(contextWindowOf('anthropic/claude-sonnet-4-5')).toBe(200_000);
    expect(contextWindowOf('openai/gpt-5')).toBe(400_000);
    expect(contextWindowOf('openai-chat/gpt-5')).toBe(400_000);
    expect(contextWindowOf('anthropic/claude-unlisted')).toBe(200_000);
    expect(contextWindowOf('openai-compatible/qwen2.5-coder')).toBe(32_768);
    expect(contextWindowOf('gemini/gemini-2.5-pro', 50_000)).toBe(50_000);
  });

  it("summarises with the small model of the task's provider", () => {
    expect(agentContextOf('anthropic/claude-sonnet-4-5', {})).toEqual({
      window: 200_000,
      summaryModel: 'anthropic/claude-haiku-4-5',
      summaryWindow: 200_000,
    });
    expect(
      agentContextOf('openai/gpt-5', { smallModel: 'anthropic/claude-haiku-4-5' }).summaryModel,
    ).toBe('openai/gpt-5-mini');
    expect(agentContextOf('openai/gpt-5', { smallModel: 'openai/gpt-4.1-mini' }).summaryModel).toBe(
      'openai/gpt-4.1-mini',
    );
    expect(agentContextOf('openai-compatible/qwen', {}).summaryModel).toBe(
      'openai-compatible/qwen',
    );
  });

  it('sizes the answer of a step to a fifth of the window, at most 32,000 tokens', async () => {
    llm.script([{ when: offersTools, toolCalls: [{ name: 'finish', input: { summary: 'Ok.' } }] }]);
    await runTask('Finish at once');
    expect(body(stepRequests()[0]!).max_tokens).toBe(32_000);
  });

  it('turns a long output into a note saying how it ended, its first failure and how to see it again', () => {
    const output = `ok 1\nFAIL src/a.test.ts > adds\n${'x\n'.repeat(2000)}[exit code 1]`;
    expect(outputNote('`npm test`', output)).toBe(
      '[output of `npm test`: 2,003 lines, exit 1, first failure: "FAIL src/a.test.ts > adds"; ' +
        'compacted, run it again to see it all]',
    );
  });
});

describe('with a small context window', () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startTestServer({
      env: {
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-context-test-0123456789',
          openai: 'sk-openai-context-test-0123456789',
          compatible: 'sk-local-context-test-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        LUCID_AGENT_MAX_STEPS: '40',
        LUCID_CONTEXT_WINDOW: String(WINDOW),
      },
      runner: {
        driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
        slots: 1,
        leaseMs: 3_000,
        maxRuntimeMs: 300_000,
        pollMs: 100,
        warmPool: 0,
      },
    });
  });
  afterAll(() => small.close());

  async function runSmall(prompt: string) {
    const owner = await signUp(small.url);
    const repo = await pushedRepo(small.url, owner, 'small-window');
    const created = await request<{ task: { id: string } }>(small.url, 'POST', '/api/v1/tasks', {
      token: owner.token,
      json: { repoId: repo.id, prompt },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const taskId = created.body.task.id;
    const done = await waitForStatus(
      small.url,
      owner,
      taskId,
      ['in_review', 'todo', 'failed'],
      120_000,
    );
    return {
      status: done.status,
      events: await taskEvents(small.url, owner, taskId),
      taskId,
      owner,
    };
  }

  it('finishes a run whose outputs add up to 3× the window, every request within it', async () => {
    // 12 outputs of ~16,000 characters: ~48,000 tokens, three times the window.
    llm.script(bigRun(12, 16_000));
    const { status, events } = await runSmall('Print the listings');
    expect(status, JSON.stringify(ofType(events, 'error'))).toBe('in_review');
    expect(ofType(events, 'tool.call').map((e) => e.tool)).toEqual([
      'write_file',
      ...Array(12).fill('bash'),
      'finish',
    ]);

    const compactions = ofType(events, 'context.compacted');
    expect(compactions.length).toBeGreaterThan(0);
    for (const event of compactions) {
      expect(event.window).toBe(WINDOW);
      expect(Number(event.tokensAfter)).toBeLessThan(Number(event.tokensBefore));
      expect(Number(event.tokensAfter)).toBeLessThanOrEqual(WINDOW * 0.5);
    }
    expect(compactions.some((e) => Number(e.outputsShortened) > 0)).toBe(true);

    const requests = stepRequests();
    expect(requests).toHaveLength(14);
    for (const r of requests) {
      const maxTokens = Number(body(r).max_tokens);
      expect(requestTokens(r.body) + maxTokens).toBeLessThanOrEqual(WINDOW);
    }
    // An older output became a note saying what it was and how to see it again.
    const last = JSON.stringify(requests.at(-1)!.body);
    expect(last).toMatch(
      /output of `seq -f 'line %g of step \d+' 800`: [\d,]+ lines, exit 0; compacted, run it again/,
    );
    // The task and the plan stay as they were.
    expect(last).toContain('Print the listings');
    expect(last).toContain('Plan: print the listings one by one, then finish.');
  });

  it('summarises older steps with the small model once notes are not enough', async () => {
    // Many steps with outputs too short for notes: only a summary keeps them within the window.
    const script: ScriptStep[] = [
      ...Array.from({ length: 36 }, (_, i) => bigOutput(i + 1, 1_000)),
      { when: offersTools, toolCalls: [{ name: 'finish', input: { summary: 'Done.' } }] },
    ];
    llm.script(script);
    llm.script([
      {
        when: (b) => !offersTools(b),
        text: 'I printed the listings of the first steps; each exited 0.',
      },
    ]);
    const { status, events, taskId, owner } = await runSmall('Print thirty-six listings');
    expect(status, JSON.stringify(ofType(events, 'error'))).not.toBe('failed');
    const summaries = llm.requests.filter((r) => r.protocol && !offersTools(body(r)));
    expect(summaries.length).toBeGreaterThan(0);
    // The small model of the task's provider wrote it, from a transcript of the older steps.
    expect(body(summaries[0]!).model).toBe('claude-haiku-4-5');
    expect(JSON.stringify(summaries[0]!.body)).toContain('line 1 of step 1');
    expect(ofType(events, 'context.compacted').some((e) => Number(e.stepsSummarised) > 0)).toBe(
      true,
    );
    const after = JSON.stringify(stepRequests().at(-1)!.body);
    expect(after).toContain('Summary of the earlier conversation and of my steps so far');
    for (const r of stepRequests()) {
      expect(requestTokens(r.body)).toBeLessThanOrEqual(WINDOW);
    }
    // The summary call is metered like any other.
    expect(ofType(events, 'usage').some((e) => e.model === 'anthropic/claude-haiku-4-5')).toBe(
      true,
    );
    // The run replays alike, the recorded summary standing in for the summary model's answer.
    const { runs: taskRuns } = (
      await request<{ runs: Array<{ id: string }> }>(
        small.url,
        'GET',
        `/api/v1/tasks/${taskId}/runs`,
        {
          token: owner.token,
        },
      )
    ).body;
    const exported = await request<RunExport>(
      small.url,
      'GET',
      `/api/v1/runs/${taskRuns[0]!.id}/export`,
      { token: owner.token },
    );
    expect(exported.status).toBe(200);
    expect(exported.body.exchanges.some((exchange) => exchange.summaries?.length)).toBe(true);
    expect((await replayRun(RunExport.parse(exported.body))).divergence).toBeNull();
  });

  it('says nothing when there is nothing to compact (a prompt alone past the threshold)', async () => {
    llm.script([
      {
        when: offersTools,
        toolCalls: [{ name: 'write_file', input: { path: 'a.txt', content: 'a' } }],
      },
      { when: offersTools, toolCalls: [{ name: 'finish', input: { summary: 'Wrote it.' } }] },
    ]);
    const { status, events } = await runSmall(`Read this first: ${'word '.repeat(10_000)}`);
    expect(status).toBe('in_review');
    expect(ofType(events, 'context.compacted')).toEqual([]);
  });

  it('compacts harder and sends again when the provider refuses a request as too long', async () => {
    // The provider's window is smaller than the agent was told: requests between the two are refused.
    llm.setContextWindow(9_000);
    llm.script(bigRun(6, 12_000));
    const { status, events } = await runSmall('Print six listings');
    expect(status, JSON.stringify(ofType(events, 'error'))).toBe('in_review');
    expect(ofType(events, 'error')).toEqual([]);
    const retried = ofType(events, 'context.compacted').filter((e) => e.retried === true);
    expect(retried.length).toBeGreaterThan(0);
    const refused = stepRequests().filter((r) => r.usage === undefined);
    expect(refused.length).toBe(retried.length);
  });
});

describe('prompt caching', () => {
  it('marks an Anthropic run for the cache, and records and prices what the cache read', async () => {
    const commands = Array.from({ length: 9 }, (_, i) => ({
      when: offersTools,
      toolCalls: [{ name: 'bash', input: { command: `echo step ${i + 1}` } }],
    }));
    llm.script([
      ...commands,
      { when: offersTools, toolCalls: [{ name: 'finish', input: { summary: 'Echoed.' } }] },
    ]);
    const { taskId, status, events } = await runTask('Echo ten times');
    expect(status).not.toBe('failed');

    const requests = stepRequests();
    expect(requests).toHaveLength(10);
    for (const [index, r] of requests.entries()) {
      const sent = body(r);
      const marks = JSON.stringify(sent).match(/"cache_control"/g) ?? [];
      expect(marks.length).toBeLessThanOrEqual(4);
      const system = sent.system as Array<Record<string, unknown>>;
      expect(system.at(-1)?.cache_control).toEqual({ type: 'ephemeral' });
      const tools = sent.tools as Array<Record<string, unknown>>;
      expect(tools.at(-1)?.cache_control).toEqual({ type: 'ephemeral' });
      const messages = sent.messages as Array<{ content: Array<Record<string, unknown>> }>;
      expect(messages.at(-1)?.content.at(-1)?.cache_control).toEqual({ type: 'ephemeral' });
      if (index > 0) {
        // The previous request's last block is marked again: the growing prefix is read back.
        const previous = body(requests[index - 1]!).messages as unknown[];
        const blocks = messages.flatMap((m) => m.content);
        const before = (previous as Array<{ content: unknown[] }>).flatMap((m) => m.content).length;
        expect(blocks[before - 1]?.cache_control).toEqual({ type: 'ephemeral' });
        expect(r.usage?.cacheReadTokens).toBeGreaterThan(0);
      }
    }

    const reported = llm.requests.filter((r) => r.usage !== undefined);
    const cachedReported = reported.reduce((sum, r) => sum + r.usage!.cacheReadTokens, 0);
    expect(cachedReported).toBeGreaterThan(0);
    const usages = ofType(events, 'usage');
    const cachedRecorded = usages.reduce((sum, e) => sum + Number(e.cachedInputTokens ?? 0), 0);
    expect(cachedRecorded).toBe(cachedReported);
    const writtenReported = reported.reduce((sum, r) => sum + r.usage!.cacheWriteTokens, 0);
    expect(writtenReported).toBeGreaterThan(0);
    const writtenRecorded = usages.reduce((sum, e) => sum + Number(e.cacheWriteTokens ?? 0), 0);
    expect(writtenRecorded).toBe(writtenReported);
    const model = 'anthropic/claude-sonnet-4-5';
    const cost = reported.reduce(
      (sum, r) =>
        sum +
        costOf(model, {
          inputTokens: r.usage!.inputTokens + r.usage!.cacheReadTokens + r.usage!.cacheWriteTokens,
          outputTokens: r.usage!.outputTokens,
          cachedInputTokens: r.usage!.cacheReadTokens,
          cacheWriteTokens: r.usage!.cacheWriteTokens,
        }).usd,
      0,
    );

    const detail = await request<{
      totals: { cachedInputTokens: number; costUsd: number; cacheSavingsUsd: number };
    }>(server.url, 'GET', `/api/v1/tasks/${taskId}`, { token: user.token });
    expect(detail.body.totals.cachedInputTokens).toBe(cachedReported);
    expect(detail.body.totals.costUsd).toBeCloseTo(cost, 9);
    // Writing to the cache costs 1.25× input; the saving counts that against what the reads saved.
    expect(detail.body.totals.cacheSavingsUsd).toBeCloseTo(
      cacheSavingOf(model, cachedReported, writtenReported),
      9,
    );
    expect(detail.body.totals.cacheSavingsUsd).toBeLessThan(cacheSavingOf(model, cachedReported));
    expect(detail.body.totals.cacheSavingsUsd).toBeGreaterThan(0);
  });

  it.each([{ model: 'openai/gpt-5' }, { model: 'openai-chat/gpt-4.1' }])(
    'sends the task cache key to OpenAI ($model) and records its cached tokens',
    async ({ model }) => {
      llm.script([
        ...Array.from({ length: 3 }, (_, i) => ({
          when: offersTools,
          // Outputs of ~1,000 tokens: OpenAI caches prefixes of 1,024 tokens or more.
          toolCalls: [{ name: 'bash', input: { command: `seq ${i + 1} 800` } }],
        })),
        { when: offersTools, toolCalls: [{ name: 'finish', input: { summary: 'Listed.' } }] },
      ]);
      const { taskId, events } = await runTask('List numbers three times', model);
      const requests = stepRequests();
      expect(requests).toHaveLength(4);
      for (const r of requests) expect(body(r).prompt_cache_key).toBe(`lucid-${taskId}`);
      const cachedReported = requests.reduce((sum, r) => sum + (r.usage?.cacheReadTokens ?? 0), 0);
      expect(cachedReported).toBeGreaterThan(0);
      const cachedRecorded = ofType(events, 'usage').reduce(
        (sum, e) => sum + Number(e.cachedInputTokens ?? 0),
        0,
      );
      expect(cachedRecorded).toBe(cachedReported);
    },
  );
});
