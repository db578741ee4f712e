import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { connect } from 'node:net';
import { fakeProviderEnv } from './support/providers.ts';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, jsonSchema, streamText, tool, type LanguageModel } from 'ai';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { usage as usageTable } from '../src/db/schema.ts';
import { costOf } from '../src/llm/cost.ts';
import { inProcessGatewayFetch } from '../src/gateway/gateway-fetch.ts';
import type { DbRunnerBackend } from '../src/control/runner-backend.ts';
import { claimedRun, runnerBackendOn } from './support/runner-backend.ts';
import { startFakeLlm, type FakeLlm, type ScriptStep } from './fakes/llm/index.ts';
import { signUp, type TestUser } from './support/client.ts';
import { pushedRepo, taskEvents } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const ANTHROPIC_KEY = 'sk-ant-gateway-test-0123456789';
const OPENAI_KEY = 'sk-openai-gateway-test-0123456789';
const COMPATIBLE_KEY = 'sk-local-gateway-test-0123456789';

let llm: FakeLlm;
let server: TestServer;
let user: TestUser;
let repoId: string;
let backend: DbRunnerBackend;

beforeAll(async () => {
  llm = await startFakeLlm();
  server = await startTestServer({
    env: {
      ...fakeProviderEnv(llm.url, {
        anthropic: ANTHROPIC_KEY,
        openai: OPENAI_KEY,
        compatible: COMPATIBLE_KEY,
      }),
      LUCID_RUN_BUDGET_USD: '1',
      LUCID_USER_MONTHLY_BUDGET_USD: '2',
    },
  });
  user = await signUp(server.url);
  repoId = (await pushedRepo(server.url, user, 'gateway-repo')).id;
  backend = runnerBackendOn(server, 'rnr_gatewaytest');
});
afterAll(async () => {
  await server.close();
  await llm.close();
});
beforeEach(() => llm.reset());

/** A task whose run is running, claimed as a runner would: its id and its run token. */
async function runningRun(owner = user, repo = repoId) {
  return claimedRun(server, backend, owner, repo);
}

const gateway = (path: string) => `${server.url}/llm${path}`;

/**
 * How a client reaches the gateway: over HTTP, or in-process as the server's own runner does
 * (then the server's HTTP listener must see no model call at all).
 */
const transports: Array<{ transport: string; fetch: () => typeof fetch | undefined }> = [
  { transport: 'HTTP', fetch: () => undefined },
  {
    transport: 'in-process',
    fetch: () => {
      const { config } = server;
      const ctx = { db: server.database.db, llm: config.llm, encryptionKey: config.encryptionKey };
      return inProcessGatewayFetch(
        { ...ctx, budgets: config.budgets, log: { error: () => {} } },
        `${server.url}/llm`,
      );
    },
  },
];

/** Paths of the requests the server's HTTP listener received while `work` ran. */
async function httpRequestsDuring(work: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onStart = (message: unknown) => {
    const { request } = message as { request: { url?: string } };
    seen.push(request.url ?? '');
  };
  diagnostics.subscribe('http.server.request.start', onStart);
  try {
    await work();
  } finally {
    diagnostics.unsubscribe('http.server.request.start', onStart);
  }
  return seen;
}

const modelRequests = () => llm.requests.filter((r) => r.protocol !== undefined);

function seenOnlyServerKeys(token: string) {
  const requests = modelRequests();
  expect(requests.length).toBeGreaterThan(0);
  for (const r of requests) {
    expect(JSON.stringify(r)).not.toContain(token);
    const key = r.headers['x-api-key'] ?? r.headers.authorization;
    expect([ANTHROPIC_KEY, `Bearer ${OPENAI_KEY}`, `Bearer ${COMPATIBLE_KEY}`]).toContain(key);
  }
}

async function usageRows(runId: string) {
  return server.database.db
    .select()
    .from(usageTable)
    .where(eq(usageTable.runId, runId))
    .orderBy(usageTable.at);
}

const lookup = tool({
  description: 'Looks something up',
  inputSchema: jsonSchema<{ q: string }>({
    type: 'object',
    properties: { q: { type: 'string' } },
    required: ['q'],
  }),
});

const answer: ScriptStep = {
  text: 'Let me look that up for you.',
  toolCalls: [{ name: 'lookup', input: { q: 'weather in Lyon' } }],
  usage: { inputTokens: 120, outputTokens: 30, cacheReadTokens: 20 },
};

