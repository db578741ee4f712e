/**
 * Lucid's LLM gateway on Google's Generative Language API (`/llm/gemini/v1beta/models/…`): the
 * run token as a Gemini key, the server's key forwarded, usage read from `usageMetadata`, budgets,
 * masking and errors in Google's shape.
 */
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { usage as usageTable } from '../src/db/schema.ts';
import { costOf } from '../src/llm/cost.ts';
import { usageReader } from '../src/gateway/gateway-usage.ts';
import type { DbRunnerBackend } from '../src/control/runner-backend.ts';
import { claimedRun, runnerBackendOn } from './support/runner-backend.ts';
import { requestWithoutKey } from '../src/server.ts';
import { startFakeLlm, type FakeLlm, type ScriptStep } from './fakes/llm/index.ts';
import { signUp, type TestUser } from './support/client.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { pushedRepo, taskEvents } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const KEYS = {
  anthropic: 'sk-ant-gemini-gateway-0123456789',
  openai: 'sk-openai-gemini-gateway-0123456789',
  compatible: 'sk-local-gemini-gateway-0123456789',
  gemini: 'AIzaGeminiGatewayTest0123456789',
};

let llm: FakeLlm;
let server: TestServer;
let user: TestUser;
let repoId: string;
let backend: DbRunnerBackend;

beforeAll(async () => {
  llm = await startFakeLlm({ apiKey: KEYS.gemini });
  server = await startTestServer({
    env: { ...fakeProviderEnv(llm.url, KEYS), LUCID_RUN_BUDGET_USD: '1' },
  });
  user = await signUp(server.url);
  repoId = (await pushedRepo(server.url, user, 'gemini-gateway-repo')).id;
  backend = runnerBackendOn(server, 'rnr_geminigateway');
});
afterAll(async () => {
  await server.close();
  await llm.close();
});
beforeEach(() => llm.reset());

async function runningRun() {
  return claimedRun(server, backend, user, repoId);
}

const gateway = (path: string) => `${server.url}/llm/gemini/v1beta${path}`;
const modelRequests = () => llm.requests.filter((r) => r.protocol === 'gemini');

const request = {
  contents: [{ role: 'user', parts: [{ text: 'What is the weather?' }] }],
  tools: [
    {
      functionDeclarations: [
        {
          name: 'lookup',
          description: 'Looks something up',
          parameters: { type: 'OBJECT', properties: { q: { type: 'STRING' } } },
        },
      ],
    },
  ],
};

const answer: ScriptStep = {
  text: 'Let me look that up for you.',
  toolCalls: [{ name: 'lookup', input: { q: 'weather in Lyon' } }],
  usage: { inputTokens: 120, outputTokens: 30, cacheReadTokens: 20 },
};

