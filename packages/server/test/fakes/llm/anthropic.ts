/**
 * @module Anthropic Messages API (`POST /v1/messages`) as the fake LLM server speaks it: JSON and SSE
 * answers, `thinking` blocks with their signature, `tool_use` blocks, usage with cache counts, and `{"type":"error",…}` bodies.
 * Framing follows https://docs.anthropic.com/en/api/messages-streaming and the schemas of
 * `@ai-sdk/anthropic` (`anthropicMessagesChunkSchema`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Fault, FaultStatus } from './faults.ts';
import { retryAfterHeader } from './faults.ts';
import { anthropicId } from './ids.ts';
import { bearerToken, isObject } from './protocol.ts';
import type { ProtocolAdapter, Reply, SseEvent, Turn } from './protocol.ts';
import { splitJson, splitTokens, textPieces } from './script.ts';

const ERROR_TYPES: Record<FaultStatus, [type: string, message: string]> = {
  400: ['invalid_request_error', 'Invalid request.'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  429: [
    'rate_limit_error',
    "This request would exceed your organization's rate limit. Please try again later.",
  ],
  500: ['api_error', 'Internal server error'],
  503: ['api_error', 'Service unavailable'],
  529: ['overloaded_error', 'Overloaded'],
};

function errorReply(status: number, type: string, message: string): Reply {
  const requestId = anthropicId('req');
  return {
    status,
    headers: { 'request-id': requestId },
    body: { type: 'error', error: { type, message }, request_id: requestId },
  };
}

function usageBody(turn: Turn) {
  return {
    input_tokens: turn.usage.inputTokens,
    cache_creation_input_tokens: turn.usage.cacheWriteTokens,
    cache_read_input_tokens: turn.usage.cacheReadTokens,
    output_tokens: turn.usage.outputTokens,
  };
}

function stopReason(turn: Turn): string {
  return turn.toolCalls.length > 0 ? 'tool_use' : 'end_turn';
}

function messageEnvelope(turn: Turn, id: string) {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: turn.model,
  };
}

/** Anthropic's authentication (`x-api-key`, or a bearer token) and `anthropic-version` checks. */
export function checkAnthropicHeaders(
  headers: IncomingHttpHeaders,
  apiKey: string | undefined,
): Reply | undefined {
  const key = headers['x-api-key'] ?? bearerToken(headers);
  if (typeof key !== 'string' || key === '') {
    return errorReply(401, 'authentication_error', 'x-api-key header is required');
  }
  if (apiKey !== undefined && key !== apiKey) {
    return errorReply(401, 'authentication_error', 'invalid x-api-key');
  }
  if (headers['anthropic-version'] === undefined) {
    return errorReply(400, 'invalid_request_error', 'anthropic-version: header is required');
  }
  return undefined;
}

/** The Anthropic Messages protocol. */
export const anthropic: ProtocolAdapter = {
  responseHeaders: () => ({ 'request-id': anthropicId('req') }),

  check(headers, body, apiKey) {
    const refused = checkAnthropicHeaders(headers, apiKey);
    if (refused) return refused;
    if (!isObject(body)) {
      return errorReply(400, 'invalid_request_error', 'The request body is not valid JSON.');
    }
    for (const field of ['model', 'messages', 'max_tokens']) {
      if (body[field] === undefined) {
        return errorReply(400, 'invalid_request_error', `${field}: Field required`);
      }
    }
    return undefined;
  },

  toolCallId: () => anthropicId('toolu'),

  json(turn) {
    const content: unknown[] = [];
    if (turn.text !== '') content.push({ type: 'text', text: turn.text });
    for (const call of turn.toolCalls) {
      content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.input });
    }
    return {
      ...messageEnvelope(turn, anthropicId('msg')),
      content,
      stop_reason: stopReason(turn),
      stop_sequence: null,
      usage: usageBody(turn),
    };
  },

  stream(turn) {
    const events: SseEvent[] = [];
    const push = (data: { type: string } & Record<string, unknown>) =>
      events.push({ event: data.type, data });
    push({
      type: 'message_start',
      message: {
        ...messageEnvelope(turn, anthropicId('msg')),
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usageBody(turn), output_tokens: 1 },
      },
    });
    let index = 0;
    if (turn.reasoning) {
      const { text, signature } = turn.reasoning;
      push({
        type: 'content_block_start',
        index,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      });
      for (const token of splitTokens(text)) {
        push({
          type: 'content_block_delta',
          index,
          delta: { type: 'thinking_delta', thinking: token },
        });
      }
      push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature } });
      push({ type: 'content_block_stop', index });
      index++;
    }
    if (turn.text !== '') {
      push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      push({ type: 'ping' });
      for (const token of textPieces(turn)) {
        push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: token } });
      }
      push({ type: 'content_block_stop', index });
      index++;
    }
    for (const call of turn.toolCalls) {
      push({
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
      });
      if (index === 0) push({ type: 'ping' });
      for (const piece of ['', ...splitJson(call.rawInput ?? JSON.stringify(call.input))]) {
        push({
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: piece },
        });
      }
      push({ type: 'content_block_stop', index });
      index++;
    }
    push({
      type: 'message_delta',
      delta: { stop_reason: stopReason(turn), stop_sequence: null },
      usage: usageBody(turn),
    });
    push({ type: 'message_stop' });
    return events;
  },

  error(fault: Fault) {
    const [type, message] = ERROR_TYPES[fault.status];
    const reply = errorReply(fault.status, type, fault.message ?? message);
    if (fault.status === 429) {
      const reset = new Date(Date.now() + (fault.retryAfterSeconds ?? 1) * 1000).toISOString();
      Object.assign(reply.headers, {
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': reset,
      });
    }
    Object.assign(reply.headers, retryAfterHeader(fault));
    return reply;
  },
};
