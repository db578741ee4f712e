import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, generateText, RetryError, stepCountIs, streamText, tool } from 'ai';
import type { LanguageModel } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { shellTrajectory, startFakeLlm } from './fakes/llm/index.ts';
import type { FakeLlm, LlmProtocol } from './fakes/llm/index.ts';

const KEY = 'sk-test-fake-llm-key';

let llm: FakeLlm;
beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(() => llm.close());
beforeEach(() => llm.reset());

interface Client {
  name: string;
  protocol: LlmProtocol;
  model: () => LanguageModel;
  /** Whether the protocol reports cache writes apart from other input. */
  cacheWrites: boolean;
}

const clients: Client[] = [
  {
    name: '@ai-sdk/anthropic',
    protocol: 'anthropic',
    model: () => createAnthropic({ baseURL: `${llm.url}/v1`, apiKey: KEY })('claude-sonnet-4-5'),
    cacheWrites: true,
  },
  {
    name: '@ai-sdk/openai .chat()',
    protocol: 'openai-chat',
    model: () => createOpenAI({ baseURL: `${llm.url}/v1`, apiKey: KEY }).chat('gpt-5'),
    cacheWrites: false,
  },
  {
    name: '@ai-sdk/openai .responses()',
    protocol: 'openai-responses',
    model: () => createOpenAI({ baseURL: `${llm.url}/v1`, apiKey: KEY }).responses('gpt-5'),
    cacheWrites: false,
  },
  {
    name: '@ai-sdk/openai-compatible',
    protocol: 'openai-chat',
    model: () =>
      createOpenAICompatible({
        name: 'local',
        baseURL: `${llm.url}/v1`,
        apiKey: KEY,
        includeUsage: true,
      })('gpt-5'),
    cacheWrites: false,
  },
];

const modelRequests = () => llm.requests.filter((request) => request.protocol !== undefined);

function bashTool(seen: unknown[]) {
  return tool({
    description: 'Run a shell command',
    inputSchema: z.object({ command: z.string() }),
    execute: (input) => {
      seen.push(input);
      return Promise.resolve(`ran ${input.command}: exit 0`);
    },
  });
}

