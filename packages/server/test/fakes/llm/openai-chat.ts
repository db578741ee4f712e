/**
 * @module OpenAI Chat Completions (`POST /v1/chat/completions`) as the fake LLM server speaks it: JSON
 * and `chat.completion.chunk` SSE ending in `data: [DONE]`, `tool_calls` deltas, and usage in a last
 * chunk with empty `choices` when `stream_options.include_usage` is set.
 */
import { chatId, openaiRequestId } from './ids.ts';
import { checkOpenaiRequest, openaiFault, rateLimitHeaders } from './openai-errors.ts';
import { isObject } from './protocol.ts';
import type { ProtocolAdapter, SseEvent, Turn } from './protocol.ts';
import { splitJson, textPieces } from './script.ts';

function usageBody(turn: Turn) {
  const prompt = turn.usage.inputTokens + turn.usage.cacheReadTokens + turn.usage.cacheWriteTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: turn.usage.outputTokens,
    total_tokens: prompt + turn.usage.outputTokens,
    prompt_tokens_details: { cached_tokens: turn.usage.cacheReadTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function finishReason(turn: Turn): string {
  return turn.toolCalls.length > 0 ? 'tool_calls' : 'stop';
}

function toolCallBodies(turn: Turn) {
  return turn.toolCalls.map((call) => ({
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.input) },
  }));
}

/** The OpenAI Chat Completions protocol. */
export const openaiChat: ProtocolAdapter = {
  responseHeaders: () => ({
    'x-request-id': openaiRequestId(),
    'openai-processing-ms': '1',
    'openai-version': '2020-10-01',
    ...rateLimitHeaders(),
  }),

  check: (headers, body, apiKey) =>
    checkOpenaiRequest(headers, body, apiKey, ['model', 'messages']),

  toolCallId: () => chatId('call_'),

  json(turn) {
    return {
      id: chatId('chatcmpl-'),
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: turn.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: turn.text === '' && turn.toolCalls.length > 0 ? null : turn.text,
            refusal: null,
            annotations: [],
            ...(turn.toolCalls.length > 0 ? { tool_calls: toolCallBodies(turn) } : {}),
          },
          logprobs: null,
          finish_reason: finishReason(turn),
        },
      ],
      usage: usageBody(turn),
      service_tier: 'default',
      system_fingerprint: 'fp_fake',
    };
  },

  stream(turn, body) {
    const includeUsage =
      isObject(body.stream_options) && body.stream_options.include_usage === true;
    const envelope = {
      id: chatId('chatcmpl-'),
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: turn.model,
      service_tier: 'default',
      system_fingerprint: 'fp_fake',
    };
    const events: SseEvent[] = [];
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      events.push({
        data: {
          ...envelope,
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
          ...(includeUsage ? { usage: null } : {}),
        },
      });
    chunk({ role: 'assistant', content: '', refusal: null });
    for (const token of textPieces(turn)) chunk({ content: token });
    turn.toolCalls.forEach((call, index) => {
      chunk({
        tool_calls: [
          { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
        ],
      });
      for (const piece of splitJson(JSON.stringify(call.input))) {
        chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
      }
    });
    chunk({}, finishReason(turn));
    if (includeUsage) events.push({ data: { ...envelope, choices: [], usage: usageBody(turn) } });
    events.push({ data: '[DONE]' });
    return events;
  },

  error: openaiFault,
};