const styles: Array<{
  name: string;
  metered: string;
  key: string;
  model: (token: string, fetch?: typeof globalThis.fetch) => LanguageModel;
}> = [
  {
    name: 'anthropic messages',
    metered: 'anthropic/claude-sonnet-4-5',
    key: ANTHROPIC_KEY,
    model: (token, fetch) =>
      createAnthropic({ baseURL: gateway('/anthropic/v1'), apiKey: token, fetch })(
        'claude-sonnet-4-5',
      ),
  },
  {
    name: 'openai chat completions',
    metered: 'openai-chat/gpt-4.1',
    key: `Bearer ${OPENAI_KEY}`,
    model: (token, fetch) =>
      createOpenAI({ baseURL: gateway('/openai/v1'), apiKey: token, fetch }).chat('gpt-4.1'),
  },
  {
    name: 'openai responses',
    metered: 'openai/gpt-5',
    key: `Bearer ${OPENAI_KEY}`,
    model: (token, fetch) =>
      createOpenAI({ baseURL: gateway('/openai/v1'), apiKey: token, fetch }).responses('gpt-5'),
  },
  {
    name: 'openai-compatible chat completions',
    metered: 'openai-compatible/qwen2.5-coder',
    key: `Bearer ${COMPATIBLE_KEY}`,
    model: (token, fetch) =>
      createOpenAICompatible({
        name: 'lucid',
        baseURL: gateway('/openai-compatible/v1'),
        apiKey: token,
        includeUsage: true,
        fetch,
      })('qwen2.5-coder'),
  },
];

const cases = transports.flatMap((transport) =>
  styles.map((style) => ({ ...transport, ...style })),
);

describe.each(cases)('the gateway on $name ($transport)', ({ metered, key, model, ...via }) => {
  it.each([{ streamed: false }, { streamed: true }])(
    'forwards with the server key and records usage (streamed: $streamed)',
    async ({ streamed }) => {
      const run = await runningRun();
      llm.script([answer]);
      const inProcess = via.fetch();
      const call = {
        model: model(run.token, inProcess),
        prompt: 'What is the weather?',
        tools: { lookup },
      };
      const seen = await httpRequestsDuring(async () => {
        const result = streamed ? streamText(call) : await generateText(call);
        expect(await result.text).toBe(answer.text);
        expect((await result.toolCalls).map((c) => [c.toolName, c.input])).toEqual([
          ['lookup', { q: 'weather in Lyon' }],
        ]);
      });
      const viaHttp = seen.filter((url) => url.startsWith('/llm/'));
      expect(viaHttp.length).toBe(inProcess ? 0 : 1);

      seenOnlyServerKeys(run.token);
      const [sent] = modelRequests();
      expect(sent?.headers['x-api-key'] ?? sent?.headers.authorization).toBe(key);
      expect((sent?.body as { stream?: boolean }).stream === true).toBe(streamed);

      const expected = { inputTokens: 140, outputTokens: 30, cachedInputTokens: 20 };
      const cost = costOf(metered, expected).usd;
      expect(await usageRows(run.runId)).toMatchObject([
        { model: metered, ...expected, costUsd: cost, taskId: run.taskId, userId: user.id },
      ]);
      const events = (await taskEvents(server.url, user, run.taskId)).filter(
        (e) => e.type === 'usage',
      );
      expect(events).toMatchObject([{ model: metered, ...expected, costUsd: cost }]);
    },
  );
});

