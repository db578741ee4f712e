/**
 * @module `GET /v1/models` and `GET /v1/models/{id}` of the fake LLM server, in Anthropic's shape when
 * the request carries `anthropic-version` and in OpenAI's otherwise.
 */
import type { Reply } from './protocol.ts';

/** Models listed when none are configured. */
export const DEFAULT_MODELS = ['claude-sonnet-4-5', 'gpt-5', 'gpt-5-mini'];

const CREATED = new Date('2025-01-01T00:00:00Z');

function anthropicModel(id: string) {
  return { type: 'model', id, display_name: id, created_at: CREATED.toISOString() };
}

function openaiModel(id: string) {
  return { id, object: 'model', created: CREATED.getTime() / 1000, owned_by: 'system' };
}

/** The model list, or one model when `id` is given (404 in the right shape when unknown). */
export function modelsReply(models: string[], anthropicStyle: boolean, id?: string): Reply {
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
    return {
      status: 200,
      headers: {},
      body: {
        data: models.map(anthropicModel),
        has_more: false,
        first_id: models[0] ?? null,
        last_id: models.at(-1) ?? null,
      },
    };
  }
  return { status: 200, headers: {}, body: { object: 'list', data: models.map(openaiModel) } };
}
