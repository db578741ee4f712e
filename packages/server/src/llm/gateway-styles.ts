/**
 * @module llm/gateway-styles
 * The provider styles Lucid's LLM gateway speaks at `/llm/{provider}/v1/…`: where each forwards
 * (the configured base URL, with the server's key), how each shapes its errors and model lists,
 * and how a call's model is named in usage records.
 *
 * `anthropic` serves `messages`; `openai` serves `chat/completions` and `responses`;
 * `openai-compatible` serves `chat/completions` on OPENAI_COMPATIBLE_BASE_URL; `gemini` serves
 * Google's `/v1beta/models/{model}:generateContent|streamGenerateContent|countTokens` on
 * GEMINI_BASE_URL (the key as `x-goog-api-key`). The key is the
 * server's, or the task owner's own when the configuration given is theirs
 * (`llm/provider-keys.ts`).
 */
import { errorStatus, type ErrorCode } from '@lucid/contracts';
import type { LlmConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { GEMINI_DEFAULT_BASE, listModels } from './models.ts';

export type GatewayProvider = 'anthropic' | 'openai' | 'openai-compatible' | 'gemini';
/** Gemini's methods are named after the model in the path (`models/{model}:{method}`). */
export type GeminiMethod = 'generateContent' | 'streamGenerateContent' | 'countTokens';
export type GatewayEndpoint = 'messages' | 'chat/completions' | 'responses' | GeminiMethod;

/** Where calls of one provider style go, and the headers carrying the key. */
export interface Upstream {
  baseUrl: string;
  headers: Record<string, string>;
}

const DEFAULT_BASE = {
  anthropic: 'https://api.anthropic.com/v1',
  openai: 'https://api.openai.com/v1',
} as const;

const SETTING: Record<GatewayProvider, string> = {
  anthropic: 'ANTHROPIC_API_KEY',
  openai: 'OPENAI_API_KEY',
  'openai-compatible': 'OPENAI_COMPATIBLE_BASE_URL',
  gemini: 'GEMINI_API_KEY',
};

/**
 * Where Anthropic's or OpenAI's API is reached: ANTHROPIC_BASE_URL / OPENAI_BASE_URL, else the
 * provider's own.
 *
 * @example
 * providerBaseUrl(config.llm, 'anthropic'); // → 'https://api.anthropic.com/v1'
 */
export function providerBaseUrl(llm: LlmConfig, provider: 'anthropic' | 'openai'): string {
  const configured = llm[provider]?.baseUrl ?? llm.baseUrls?.[provider];
  return (configured ?? DEFAULT_BASE[provider]).replace(/\/+$/, '');
}

/**
 * Where Google's Gemini API is reached: GEMINI_BASE_URL, else Google's own (without `/v1beta`).
 *
 * @example
 * geminiBaseUrl(config.llm); // → 'https://generativelanguage.googleapis.com'
 */
export function geminiBaseUrl(llm: LlmConfig): string {
  const configured = llm.gemini?.baseUrl ?? llm.baseUrls?.gemini;
  return (configured ?? GEMINI_DEFAULT_BASE).replace(/\/+$/, '');
}

/**
 * The configured provider behind a gateway path; throws `model_unavailable` when there is none
 * (neither the server's key nor the user's own).
 *
 * @example
 * upstreamOf(config.llm, 'anthropic'); // → { baseUrl: 'https://api.anthropic.com/v1', headers: { 'x-api-key': … } }
 */
export function upstreamOf(llm: LlmConfig, provider: GatewayProvider): Upstream {
  if (provider === 'anthropic' && llm.anthropic) {
    return {
      baseUrl: providerBaseUrl(llm, 'anthropic'),
      headers: { 'x-api-key': llm.anthropic.apiKey },
    };
  }
  if (provider === 'openai' && llm.openai) {
    return {
      baseUrl: providerBaseUrl(llm, 'openai'),
      headers: { authorization: `Bearer ${llm.openai.apiKey}` },
    };
  }
  if (provider === 'openai-compatible' && llm.openaiCompatible) {
    const { baseUrl, apiKey } = llm.openaiCompatible;
    return {
      baseUrl: baseUrl.replace(/\/+$/, ''),
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    };
  }
  if (provider === 'gemini' && llm.gemini) {
    return {
      baseUrl: geminiBaseUrl(llm),
      headers: { 'x-goog-api-key': llm.gemini.apiKey },
    };
  }
  throw new AppError(
    'model_unavailable',
    `This Lucid server has no ${provider} provider for this task: set ${SETTING[provider]} on the ` +
      `server, or have the task's owner add their own key (PUT /api/v1/settings/provider-keys/${provider}).`,
  );
}

/** The `provider/name` a call is recorded and priced as. */
export function meteredModel(
  provider: GatewayProvider,
  endpoint: GatewayEndpoint,
  name: string,
): string {
  if (provider === 'openai')
    return `${endpoint === 'responses' ? 'openai' : 'openai-chat'}/${name}`;
  return `${provider}/${name}`;
}

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
};