describe.each(clients)('the fake LLM through $name', (client) => {
  it('streams text in order and whole, with the key in the protocol’s auth header', async () => {
    const text = 'The quick brown fox jumps over the lazy dog,\nthen naps.';
    llm.script([{ text }]);
    const result = streamText({ model: client.model(), prompt: 'Tell me a story' });
    const parts: string[] = [];
    for await (const part of result.textStream) parts.push(part);
    expect(parts.length).toBeGreaterThan(5);
    expect(parts.join('')).toBe(text);

    const [request] = modelRequests();
    expect(request?.protocol).toBe(client.protocol);
    if (client.protocol === 'anthropic') expect(request?.headers['x-api-key']).toBe(KEY);
    else expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(JSON.stringify(request?.body)).toContain('Tell me a story');
  });

  it('runs a tool call round trip with the exact input and continues to the final text', async () => {
    llm.script([
      {
        text: 'Running the tests.',
        toolCalls: [{ name: 'bash', input: { command: 'npm test -- --grep "a b"' } }],
      },
      { text: 'All tests pass.' },
    ]);
    const seen: unknown[] = [];
    const result = streamText({
      model: client.model(),
      prompt: 'Run the tests',
      tools: { bash: bashTool(seen) },
      stopWhen: stepCountIs(5),
    });
    expect(await result.text).toBe('All tests pass.');
    expect(seen).toEqual([{ command: 'npm test -- --grep "a b"' }]);
    expect((await result.steps).length).toBe(2);

    const followUp = JSON.stringify(modelRequests()[1]?.body);
    expect(followUp).toContain('ran npm test -- --grep');
    const [call] = (await result.steps)[0]?.toolCalls ?? [];
    expect(followUp).toContain(call?.toolCallId);
  });

  it('plays a shell trajectory without streaming, then answers "done" once the script is over', async () => {
    llm.script(shellTrajectory([{ command: 'ls' }, { command: 'npm test' }], 'Finished.'));
    const seen: unknown[] = [];
    const result = await generateText({
      model: client.model(),
      prompt: 'Work',
      tools: { bash: bashTool(seen) },
      stopWhen: stepCountIs(5),
    });
    expect(seen).toEqual([{ command: 'ls' }, { command: 'npm test' }]);
    expect(result.text).toBe('Finished.');
    expect(llm.remainingSteps()).toBe(0);

    const after = await generateText({ model: client.model(), prompt: 'More?' });
    expect(after.text).toBe('done');
  });

  it('reports the scripted usage, streamed and not', async () => {
    const usage = {
      inputTokens: 120,
      outputTokens: 17,
      cacheReadTokens: 40,
      ...(client.cacheWrites ? { cacheWriteTokens: 9 } : {}),
    };
    const totalInput = 160 + (client.cacheWrites ? 9 : 0);
    llm.script([
      { text: 'one', usage },
      { text: 'two', usage },
    ]);
    const generated = await generateText({ model: client.model(), prompt: 'count' });
    const streamed = streamText({ model: client.model(), prompt: 'count' });
    for (const reported of [generated.usage, await streamed.usage]) {
      expect(reported.inputTokens).toBe(totalInput);
      expect(reported.outputTokens).toBe(17);
      expect(reported.totalTokens).toBe(totalInput + 17);
      expect(reported.inputTokenDetails.cacheReadTokens).toBe(40);
      expect(reported.inputTokenDetails.noCacheTokens).toBe(120);
      if (client.cacheWrites) expect(reported.inputTokenDetails.cacheWriteTokens).toBe(9);
    }
  });

  it('is retried by the SDK after a 429 with retry-after, then succeeds', async () => {
    llm.failNext(1, { status: 429, retryAfterSeconds: 0 });
    llm.script([{ text: 'after the limit' }]);
    const result = await generateText({ model: client.model(), prompt: 'hi', maxRetries: 2 });
    expect(result.text).toBe('after the limit');
    expect(modelRequests()).toHaveLength(2);
  });

  it('surfaces the provider’s message after a storm of 500s', async () => {
    llm.failNext(3, { status: 500, retryAfterSeconds: 0, message: 'The kettle is on fire.' });
    const error: unknown = await generateText({
      model: client.model(),
      prompt: 'hi',
      maxRetries: 2,
    }).catch((caught: unknown) => caught);
    expect(RetryError.isInstance(error)).toBe(true);
    const last = (error as RetryError).lastError;
    expect(APICallError.isInstance(last)).toBe(true);
    expect((last as APICallError).statusCode).toBe(500);
    expect((last as APICallError).message).toBe('The kettle is on fire.');
    expect(modelRequests()).toHaveLength(3);
  });

  it('surfaces a stream cut mid-answer, and gives the same answer to the next request', async () => {
    llm.script([{ text: 'A long answer that will be interrupted on its way.' }]);
    llm.dropStreamAfter(4);
    const cut = streamText({ model: client.model(), prompt: 'hi', maxRetries: 0 });
    const errors: unknown[] = [];
    let partial = '';
    try {
      for await (const part of cut.fullStream) {
        if (part.type === 'error') errors.push(part.error);
        if (part.type === 'text-delta') partial += part.text;
      }
    } catch (error) {
      errors.push(error);
    }
    expect(errors.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(20);

    const again = streamText({ model: client.model(), prompt: 'hi' });
    expect(await again.text).toBe('A long answer that will be interrupted on its way.');
  });
});

describe('the fake LLM on the wire', () => {
  interface Sse {
    event?: string;
    data: string;
  }

  interface AnthropicEvent {
    type: string;
    message?: { usage: Record<string, number> };
    delta?: { type?: string; text?: string; partial_json?: string };
    content_block?: { type: string; id: string; name?: string; input?: unknown };
  }

  interface ChatToolCallDelta {
    index: number;
    id?: string;
    type?: string;
    function: { name?: string; arguments: string };
  }

  interface ChatChunk {
    object: string;
    usage?: unknown;
    choices: Array<{
      delta: { role?: string; content?: string; tool_calls?: ChatToolCallDelta[] };
      finish_reason: string | null;
    }>;
  }

  interface ResponsesEvent {
    type: string;
    sequence_number: number;
    delta?: string;
    item?: { type: string; call_id: string; name?: string; arguments?: string; status?: string };
    response?: { status: string; usage: unknown; output: Array<{ type: string }> };
  }

  function parseSse(text: string): Sse[] {
    return text
      .split('\n\n')
      .filter((block) => block.trim() !== '')
      .map((block) => {
        const lines = block.split('\n');
        const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
        const data = lines.find((line) => line.startsWith('data: '))?.slice(6) ?? '';
        return event === undefined ? { data } : { event, data };
      });
  }

  const post = (path: string, headers: Record<string, string>, body: unknown) =>
    fetch(`${llm.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const anthropicHeaders = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' };
  const openaiHeaders = { authorization: `Bearer ${KEY}` };
  const messages = [{ role: 'user', content: 'hi' }];
  const toolStep = {
    text: 'Let me look.',
    toolCalls: [{ name: 'bash', input: { command: 'cat "package.json" && ls -la src' } }],
    usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 3 },
  };

  it('frames Anthropic Messages streams as Anthropic does', async () => {
    llm.script([toolStep]);
    const response = await post('/v1/messages', anthropicHeaders, {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      stream: true,
      messages,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('request-id')).toMatch(/^req_01/);
    const events = parseSse(await response.text());
    const data = events.map((event) => JSON.parse(event.data) as AnthropicEvent);
    events.forEach((event, index) => expect(event.event).toBe(data[index]?.type));

    const names = events
      .map((event) => event.event)
      .filter((name, index, all) => name !== all[index - 1]);
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(data[0]?.message?.usage).toMatchObject({ input_tokens: 10, cache_read_input_tokens: 3 });
    const text = data
      .filter((event) => event.delta?.type === 'text_delta')
      .map((event) => event.delta?.text);
    expect(text.join('')).toBe('Let me look.');
    const toolStart = data.find((event) => event.content_block?.type === 'tool_use');
    expect(toolStart?.content_block).toMatchObject({ name: 'bash', input: {} });
    expect(toolStart?.content_block?.id).toMatch(/^toolu_01/);
    const json = data.filter((event) => event.delta?.type === 'input_json_delta');
    expect(json.length).toBeGreaterThan(2);
    expect(JSON.parse(json.map((event) => event.delta?.partial_json).join(''))).toEqual(
      toolStep.toolCalls[0]?.input,
    );
    expect(data.at(-2)).toMatchObject({
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: 5 },
    });
  });

  it('answers Anthropic Messages without streaming', async () => {
    llm.script([toolStep]);
    const response = await post('/v1/messages', anthropicHeaders, {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      messages,
    });
    const body = (await response.json()) as { id: string };
    expect(body).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      stop_reason: 'tool_use',
      content: [
        { type: 'text', text: 'Let me look.' },
        { type: 'tool_use', name: 'bash', input: toolStep.toolCalls[0]?.input },
      ],
      usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 3 },
    });
    expect(body.id).toMatch(/^msg_01/);
  });

  it('frames Chat Completions streams with tool call deltas, a usage chunk and [DONE]', async () => {
    llm.script([toolStep]);
    const response = await post('/v1/chat/completions', openaiHeaders, {
      model: 'gpt-5',
      stream: true,
      stream_options: { include_usage: true },
      messages,
    });
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    const events = parseSse(await response.text());
    expect(events.every((event) => event.event === undefined)).toBe(true);
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.data) as ChatChunk);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const usageChunk = chunks.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage).toMatchObject({
      prompt_tokens: 13,
      completion_tokens: 5,
      total_tokens: 18,
      prompt_tokens_details: { cached_tokens: 3 },
    });
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'bash' } });
    expect(calls[0]?.id).toMatch(/^call_/);
    expect(calls.slice(1).every((call) => call.id === undefined && call.index === 0)).toBe(true);
    const args = calls.map((call) => call.function.arguments).join('');
    expect(JSON.parse(args)).toEqual(toolStep.toolCalls[0]?.input);
  });

  it('leaves usage out of Chat Completions streams unless asked', async () => {
    const response = await post('/v1/chat/completions', openaiHeaders, {
      model: 'gpt-5',
      stream: true,
      messages,
    });
    const events = parseSse(await response.text());
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.data) as ChatChunk);
    expect(chunks.some((chunk) => 'usage' in chunk)).toBe(false);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('frames Responses streams with the real event sequence', async () => {
    llm.script([toolStep]);
    const response = await post('/v1/responses', openaiHeaders, {
      model: 'gpt-5',
      stream: true,
      input: 'hi',
    });
    const events = parseSse(await response.text());
    const data = events.map((event) => JSON.parse(event.data) as ResponsesEvent);
    events.forEach((event, index) => {
      expect(event.event).toBe(data[index]?.type);
      expect(data[index]?.sequence_number).toBe(index);
    });
    const names = data
      .map((event) => event.type as string)
      .filter((name, index, all) => name !== all[index - 1]);
    expect(names).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const call = data.find((event) => event.item?.type === 'function_call')?.item;
    expect(call).toMatchObject({ name: 'bash', arguments: '', status: 'in_progress' });
    expect(call?.call_id).toMatch(/^call_/);
    const args = data
      .filter((event) => event.type === 'response.function_call_arguments.delta')
      .map((event) => event.delta as string)
      .join('');
    expect(JSON.parse(args)).toEqual(toolStep.toolCalls[0]?.input);
    expect(data.at(-1)?.response).toMatchObject({
      status: 'completed',
      usage: {
        input_tokens: 13,
        input_tokens_details: { cached_tokens: 3 },
        output_tokens: 5,
        total_tokens: 18,
      },
    });
    expect(data.at(-1)?.response?.output.map((item) => item.type)).toEqual([
      'message',
      'function_call',
    ]);
  });

  it('paces a stream event by event when a step sets delayMs', async () => {
    const text = 'one two three four five six';
    llm.script([{ text, delayMs: 5 }]);
    const response = await post('/v1/chat/completions', openaiHeaders, {
      model: 'gpt-5',
      stream: true,
      messages,
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const reads: string[] = [];
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      reads.push(read.value);
    }
    expect(reads.length).toBeGreaterThan(5);
    const deltas = parseSse(reads.join(''))
      .slice(0, -1)
      .map((event) => (JSON.parse(event.data) as ChatChunk).choices[0]?.delta.content);
    expect(deltas.join('')).toBe(text);
  });

  it('sends Anthropic’s error bodies, statuses and retry headers', async () => {
    const body = { model: 'claude-sonnet-4-5', max_tokens: 10, messages };
    const cases = [
      [429, 'rate_limit_error'],
      [529, 'overloaded_error'],
      [500, 'api_error'],
      [401, 'authentication_error'],
    ] as const;
    for (const [status, type] of cases) {
      llm.failNext(1, { status, ...(status === 529 ? { retryAfterSeconds: 2 } : {}) });
      const response = await post('/v1/messages', anthropicHeaders, body);
      expect(response.status).toBe(status);
      expect(response.headers.get('request-id')).toMatch(/^req_01/);
      expect(await response.json()).toMatchObject({ type: 'error', error: { type } });
      const retryAfter = { 429: '1', 529: '2', 500: null, 401: null }[status];
      expect(response.headers.get('retry-after')).toBe(retryAfter);
    }
    const missingKey = await post('/v1/messages', { 'anthropic-version': '2023-06-01' }, body);
    expect(missingKey.status).toBe(401);
    const missingVersion = await post('/v1/messages', { 'x-api-key': KEY }, body);
    expect(missingVersion.status).toBe(400);
    expect(await missingVersion.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('sends OpenAI’s error bodies with x-ratelimit headers on 429', async () => {
    llm.failNext(1, { status: 429, retryAfterSeconds: 3 });
    const limited = await post('/v1/chat/completions', openaiHeaders, { model: 'gpt-5', messages });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset-requests')).toBeTruthy();
    expect(limited.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await limited.json()).toMatchObject({
      error: { type: 'requests', code: 'rate_limit_exceeded', param: null },
    });

    llm.failNext(1, { status: 500 });
    const failed = await post('/v1/responses', openaiHeaders, { model: 'gpt-5', input: 'hi' });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: { type: 'server_error', code: null } });

    const anonymous = await post('/v1/chat/completions', {}, { model: 'gpt-5', messages });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { message: string } }).error.message).toMatch(
      /API key/,
    );
  });

  it('lists models in each provider’s shape', async () => {
    const openai = await fetch(`${llm.url}/v1/models`, { headers: openaiHeaders });
    expect(await openai.json()).toMatchObject({
      object: 'list',
      data: expect.arrayContaining([expect.objectContaining({ id: 'gpt-5', object: 'model' })]),
    });
    const anthropic = await fetch(`${llm.url}/v1/models`, { headers: anthropicHeaders });
    expect(await anthropic.json()).toMatchObject({
      has_more: false,
      data: expect.arrayContaining([
        expect.objectContaining({ id: 'claude-sonnet-4-5', type: 'model' }),
      ]),
    });
  });

  it('counts Anthropic input tokens without taking a step', async () => {
    llm.script([{ text: 'kept' }]);
    const response = await post('/v1/messages/count_tokens', anthropicHeaders, {
      model: 'claude-sonnet-4-5',
      messages,
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    expect(llm.remainingSteps()).toBe(1);
  });

  it('records every request with its headers and parsed body', async () => {
    await post('/v1/chat/completions', openaiHeaders, { model: 'gpt-5', messages });
    await fetch(`${llm.url}/v1/models`, { headers: openaiHeaders });
    expect(llm.requests).toMatchObject([
      {
        method: 'POST',
        path: '/v1/chat/completions',
        protocol: 'openai-chat',
        headers: { authorization: `Bearer ${KEY}` },
        body: { model: 'gpt-5', messages },
      },
      { method: 'GET', path: '/v1/models' },
    ]);
    const prompts = JSON.stringify(llm.requests.map((request) => request.body));
    expect(prompts).not.toContain(KEY);
  });
});

describe('the fake LLM with a required key', () => {
  let strict: FakeLlm;
  beforeAll(async () => {
    strict = await startFakeLlm({ apiKey: KEY });
  });
  afterAll(() => strict.close());

  it('refuses another key with the provider’s 401, which the SDK does not retry', async () => {
    const model = createAnthropic({ baseURL: `${strict.url}/v1`, apiKey: 'sk-wrong' })(
      'claude-sonnet-4-5',
    );
    const error: unknown = await generateText({ model, prompt: 'hi' }).catch(
      (caught: unknown) => caught,
    );
    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as APICallError).statusCode).toBe(401);
    expect((error as APICallError).message).toBe('invalid x-api-key');
    expect(strict.requests).toHaveLength(1);
    expect(strict.requests[0]?.headers['x-api-key']).toBe('sk-wrong');
  });
});

describe("the fake LLM's prompt caches and context window", () => {
  const anthropicCall = (messages: unknown[], mark: boolean) =>
    fetch(`${llm.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        system: [
          {
            type: 'text',
            text: 'You help. '.repeat(200),
            ...(mark ? { cache_control: { type: 'ephemeral' } } : {}),
          },
        ],
        messages,
      }),
    }).then((r) => r.json() as Promise<{ usage: Record<string, number> }>);

  it('reads back on Anthropic what an earlier request marked, and nothing unmarked', async () => {
    const first = await anthropicCall([{ role: 'user', content: 'Hi' }], true);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(400);
    const second = await anthropicCall([{ role: 'user', content: 'Hello again' }], true);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    const unmarked = await anthropicCall([{ role: 'user', content: 'Hello again' }], false);
    expect(unmarked.usage.cache_read_input_tokens).toBe(0);
  });

  it('caches OpenAI prefixes of 1,024 tokens or more, in steps of 128, per cache key', async () => {
    const call = (key: string, last: string) =>
      fetch(`${llm.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}` },
        body: JSON.stringify({
          model: 'gpt-5',
          prompt_cache_key: key,
          messages: [
            { role: 'system', content: 'You help. '.repeat(600) },
            { role: 'user', content: last },
          ],
        }),
      }).then(
        (r) => r.json() as Promise<{ usage: { prompt_tokens_details: { cached_tokens: number } } }>,
      );
    expect((await call('a', 'one')).usage.prompt_tokens_details.cached_tokens).toBe(0);
    const again = (await call('a', 'two')).usage.prompt_tokens_details.cached_tokens;
    expect(again).toBeGreaterThanOrEqual(1024);
    expect(again % 128).toBe(0);
    expect((await call('b', 'three')).usage.prompt_tokens_details.cached_tokens).toBe(0);
  });

  it('refuses a request over its context window with the provider’s error', async () => {
    llm.setContextWindow(100);
    const refused = await fetch(`${llm.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x'.repeat(1000) }],
      }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: expect.stringMatching(/^prompt is too long: \d+ tokens > 100 maximum$/),
      },
    });
  });
});
