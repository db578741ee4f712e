/**
 * @module OpenAI Responses (`POST /v1/responses`) as the fake LLM server speaks it: a `response` object
 * with `message` and `function_call` output items, and the streamed event sequence from
 * `response.created` to `response.completed`, each event numbered by `sequence_number`.
 * Event shapes follow https://platform.openai.com/docs/api-reference/responses-streaming and
 * `@ai-sdk/openai`'s `openaiResponsesChunkSchema`; like the live API (openai/openai-openapi#545),
 * `response.function_call_arguments.done` carries no `name`.
 */
import { chatId, openaiRequestId, responsesId } from './ids.ts';
import { checkOpenaiRequest, openaiFault, rateLimitHeaders } from './openai-errors.ts';
import type { ProtocolAdapter, SseEvent, Turn } from './protocol.ts';
import { splitJson, textPieces } from './script.ts';

function usageBody(turn: Turn) {
  const input = turn.usage.inputTokens + turn.usage.cacheReadTokens + turn.usage.cacheWriteTokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: turn.usage.cacheReadTokens },
    output_tokens: turn.usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + turn.usage.outputTokens,
  };
}

interface OutputItems {
  message?: { id: string; text: string };
  calls: Array<{ id: string; call_id: string; name: string; arguments: string }>;
}

function outputItems(turn: Turn): OutputItems {
  return {
    ...(turn.text === '' ? {} : { message: { id: responsesId('msg'), text: turn.text } }),
    calls: turn.toolCalls.map((call) => ({
      id: responsesId('fc'),
      call_id: call.id,
      name: call.name,
      arguments: JSON.stringify(call.input),
    })),
  };
}

const textPart = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });

const messageItem = (id: string, text: string | undefined) => ({
  id,
  type: 'message',
  status: text === undefined ? 'in_progress' : 'completed',
  role: 'assistant',
  content: text === undefined ? [] : [textPart(text)],
});

const callItem = (call: OutputItems['calls'][number], done: boolean) => ({
  id: call.id,
  type: 'function_call',
  status: done ? 'completed' : 'in_progress',
  arguments: done ? call.arguments : '',
  call_id: call.call_id,
  name: call.name,
});

function responseObject(turn: Turn, id: string, createdAt: number, items?: OutputItems) {
  const output = items
    ? [
        ...(items.message ? [messageItem(items.message.id, items.message.text)] : []),
        ...items.calls.map((call) => callItem(call, true)),
      ]
    : [];
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: items ? 'completed' : 'in_progress',
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: turn.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: items ? usageBody(turn) : null,
    user: null,
    metadata: {},
  };
}

/** The OpenAI Responses protocol. */
export const openaiResponses: ProtocolAdapter = {
  responseHeaders: () => ({
    'x-request-id': openaiRequestId(),
    'openai-processing-ms': '1',
    'openai-version': '2020-10-01',
    ...rateLimitHeaders(),
  }),

  check: (headers, body, apiKey) => checkOpenaiRequest(headers, body, apiKey, ['model']),

  toolCallId: () => chatId('call_'),

  json(turn) {
    return responseObject(
      turn,
      responsesId('resp'),
      Math.floor(Date.now() / 1000),
      outputItems(turn),
    );
  },

  stream(turn) {
    const id = responsesId('resp');
    const createdAt = Math.floor(Date.now() / 1000);
    const items = outputItems(turn);
    const events: SseEvent[] = [];
    const push = (data: { type: string } & Record<string, unknown>) =>
      events.push({ event: data.type, data: { ...data, sequence_number: events.length } });

    push({ type: 'response.created', response: responseObject(turn, id, createdAt) });
    push({ type: 'response.in_progress', response: responseObject(turn, id, createdAt) });
    let outputIndex = 0;
    if (items.message) {
      const { id: itemId, text } = items.message;
      const at = { item_id: itemId, output_index: outputIndex, content_index: 0 };
      push({
        type: 'response.output_item.added',
        output_index: outputIndex,
        item: messageItem(itemId, undefined),
      });
      push({ type: 'response.content_part.added', ...at, part: textPart('') });
      for (const token of textPieces(turn)) {
        push({ type: 'response.output_text.delta', ...at, delta: token, logprobs: [] });
      }
      push({ type: 'response.output_text.done', ...at, text, logprobs: [] });
      push({ type: 'response.content_part.done', ...at, part: textPart(text) });
      push({
        type: 'response.output_item.done',
        output_index: outputIndex,
        item: messageItem(itemId, text),
      });
      outputIndex++;
    }
    for (const call of items.calls) {
      const at = { item_id: call.id, output_index: outputIndex };
      push({
        type: 'response.output_item.added',
        output_index: outputIndex,
        item: callItem(call, false),
      });
      for (const piece of splitJson(call.arguments)) {
        push({ type: 'response.function_call_arguments.delta', ...at, delta: piece });
      }
      push({ type: 'response.function_call_arguments.done', ...at, arguments: call.arguments });
      push({
        type: 'response.output_item.done',
        output_index: outputIndex,
        item: callItem(call, true),
      });
      outputIndex++;
    }
    push({ type: 'response.completed', response: responseObject(turn, id, createdAt, items) });
    return events;
  },

  error: openaiFault,
};