function post(path: string, token: string, body: unknown = request, headers = {}) {
  return fetch(gateway(path), {
    method: 'POST',
    headers: { 'x-goog-api-key': token, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function usageRows(runId: string) {
  return server.database.db.select().from(usageTable).where(eq(usageTable.runId, runId));
}

type Response = {
  candidates: { content: { parts: { text?: string; functionCall?: unknown }[] } }[];
};

const parts = (responses: Response[]) => responses.flatMap((r) => r.candidates[0]!.content.parts);

describe('the gateway on gemini', () => {
  const expected = { inputTokens: 140, outputTokens: 30, cachedInputTokens: 20 };
  const metered = 'gemini/gemini-2.5-pro';

  async function expectUsage(run: { runId: string; taskId: string; token: string }) {
    const cost = costOf(metered, expected).usd;
    expect(cost).toBeGreaterThan(0);
    expect(await usageRows(run.runId)).toMatchObject([
      { model: metered, ...expected, costUsd: cost },
    ]);
    const events = (await taskEvents(server.url, user, run.taskId)).filter(
      (e) => e.type === 'usage',
    );
    expect(events).toMatchObject([{ model: metered, ...expected, costUsd: cost }]);
    const [sent] = modelRequests();
    expect(sent?.headers['x-goog-api-key']).toBe(KEYS.gemini);
    expect(JSON.stringify(llm.requests)).not.toContain(run.token);
  }

  it('forwards generateContent with the server key and records its usage', async () => {
    const run = await runningRun();
    llm.script([answer]);
    const response = await post('/models/gemini/gemini-2.5-pro:generateContent', run.token);
    expect(response.status).toBe(200);
    expect(parts([(await response.json()) as Response])).toEqual([
      { text: answer.text },
      { functionCall: { name: 'lookup', args: { q: 'weather in Lyon' } } },
    ]);
    expect(modelRequests()[0]?.path).toBe('/v1beta/models/gemini-2.5-pro:generateContent');
    await expectUsage(run);
  });

  it('streams streamGenerateContent?alt=sse as it comes and records the last usageMetadata', async () => {
    const run = await runningRun();
    llm.script([answer]);
    const response = await post('/models/gemini-2.5-pro:streamGenerateContent?alt=sse', run.token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = (await response.text())
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)) as Response);
    expect(events.length).toBeGreaterThan(2);
    const streamed = parts(events);
    expect(streamed.map((p) => p.text ?? '').join('')).toBe(answer.text);
    expect(streamed.at(-1)).toEqual({
      functionCall: { name: 'lookup', args: { q: 'weather in Lyon' } },
    });
    await expectUsage(run);
  });

  it.each([{ streamed: false }, { streamed: true }])(
    'serves the AI SDK’s Google client (streamed: $streamed)',
    async ({ streamed }) => {
      const run = await runningRun();
      llm.script([answer]);
      const google = createGoogleGenerativeAI({
        baseURL: `${server.url}/llm/gemini/v1beta`,
        apiKey: run.token,
      });
      const lookup = tool({
        description: 'Looks something up',
        inputSchema: jsonSchema<{ q: string }>({
          type: 'object',
          properties: { q: { type: 'string' } },
          required: ['q'],
        }),
      });
      const call = { model: google('gemini-2.5-pro'), prompt: 'Weather?', tools: { lookup } };
      const result = streamed ? streamText(call) : await generateText(call);
      expect(await result.text).toBe(answer.text);
      expect((await result.toolCalls).map((c) => [c.toolName, c.input])).toEqual([
        ['lookup', { q: 'weather in Lyon' }],
      ]);
      await expectUsage(run);
    },
  );

  it('reads the usage of a stream asked for without alt=sse (one JSON array)', async () => {
    const run = await runningRun();
    llm.script([answer]);
    const response = await post('/models/gemini-2.5-pro:streamGenerateContent', run.token);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Response[];
    expect(Array.isArray(body)).toBe(true);
    await expectUsage(run);
  });

  it('takes the run token as ?key= too, and forwards it as no part of the call', async () => {
    const run = await runningRun();
    llm.script([answer]);
    const response = await fetch(
      gateway(`/models/gemini-2.5-pro:generateContent?key=${encodeURIComponent(run.token)}`),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
      },
    );
    expect(response.status).toBe(200);
    // Usage is recorded before the answer ends: read it to its end first.
    await response.json();
    await expectUsage(run);
  });

  it('keeps a ?key= out of the request log', () => {
    const logged = requestWithoutKey({
      method: 'POST',
      url: '/llm/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=lrt_secret',
    });
    expect(logged.url).toBe(
      '/llm/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=[redacted]',
    );
  });

  it('counts tokens without recording usage', async () => {
    const run = await runningRun();
    const response = await post('/models/gemini-2.5-pro:countTokens', run.token, {
      contents: request.contents,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ totalTokens: expect.any(Number) });
    expect(await usageRows(run.runId)).toEqual([]);
  });

  it('counts thinking tokens as output and the cached part within the prompt', () => {
    const reader = usageReader('streamGenerateContent');
    reader.event({ usageMetadata: { promptTokenCount: 50, totalTokenCount: 50 } });
    reader.event({
      usageMetadata: {
        promptTokenCount: 50,
        cachedContentTokenCount: 10,
        candidatesTokenCount: 7,
        thoughtsTokenCount: 5,
        totalTokenCount: 62,
      },
    });
    expect(reader.usage()).toEqual({ inputTokens: 50, outputTokens: 12, cachedInputTokens: 10 });
  });

  it('masks the provider keys and the run token in the prompt it forwards', async () => {
    const run = await runningRun();
    const response = await post('/models/gemini-2.5-pro:generateContent', run.token, {
      systemInstruction: { parts: [{ text: `Keys: ${KEYS.gemini} and ${KEYS.anthropic}` }] },
      contents: [{ role: 'user', parts: [{ text: `My token is ${run.token}.` }] }],
    });
    expect(response.status).toBe(200);
    const sent = JSON.stringify(modelRequests()[0]?.body);
    for (const secret of Object.values(KEYS)) expect(sent).not.toContain(secret);
    expect(sent).not.toContain(run.token);
    expect(sent).toContain('My token is [redacted].');
    expect(sent).toContain('Keys: [redacted] and [redacted]');
  });

  it('refuses a call without a running run’s token in Google’s error shape', async () => {
    const none = await post('/models/gemini-2.5-pro:generateContent', '');
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({
      error: {
        code: 401,
        status: 'UNAUTHENTICATED',
        message: expect.stringContaining('x-goog-api-key'),
      },
    });
    const run = await runningRun();
    await backend.finish(run.runId, { status: 'succeeded', exitCode: 0 });
    const finished = await post('/models/gemini-2.5-pro:generateContent', run.token);
    expect(finished.status).toBe(401);
    // The token is checked first; a good one then meets the unknown method.
    expect((await post('/models/gemini-2.5-pro:embedContent', run.token)).status).toBe(401);
    const unknown = await post('/models/gemini-2.5-pro:embedContent', (await runningRun()).token);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    expect(modelRequests()).toEqual([]);
  });

  it('passes a 429 on with its retry-after and body', async () => {
    const run = await runningRun();
    llm.failNext(1, { status: 429, retryAfterSeconds: 7 });
    const response = await post('/models/gemini-2.5-pro:streamGenerateContent?alt=sse', run.token);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toMatchObject({
      error: { code: 429, status: 'RESOURCE_EXHAUSTED' },
    });
    expect(await usageRows(run.runId)).toEqual([]);
  });

  it('answers 402 in Google’s shape once the run has spent its budget', async () => {
    const run = await runningRun();
    llm.script([{ text: 'Expensive.', usage: { inputTokens: 900_000, outputTokens: 0 } }]);
    expect((await post('/models/gemini-2.5-pro:generateContent', run.token)).status).toBe(200);
    const over = await post('/models/gemini-2.5-pro:generateContent', run.token);
    expect(over.status).toBe(402);
    const body = (await over.json()) as {
      error: { code: number; status: string; message: string };
    };
    expect(body.error).toMatchObject({ code: 402, status: 'RESOURCE_EXHAUSTED' });
    expect(body.error.message).toContain('raise LUCID_RUN_BUDGET_USD');
    expect(modelRequests()).toHaveLength(1);
  });

  it('lists the Gemini models Lucid can use, in Google’s shape', async () => {
    const run = await runningRun();
    const response = await fetch(gateway('/models'), { headers: { 'x-goog-api-key': run.token } });
    expect(response.status).toBe(200);
    const { models } = (await response.json()) as { models: { name: string }[] };
    expect(models.map((m) => m.name)).toEqual(
      expect.arrayContaining(['models/gemini-2.5-pro', 'models/gemini-2.5-flash']),
    );
    expect(models.every((m) => m.name.startsWith('models/gemini'))).toBe(true);
  });
});