describe('the LLM gateway', () => {
  it('asks for usage on a streamed chat call that did not, and keeps that chunk from the client', async () => {
    const run = await runningRun();
    llm.script([{ text: 'Hi there', usage: { inputTokens: 11, outputTokens: 3 } }]);
    const response = await fetch(gateway('/openai/v1/chat/completions'), {
      method: 'POST',
      headers: { authorization: `Bearer ${run.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4.1',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const chunks = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[] });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hi there');
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(modelRequests()[0]?.body).toMatchObject({ stream_options: { include_usage: true } });
    expect(await usageRows(run.runId)).toMatchObject([{ inputTokens: 11, outputTokens: 3 }]);
  });

  it('prices what Anthropic wrote to its cache at the cache-write rate, and keeps the count', async () => {
    const run = await runningRun();
    llm.script([
      {
        text: 'Cached.',
        usage: { inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 4_000 },
      },
    ]);
    const response = await fetch(gateway('/anthropic/v1/messages'), {
      method: 'POST',
      headers: {
        'x-api-key': run.token,
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(response.status).toBe(200);
    // The usage is recorded before the answer's body ends.
    expect(await response.json()).toMatchObject({ content: [{ type: 'text', text: 'Cached.' }] });
    const model = 'anthropic/claude-sonnet-4-5';
    // 100 plain input tokens at $3/M, 4,000 written at $3.75/M, 10 output at $15/M.
    const cost = (100 * 3 + 4_000 * 3.75 + 10 * 15) / 1_000_000;
    expect(cost).toBeGreaterThan(
      costOf(model, { inputTokens: 4_100, outputTokens: 10, cachedInputTokens: 0 }).usd,
    );
    const [row] = await usageRows(run.runId);
    expect(row).toMatchObject({ model, inputTokens: 4_100, cacheWriteTokens: 4_000 });
    expect(row?.costUsd).toBeCloseTo(cost, 12);
    const events = (await taskEvents(server.url, user, run.taskId)).filter(
      (e) => e.type === 'usage',
    );
    expect(events).toMatchObject([{ model, inputTokens: 4_100, cacheWriteTokens: 4_000 }]);
  });

  it('refuses a call without a token, or with a finished run’s, in the provider’s error shape', async () => {
    const none = await fetch(gateway('/anthropic/v1/messages'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [] }),
    });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error', message: expect.stringContaining('running run') },
    });

    const run = await runningRun();
    await backend.finish(run.runId, { status: 'succeeded', exitCode: 0 });
    const finished = await fetch(gateway('/openai/v1/responses'), {
      method: 'POST',
      headers: { authorization: `Bearer ${run.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', input: 'hi' }),
    });
    expect(finished.status).toBe(401);
    expect(await finished.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'unauthorized' },
    });
    const models = await fetch(gateway('/openai/v1/models'));
    expect(models.status).toBe(401);
    expect(modelRequests()).toEqual([]);
  });

  it('answers 402 once the run has spent its budget, saying how to raise it', async () => {
    const run = await runningRun();
    llm.script([{ text: 'Expensive.', usage: { inputTokens: 400_000, outputTokens: 0 } }]);
    const model = createAnthropic({ baseURL: gateway('/anthropic/v1'), apiKey: run.token });
    await generateText({ model: model('claude-sonnet-4-5'), prompt: 'Spend' });
    expect(await usageRows(run.runId)).toMatchObject([{ costUsd: 1.2 }]);

    const over = await fetch(gateway('/anthropic/v1/messages'), {
      method: 'POST',
      headers: {
        'x-api-key': run.token,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'more' }],
      }),
    });
    expect(over.status).toBe(402);
    const body = (await over.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('billing_error');
    expect(body.error.message).toContain('$1.20 of its $1.00 budget');
    expect(body.error.message).toContain('raise LUCID_RUN_BUDGET_USD');

    const openai = await fetch(gateway('/openai/v1/chat/completions'), {
      method: 'POST',
      headers: { authorization: `Bearer ${run.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'more' }] }),
    });
    expect(openai.status).toBe(402);
    expect(await openai.json()).toMatchObject({
      error: { type: 'insufficient_quota', code: 'budget_exceeded' },
    });
    expect(modelRequests()).toHaveLength(1);
  });

  it('answers 402 once the task owner has spent the monthly budget, across runs', async () => {
    const spender = await signUp(server.url, 'Spender');
    const repo = (await pushedRepo(server.url, spender, 'spender-repo')).id;
    for (let i = 0; i < 2; i++) {
      const run = await runningRun(spender, repo);
      llm.script([{ text: 'Expensive.', usage: { inputTokens: 400_000, outputTokens: 0 } }]);
      const model = createAnthropic({ baseURL: gateway('/anthropic/v1'), apiKey: run.token });
      await generateText({ model: model('claude-sonnet-4-5'), prompt: 'Spend' });
    }
    const run = await runningRun(spender, repo);
    const over = await fetch(gateway('/openai/v1/responses'), {
      method: 'POST',
      headers: { authorization: `Bearer ${run.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', input: 'more' }),
    });
    expect(over.status).toBe(402);
    const body = (await over.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe('budget_exceeded');
    expect(body.error.message).toContain('$2.40 of their $2.00 monthly budget');
    expect(body.error.message).toContain('raise LUCID_USER_MONTHLY_BUDGET_USD');
    expect(modelRequests()).toHaveLength(2);
  });

  it('masks the provider keys and the run token in the prompt it forwards', async () => {
    const run = await runningRun();
    const model = createOpenAI({ baseURL: gateway('/openai/v1'), apiKey: run.token });
    await generateText({
      model: model.responses('gpt-5'),
      system: `Keys: ${ANTHROPIC_KEY} and ${COMPATIBLE_KEY}`,
      prompt: `My token is ${run.token}; the OpenAI key is ${OPENAI_KEY}.`,
    });
    const sent = JSON.stringify(modelRequests()[0]?.body);
    for (const secret of [ANTHROPIC_KEY, OPENAI_KEY, COMPATIBLE_KEY, run.token]) {
      expect(sent).not.toContain(secret);
    }
    expect(sent).toContain('My token is [redacted]; the OpenAI key is [redacted].');
    expect(sent).toContain('Keys: [redacted] and [redacted]');
  });

  it('passes a 429 on with its retry-after and body', async () => {
    const run = await runningRun();
    llm.failNext(1, { status: 429, retryAfterSeconds: 7, message: 'Slow down, please.' });
    const response = await fetch(gateway('/anthropic/v1/messages'), {
      method: 'POST',
      headers: {
        'x-api-key': run.token,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'Slow down, please.' },
    });
    expect(await usageRows(run.runId)).toEqual([]);
  });

  it('lists the models Lucid can use, in each provider’s shape', async () => {
    const run = await runningRun();
    const anthropic = await fetch(gateway('/anthropic/v1/models'), {
      headers: { 'x-api-key': run.token },
    });
    expect(anthropic.status).toBe(200);
    const listed = (await anthropic.json()) as { data: { id: string; type: string }[] };
    expect(listed.data).toContainEqual(
      expect.objectContaining({ id: 'claude-sonnet-4-5', type: 'model' }),
    );
    const openai = await fetch(gateway('/openai/v1/models'), {
      headers: { authorization: `Bearer ${run.token}` },
    });
    expect(await openai.json()).toMatchObject({
      object: 'list',
      data: expect.arrayContaining([expect.objectContaining({ id: 'gpt-5', object: 'model' })]),
    });
  });
});

/**
 * Sends a request's head and the first `sent` bytes of a body said to be `declared` bytes long,
 * never the rest; resolves with what the server answered once it hung up.
 */
async function answerBeforeBody(
  path: string,
  headers: string[],
  { declared, sent }: { declared: number; sent: number },
): Promise<string> {
  const { hostname, port } = new URL(server.url);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => (received += text));
  // Writing after the server hung up fails; what it answered is what matters.
  socket.on('error', () => {});
  await once(socket, 'connect');
  const head = [
    `POST ${path} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    'content-type: application/json',
    `content-length: ${declared}`,
    ...headers,
  ];
  socket.write(`${head.join('\r\n')}\r\n\r\n{"messages": [`);
  socket.write(Buffer.alloc(sent, ' '));
  await once(socket, 'close');
  return received;
}

describe("a call's body, read only once its token is good", () => {
  const huge = { declared: 30 * 1024 * 1024, sent: 64 * 1024 };

  it.each([
    {
      style: 'anthropic',
      path: '/llm/anthropic/v1/messages',
      headers: ['x-api-key: lucid_run_nope'],
    },
    {
      style: 'gemini',
      path: '/llm/gemini/v1beta/models/gemini-2.5-pro:generateContent?key=lucid_run_nope',
      headers: [],
    },
  ])(
    'answers 401 to a huge $style call with a bad token while its body is still coming, and hangs up',
    async ({ path, headers }) => {
      // The server answers having been sent 64 KiB of 30 MiB: it did not wait for the body.
      const answer = await answerBeforeBody(path, headers, huge);
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer.toLowerCase()).toContain('connection: close');
      expect(answer).toContain('running run');
      expect(modelRequests()).toEqual([]);
    },
  );

  it('still refuses a body over 32 MiB from a running run, with 413', async () => {
    const run = await runningRun();
    const answer = await answerBeforeBody(
      '/llm/anthropic/v1/messages',
      [`x-api-key: ${run.token}`],
      { declared: 33 * 1024 * 1024, sent: 1024 },
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(modelRequests()).toEqual([]);
  });

  it('in-process, refuses a call with a bad token without reading its body', async () => {
    const inProcess = transports[1]?.fetch() as typeof fetch;
    // A body that never ends: reading it would never finish.
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode('{"messages": [')),
    });
    const response = await inProcess(gateway('/anthropic/v1/messages'), {
      method: 'POST',
      headers: { 'x-api-key': 'lucid_run_nope', 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { type: 'authentication_error' } });
  });
});
