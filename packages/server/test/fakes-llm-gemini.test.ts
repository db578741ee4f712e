/**
 * The fake LLM's Gemini protocol, as Google's Generative Language API frames it: key checks,
 * `GenerateContentResponse` JSON and SSE, error bodies, faults and cut streams on the shared
 * script.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';

const KEY = 'AIzaFakeGeminiKey0123';

let llm: FakeLlm;
beforeAll(async () => {
  llm = await startFakeLlm({ apiKey: KEY });
});
afterAll(() => llm.close());
beforeEach(() => llm.reset());

const body = { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] };

function call(method: string, init: { key?: string; query?: string; json?: unknown } = {}) {
  return fetch(`${llm.url}/v1beta/models/gemini-2.5-flash:${method}${init.query ?? ''}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(init.key === undefined ? {} : { 'x-goog-api-key': init.key }),
    },
    body: JSON.stringify(init.json ?? body),
  });
}

interface StreamedResponse {
  candidates: Array<{ content: { parts: Array<{ text?: string }> }; finishReason?: string }>;
  usageMetadata?: Record<string, number>;
}

const events = (text: string) =>
  text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => JSON.parse(e.slice(6)) as StreamedResponse);

describe('the fake LLM speaking Gemini', () => {
  it('answers generateContent with text, function calls and usageMetadata', async () => {
    llm.script([
      {
        text: 'Looking.',
        toolCalls: [{ name: 'lookup', input: { q: 'x' } }],
        usage: { inputTokens: 10, outputTokens: 4, cacheReadTokens: 6 },
      },
    ]);
    const response = await call('generateContent', { key: KEY });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [{ text: 'Looking.' }, { functionCall: { name: 'lookup', args: { q: 'x' } } }],
          },
          finishReason: 'STOP',
        },
      ],
      usageMetadata: {
        promptTokenCount: 16,
        cachedContentTokenCount: 6,
        candidatesTokenCount: 4,
        totalTokenCount: 20,
      },
      modelVersion: 'gemini-2.5-flash',
    });
    expect(llm.requests[0]).toMatchObject({ protocol: 'gemini', usage: { inputTokens: 10 } });
  });

  it('streams data: lines with alt=sse (the key as ?key=), the finish and full usage last', async () => {
    llm.script([{ text: 'One two three', usage: { inputTokens: 5, outputTokens: 3 } }]);
    const response = await call('streamGenerateContent', { query: `?alt=sse&key=${KEY}` });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const streamed = events(await response.text());
    expect(streamed.map((e) => e.candidates[0]?.content.parts[0]?.text).join('')).toBe(
      'One two three',
    );
    expect(streamed.slice(0, -1).every((e) => e.candidates[0]?.finishReason === undefined)).toBe(
      true,
    );
    expect(streamed.at(-1)).toMatchObject({
      candidates: [{ finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8 },
    });
  });

  it('refuses a missing key (403) and a wrong one (400) in Google’s error shape', async () => {
    const missing = await call('generateContent');
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({
      error: { code: 403, status: 'PERMISSION_DENIED' },
    });
    const wrong = await call('generateContent', { key: 'AIza-wrong' });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({
      error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.stringContaining('API key') },
    });
    const empty = await call('generateContent', { key: KEY, json: { contents: [] } });
    expect(empty.status).toBe(400);
  });

  it('fails on request and gives a cut stream’s step back', async () => {
    llm.script([{ text: 'Kept for the retry' }]);
    llm.failNext(1, { status: 503 });
    const failed = await call('generateContent', { key: KEY });
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ error: { code: 503, status: 'UNAVAILABLE' } });

    llm.dropStreamAfter(1);
    await expect(
      call('streamGenerateContent', { key: KEY, query: '?alt=sse' }).then((r) => r.text()),
    ).rejects.toThrow();
    const retried = await call('generateContent', { key: KEY });
    expect(await retried.json()).toMatchObject({
      candidates: [{ content: { parts: [{ text: 'Kept for the retry' }] } }],
    });
  });

  it('counts tokens and lists models', async () => {
    const counted = await call('countTokens', { key: KEY });
    expect(await counted.json()).toMatchObject({ totalTokens: expect.any(Number) });
    const models = await fetch(`${llm.url}/v1beta/models`, { headers: { 'x-goog-api-key': KEY } });
    expect(await models.json()).toMatchObject({
      models: expect.arrayContaining([expect.objectContaining({ name: 'models/gemini-2.5-pro' })]),
    });
  });
});
