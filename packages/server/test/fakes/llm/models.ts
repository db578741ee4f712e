/**
 * @module `GET /v1/models` and `GET /v1/models/{id}` of the fake LLM server, in Anthropic's shape when
 * the request carries `anthropic-version` and in OpenAI's otherwise.
 */
import type { LlmProtocol, Reply } from './protocol.ts';

/**
 * Models listed when none are configured: the fake plays Anthropic, OpenAI and OpenAI-compatible
 * servers at once, so its one list holds models of each.
 */
export const DEFAULT_MODELS = [
  'claude-sonnet-4-5',
  'claude-haiku-4-5',
  'claude-opus-4-1',
  'gpt-5',
  'gpt-5-mini',
  'gpt-4.1',
  'qwen2.5-coder',
  'qwen3-coder',
];

/** Anthropic's page size when `limit` is not given, and its largest. */
const ANTHROPIC_PAGE = { default: 20, max: 1000 };

const CREATED = new Date('2025-01-01T00:00:00Z');

function anthropicModel(id: string) {
  return { type: 'model', id, display_name: id, created_at: CREATED.toISOString() };
}

function openaiModel(id: string) {
  return { id, object: 'model', created: CREATED.getTime() / 1000, owned_by: 'system' };
}

/**
 * The model list, or one model when `id` is given (404 in the right shape when unknown).
 * Anthropic's list comes in pages as Anthropic sends them (`limit`, `after_id`, `before_id`;
 * `has_more`, `first_id`, `last_id`); OpenAI's whole.
 */
export function modelsReply(
  models: string[],
  anthropicStyle: boolean,
  id?: string,
  query: URLSearchParams = new URLSearchParams(),
): Reply {
  if (id !== undefined) {
    if (models.includes(id)) {
      return {
        status: 200,
        headers: {},
        body: anthropicStyle ? anthropicModel(id) : openaiModel(id),
      };
    }
    const message = `The model '${id}' does not exist`;
    return {
      status: 404,
      headers: {},
      body: anthropicStyle
        ? { type: 'error', error: { type: 'not_found_error', message: `model: ${id}` } }
        : {
            error: {
              message,
              type: 'invalid_request_error',
              param: 'model',
              code: 'model_not_found',
            },
          },
    };
  }
  if (anthropicStyle) {
    const limit = Math.min(
      Math.max(Number(query.get('limit') ?? ANTHROPIC_PAGE.default) || 1, 1),
      ANTHROPIC_PAGE.max,
    );
    const after = query.get('after_id');
    const before = query.get('before_id');
    let start = 0;
    let end = models.length;
    if (after !== null) start = models.indexOf(after) + 1;
    if (before !== null) end = Math.max(models.indexOf(before), 0);
    const page =
      before !== null && after === null
        ? models.slice(Math.max(end - limit, 0), end)
        : models.slice(start, Math.min(start + limit, end));
    const more =
      before !== null && after === null
        ? models.indexOf(page[0] ?? '') > 0
        : start + page.length < end;
    return {
      status: 200,
      headers: {},
      body: {
        data: page.map(anthropicModel),
        has_more: more,
        first_id: page[0] ?? null,
        last_id: page.at(-1) ?? null,
      },
    };
  }
  return { status: 200, headers: {}, body: { object: 'list', data: models.map(openaiModel) } };
}

/** A model call naming a model the provider does not offer, refused as each provider does. */
export function unknownModelReply(protocol: LlmProtocol, model: string): Reply {
  if (protocol === 'anthropic') {
    return {
      status: 404,
      headers: {},
      body: { type: 'error', error: { type: 'not_found_error', message: `model: ${model}` } },
    };
  }
  if (protocol === 'gemini') {
    return {
      status: 404,
      headers: {},
      body: {
        error: {
          code: 404,
          message:
            `models/${model} is not found for API version v1beta, or is not supported for ` +
            'generateContent. Call ListModels to see the list of available models and their ' +
            'supported methods.',
          status: 'NOT_FOUND',
        },
      },
    };
  }
  return {
    status: 404,
    headers: {},
    body: {
      error: {
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    },
  };
}

/** What a list endpoint answers when the fake is told it has none, or that it fails. */
export function unlistedReply(status: number): Reply {
  return {
    status,
    headers: {},
    body: { error: { message: `Listing models failed (HTTP ${status}).`, type: 'api_error' } },
  };
}