/** Google's canonical status names, by HTTP status. */
const GOOGLE_STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  402: 'RESOURCE_EXHAUSTED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
};

const OPENAI_TYPES: Record<number, string> = {
  401: 'invalid_request_error',
  402: 'insufficient_quota',
  429: 'rate_limit_error',
};

/**
 * A Lucid error in the provider's own error shape, so the provider's clients report it as they
 * would the provider's; `code` keeps Lucid's error code.
 *
 * @example
 * errorBody('anthropic', 'budget_exceeded', 'This run has used …');
 * // → { type: 'error', error: { type: 'billing_error', message: 'This run has used …' } }
 */
export function errorBody(provider: GatewayProvider, code: ErrorCode, message: string): unknown {
  const status = errorStatus[code];
  if (provider === 'anthropic') {
    const type = ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    return { type: 'error', error: { type, message } };
  }
  if (provider === 'gemini') {
    const google = GOOGLE_STATUSES[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
    return {
      error: {
        code: status,
        message,
        status: google,
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: code, domain: 'lucid' },
        ],
      },
    };
  }
  const type = OPENAI_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
  return { error: { message, type, param: null, code } };
}

/** `GET /v1/models` in the provider's shape, from the models this server can use. */
export function modelsBody(llm: LlmConfig, provider: GatewayProvider): unknown {
  const names = [
    ...new Set(
      listModels(llm)
        .filter((model) =>
          provider === 'openai'
            ? model.provider === 'openai' || model.provider === 'openai-chat'
            : model.provider === provider,
        )
        .map((model) => model.id.slice(model.id.indexOf('/') + 1)),
    ),
  ];
  if (provider === 'anthropic') {
    const data = names.map((id) => ({
      type: 'model',
      id,
      display_name: id,
      created_at: '1970-01-01T00:00:00Z',
    }));
    return { data, has_more: false, first_id: names[0] ?? null, last_id: names.at(-1) ?? null };
  }
  if (provider === 'gemini') {
    const models = names.map((id) => ({
      name: `models/${id}`,
      displayName: id,
      supportedGenerationMethods: ['generateContent', 'countTokens'],
    }));
    return { models };
  }
  return {
    object: 'list',
    data: names.map((id) => ({ id, object: 'model', created: 0, owned_by: provider })),
  };
}

/** The model calls the gateway forwards in the OpenAI and Anthropic styles: `/{provider}/v1/{endpoint}`. */
export const GATEWAY_CALLS: ReadonlyArray<readonly [GatewayProvider, GatewayEndpoint]> = [
  ['anthropic', 'messages'],
  ['openai', 'chat/completions'],
  ['openai', 'responses'],
  ['openai-compatible', 'chat/completions'],
];

export const GEMINI_METHODS: readonly GeminiMethod[] = [
  'generateContent',
  'streamGenerateContent',
  'countTokens',
];

/** `gemini-2.5-pro:streamGenerateContent` → the model and a method the gateway forwards. */
export function geminiCall(target: string): { model: string; method: GeminiMethod } {
  const colon = target.lastIndexOf(':');
  const method = GEMINI_METHODS.find((known) => known === target.slice(colon + 1));
  // A `gemini/` prefix, as Lucid names the model, is dropped like the other styles' prefixes.
  const model = colon > 0 ? target.slice(0, colon).replace(/^gemini\//, '') : '';
  if (!method || model === '' || model.includes('/')) {
    throw new AppError(
      'not_found',
      `Lucid's Gemini gateway serves models/{model}:${GEMINI_METHODS.join('|')}, not models/${target}.`,
    );
  }
  return { model, method };
}
