/**
 * @module gateway/gateway-usage
 * Reads token usage from model answers as they pass through the gateway, whole or streamed:
 * Anthropic's `usage` (streamed: `message_start`, then `message_delta`), Chat Completions' `usage`
 * (streamed: the last chunk, with `stream_options.include_usage`), and the Responses API's
 * `usage` (streamed: `response.completed`, `response.incomplete` or `response.failed`), and
 * Gemini's `usageMetadata` (streamed: on each response, the last one holding the whole call's; a
 * stream without `alt=sse` is one JSON array of responses). Gemini's prompt count includes its
 * cached part, and its thinking tokens are output.
 */
import type { TokenUsage } from '../llm/cost.ts';
import type { GatewayEndpoint } from '../llm/gateway-styles.ts';

/** Collects what one answer says it used. */
export interface UsageReader {
  /** A whole JSON answer. */
  json(body: unknown): void;
  /** The data of one streamed event. */
  event(data: unknown): void;
  /** What was used, once any usage was seen. */
  usage(): TokenUsage | undefined;
}

type Fields = Record<string, unknown>;

const record = (value: unknown): Fields | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Fields)
    : undefined;

const count = (value: unknown): number => (typeof value === 'number' && value > 0 ? value : 0);

function anthropicUsage(usage: Fields): TokenUsage {
  const cached = count(usage.cache_read_input_tokens);
  const written = count(usage.cache_creation_input_tokens);
  return {
    inputTokens: count(usage.input_tokens) + written + cached,
    outputTokens: count(usage.output_tokens),
    cachedInputTokens: cached,
    ...(written ? { cacheWriteTokens: written } : {}),
  };
}

function chatUsage(usage: Fields): TokenUsage {
  return {
    inputTokens: count(usage.prompt_tokens),
    outputTokens: count(usage.completion_tokens),
    cachedInputTokens: count(record(usage.prompt_tokens_details)?.cached_tokens),
  };
}

function responsesUsage(usage: Fields): TokenUsage {
  return {
    inputTokens: count(usage.input_tokens),
    outputTokens: count(usage.output_tokens),
    cachedInputTokens: count(record(usage.input_tokens_details)?.cached_tokens),
  };
}

function geminiUsage(usage: Fields): TokenUsage {
  return {
    inputTokens: count(usage.promptTokenCount) + count(usage.toolUsePromptTokenCount),
    outputTokens: count(usage.candidatesTokenCount) + count(usage.thoughtsTokenCount),
    cachedInputTokens: count(usage.cachedContentTokenCount),
  };
}

const GEMINI_METHODS = new Set<GatewayEndpoint>([
  'generateContent',
  'streamGenerateContent',
  'countTokens',
]);

const RESPONSE_ENDS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * @example
 * const reader = usageReader('messages');
 * reader.event({ type: 'message_start', message: { usage: { input_tokens: 10, output_tokens: 1 } } });
 * reader.usage(); // → { inputTokens: 10, outputTokens: 1, cachedInputTokens: 0 }
 */
export function usageReader(endpoint: GatewayEndpoint): UsageReader {
  let anthropic: Fields | undefined;
  let found: TokenUsage | undefined;
  const take = (usage: unknown, read: (usage: Fields) => TokenUsage) => {
    const fields = record(usage);
    if (fields) found = read(fields);
  };

  if (endpoint === 'messages') {
    return {
      json: (body) => take(record(body)?.usage, anthropicUsage),
      event(data) {
        const event = record(data);
        const usage =
          event?.type === 'message_start'
            ? record(record(event.message)?.usage)
            : event?.type === 'message_delta'
              ? record(event.usage)
              : undefined;
        if (!usage) return;
        const defined = Object.entries(usage).filter(([, value]) => typeof value === 'number');
        anthropic = { ...anthropic, ...Object.fromEntries(defined) };
        found = anthropicUsage(anthropic);
      },
      usage: () => found,
    };
  }
  if (GEMINI_METHODS.has(endpoint)) {
    const response = (data: unknown) => take(record(data)?.usageMetadata, geminiUsage);
    return {
      json: (body) => (Array.isArray(body) ? body.forEach(response) : response(body)),
      event: response,
      usage: () => found,
    };
  }
  if (endpoint === 'chat/completions') {
    return {
      json: (body) => take(record(body)?.usage, chatUsage),
      event: (data) => take(record(data)?.usage, chatUsage),
      usage: () => found,
    };
  }
  return {
    json: (body) => take(record(body)?.usage, responsesUsage),
    event(data) {
      const event = record(data);
      if (typeof event?.type === 'string' && RESPONSE_ENDS.has(event.type)) {
        take(record(event.response)?.usage, responsesUsage);
      }
    },
    usage: () => found,
  };
}

/** A Chat Completions chunk that only carries usage (`choices` empty). */
export function isUsageOnlyChunk(data: unknown): boolean {
  const chunk = record(data);
  return Array.isArray(chunk?.choices) && chunk.choices.length === 0 && Boolean(chunk.usage);
}
