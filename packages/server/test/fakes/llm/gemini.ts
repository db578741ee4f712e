/**
 * @module Google's Generative Language API as the fake LLM server speaks it:
 * `POST /v1beta/models/{model}:generateContent` (a `GenerateContentResponse`),
 * `:streamGenerateContent?alt=sse` (`data: {GenerateContentResponse}` events, text in pieces, each
 * `functionCall {name, args}` whole, `finishReason` and the full `usageMetadata` on the last one;
 * without `alt=sse` the same responses as one JSON array), `:countTokens`, and `GET /v1beta/models`.
 * The key is `x-goog-api-key` or `?key=`; errors are `{"error":{"code","message","status"}}`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Fault, FaultStatus } from './faults.ts';
import { retryAfterHeader } from './faults.ts';
import { isObject } from './protocol.ts';
import type { ProtocolAdapter, Reply, SseEvent, Turn } from './protocol.ts';
import { textPieces } from './script.ts';

/** Models `GET /v1beta/models` lists when none are configured. */
export const GEMINI_MODELS = ['gemini-2.5-pro', 'gemini-2.5-flash'];

/** A Gemini model call's path: the model and the method. */
export const GEMINI_CALL = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;
/** `:countTokens`. */
export const GEMINI_COUNT = /^\/v1beta\/models\/([^/:]+):countTokens$/;

const STATUS: Record<FaultStatus, [status: string, message: string]> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  401: [
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  ],
  403: ['PERMISSION_DENIED', 'The caller does not have permission'],
  429: [
    'RESOURCE_EXHAUSTED',
    'You exceeded your current quota, please check your plan and billing details.',
  ],
  500: [
    'INTERNAL',
    'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  ],
  503: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
  529: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
};

/** A Google API error reply. */
export function geminiError(code: number, status: string, message: string): Reply {
  return { status: code, headers: {}, body: { error: { code, message, status } } };
}

/** The key a Gemini request carries: `x-goog-api-key`, else `?key=` of the URL. */
export function geminiKey(headers: IncomingHttpHeaders, url: string): string | undefined {
  const header = headers['x-goog-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  return new URL(url, 'http://fake').searchParams.get('key') ?? undefined;
}

/** Refuses a call whose key is missing or, when the fake has one, another. */
export function checkGeminiKey(
  key: string | undefined,
  apiKey: string | undefined,
): Reply | undefined {
  if (key === undefined) {
    return geminiError(
      403,
      'PERMISSION_DENIED',
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  }
  if (apiKey !== undefined && key !== apiKey) {
    return geminiError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.');
  }
  return undefined;
}

function usageMetadata(turn: Turn) {
  const prompt = turn.usage.inputTokens + turn.usage.cacheReadTokens + turn.usage.cacheWriteTokens;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: turn.usage.outputTokens,
    totalTokenCount: prompt + turn.usage.outputTokens,
    ...(turn.usage.cacheReadTokens > 0
      ? { cachedContentTokenCount: turn.usage.cacheReadTokens }
      : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  };
}

function responseId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

function functionCallParts(turn: Turn) {
  return turn.toolCalls.map((call) => ({ functionCall: { name: call.name, args: call.input } }));
}

/** The responses of one turn, as streamed: text pieces, then the calls with the finish. */
function responses(turn: Turn): unknown[] {
  const envelope = { modelVersion: turn.model, responseId: responseId() };
  const prompt = turn.usage.inputTokens + turn.usage.cacheReadTokens + turn.usage.cacheWriteTokens;
  const pieces = textPieces(turn);
  const parts: Array<Array<Record<string, unknown>>> = pieces.map((text) => [{ text }]);
  const calls = functionCallParts(turn);
  if (calls.length > 0 || parts.length === 0) parts.push(calls.length > 0 ? calls : [{ text: '' }]);
  return parts.map((content, index) => {
    const last = index === parts.length - 1;
    return {
      candidates: [
        {
          content: { parts: content, role: 'model' },
          ...(last ? { finishReason: 'STOP' } : {}),
          index: 0,
        },
      ],
      usageMetadata: last
        ? usageMetadata(turn)
        : { promptTokenCount: prompt, totalTokenCount: prompt },
      ...envelope,
    };
  });
}

/** Google's Generative Language API. */
export const gemini: ProtocolAdapter = {
  responseHeaders: () => ({
    'x-gemini-service-tier': 'standard',
    'server-timing': 'gfet4t7; dur=1',
  }),

  check(_headers, body) {
    if (!isObject(body) || !Array.isArray(body.contents) || body.contents.length === 0) {
      return geminiError(
        400,
        'INVALID_ARGUMENT',
        '* GenerateContentRequest.contents: contents is not specified',
      );
    }
    return undefined;
  },

  toolCallId: () => `call_${randomBytes(8).toString('hex')}`,

  json(turn) {
    const parts = [...(turn.text === '' ? [] : [{ text: turn.text }]), ...functionCallParts(turn)];
    return {
      candidates: [{ content: { parts, role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata: usageMetadata(turn),
      modelVersion: turn.model,
      responseId: responseId(),
    };
  },

  stream(turn): SseEvent[] {
    return responses(turn).map((data) => ({ data }));
  },

  error(fault: Fault): Reply {
    const [status, message] = STATUS[fault.status];
    const reply = geminiError(fault.status, status, fault.message ?? message);
    return { ...reply, headers: retryAfterHeader(fault) };
  },
};

/** The streamed responses as one JSON array: `:streamGenerateContent` without `alt=sse`. */
export function geminiStreamArray(turn: Turn): unknown[] {
  return responses(turn);
}

/**
 * `GET /v1beta/models` in Google's shape, in pages of `pageSize` (50 by default, 1000 at most)
 * from `pageToken`, with `nextPageToken` while more remain.
 */
export function geminiModels(
  models: string[],
  query: URLSearchParams = new URLSearchParams(),
): Reply {
  const size = Math.min(Math.max(Number(query.get('pageSize') ?? 50) || 50, 1), 1000);
  const start = Number(query.get('pageToken') ?? 0) || 0;
  const page = models.slice(start, start + size);
  const next = start + size < models.length ? String(start + size) : undefined;
  return {
    status: 200,
    headers: {},
    body: {
      ...(next ? { nextPageToken: next } : {}),
      models: page.map((id) => ({
        name: `models/${id}`,
        version: '001',
        displayName: id,
        inputTokenLimit: 1_048_576,
        outputTokenLimit: 65_536,
        supportedGenerationMethods: ['generateContent', 'countTokens'],
      })),
    },
  };
}
