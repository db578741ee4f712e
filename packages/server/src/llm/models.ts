/**
 * @module llm/models
 * Checks and lists the models (`provider/name`) this server can use, and turns one into an AI SDK
 * language model: on the configured provider itself, or through Lucid's LLM gateway.
 *
 * Providers: `anthropic` (Messages API), `openai` (Responses API), `openai-chat` (OpenAI's Chat
 * Completions), `openai-compatible` (any Chat Completions server at OPENAI_COMPATIBLE_BASE_URL),
 * `gemini` (Google's Generative Language API, at GEMINI_BASE_URL).
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import { ModelProvider, type ModelInfo } from '@lucid/contracts';
import type { LlmConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { pricedModels } from './cost.ts';

/** Where Google's Generative Language API is reached when GEMINI_BASE_URL is not set. */
export const GEMINI_DEFAULT_BASE = 'https://generativelanguage.googleapis.com';

const SETUP =
  'set ANTHROPIC_API_KEY, OPENAI_API_KEY, OPENAI_COMPATIBLE_BASE_URL or GEMINI_API_KEY on the server ' +
  '(and LUCID_DEFAULT_MODEL to choose the default model), or add your own provider key ' +
  '(PUT /api/v1/settings/provider-keys/{provider})';

const NEEDS: Record<ModelProvider, [setting: string, key: string]> = {
  anthropic: ['ANTHROPIC_API_KEY', 'anthropic'],
  openai: ['OPENAI_API_KEY', 'openai'],
  'openai-chat': ['OPENAI_API_KEY', 'openai'],
  'openai-compatible': ['OPENAI_COMPATIBLE_BASE_URL', 'openai-compatible'],
  gemini: ['GEMINI_API_KEY', 'gemini'],
};

function split(id: string): { provider: ModelProvider; name: string } {
  const slash = id.indexOf('/');
  const provider = ModelProvider.safeParse(id.slice(0, Math.max(slash, 0)));
  const name = id.slice(slash + 1);
  if (slash < 1 || !provider.success || name === '') {
    throw new AppError(
      'model_unavailable',
      `Model "${id}" is not provider/name with a known provider: use anthropic/…, openai/…, openai-chat/…, openai-compatible/… or gemini/….`,
    );
  }
  return { provider: provider.data, name };
}

function configured(llm: LlmConfig, provider: ModelProvider): boolean {
  if (provider === 'anthropic') return Boolean(llm.anthropic);
  if (provider === 'openai-compatible') return Boolean(llm.openaiCompatible);
  if (provider === 'gemini') return Boolean(llm.gemini);
  return Boolean(llm.openai);
}

/**
 * The model a task will use: the one asked for, else the default; throws `model_unavailable`
 * with what to configure when it cannot be used.
 *
 * @example
 * usableModel(config.llm, undefined); // → 'anthropic/claude-sonnet-4-5'
 */
export function usableModel(llm: LlmConfig, requested: string | undefined): string {
  const id = requested ?? llm.defaultModel;
  if (!id) throw new AppError('model_unavailable', `No model is configured: ${SETUP}.`);
  const { provider } = split(id);
  if (!configured(llm, provider)) {
    throw new AppError(
      'model_unavailable',
      `Model ${id} needs ${NEEDS[provider][0]} set on the server, or your own ${NEEDS[provider][1]} ` +
        `key (PUT /api/v1/settings/provider-keys/${NEEDS[provider][1]}), or the workspace's ` +
        `(set by its admins); or pick another model ` +
        'from GET /api/v1/models.',
    );
  }
  return id;
}

/**
 * An AI SDK language model for `provider/name` on the configured provider itself, with the
 * server's key (not metered: runners' agents use {@link gatewayModel}).
 *
 * @example
 * const model = resolveModel(config.llm, 'openai-chat/gpt-4.1');
 */
export function resolveModel(llm: LlmConfig, id: string): LanguageModel {
  const { provider, name } = split(usableModel(llm, id));
  if (provider === 'gemini' && llm.gemini) {
    const { apiKey, baseUrl } = llm.gemini;
    const base = (baseUrl ?? GEMINI_DEFAULT_BASE).replace(/\/+$/, '');
    return createGoogleGenerativeAI({ apiKey, baseURL: `${base}/v1beta` })(name);
  }
  if (provider === 'anthropic' && llm.anthropic) {
    const { apiKey, baseUrl } = llm.anthropic;
    return createAnthropic({ apiKey, ...(baseUrl ? { baseURL: baseUrl } : {}) })(name);
  }
  if ((provider === 'openai' || provider === 'openai-chat') && llm.openai) {
    const { apiKey, baseUrl } = llm.openai;
    const openai = createOpenAI({ apiKey, ...(baseUrl ? { baseURL: baseUrl } : {}) });
    return provider === 'openai' ? openai.responses(name) : openai.chat(name);
  }
  if (provider === 'openai-compatible' && llm.openaiCompatible) {
    const { baseUrl, apiKey } = llm.openaiCompatible;
    return createOpenAICompatible({
      name: 'openai-compatible',
      baseURL: baseUrl,
      ...(apiKey ? { apiKey } : {}),
      includeUsage: true,
    })(name);
  }
  throw new AppError('model_unavailable', `Model ${id} cannot be used: ${SETUP}.`);
}

/**
 * An AI SDK language model for `provider/name` called through Lucid's LLM gateway (`gatewayUrl`
 * is `<server>/llm`), in the provider's own style, with a run token as the key.
 *
 * @example
 * const model = gatewayModel({ gatewayUrl: 'http://127.0.0.1:3000/llm', model: 'anthropic/claude-sonnet-4-5', apiKey: runToken });
 */
export function gatewayModel(options: {
  gatewayUrl: string;
  model: string;
  apiKey: string;
  /** How to reach the gateway; the global `fetch` by default (see `gateway/gateway-fetch.ts`). */
  fetch?: typeof fetch | undefined;
  /** Headers sent with every call (the gateway reads `x-lucid-phase`; none reach the provider). */
  headers?: Record<string, string> | undefined;
}): LanguageModel {
  const { provider, name } = split(options.model);
  const { apiKey } = options;
  const client = {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  };
  if (provider === 'gemini') {
    return createGoogleGenerativeAI({
      apiKey,
      baseURL: `${options.gatewayUrl}/gemini/v1beta`,
      ...client,
    })(name);
  }
  if (provider === 'anthropic') {
    return createAnthropic({ apiKey, baseURL: `${options.gatewayUrl}/anthropic/v1`, ...client })(
      name,
    );
  }
  if (provider === 'openai-compatible') {
    return createOpenAICompatible({
      name: 'openai-compatible',
      baseURL: `${options.gatewayUrl}/openai-compatible/v1`,
      apiKey,
      includeUsage: true,
      ...client,
    })(name);
  }
  const openai = createOpenAI({ apiKey, baseURL: `${options.gatewayUrl}/openai/v1`, ...client });
  return provider === 'openai' ? openai.responses(name) : openai.chat(name);
}

/** The models this server can use: the priced ones of each configured provider, and the default. */
export function listModels(llm: LlmConfig): ModelInfo[] {
  const ids = pricedModels().filter((id) => configured(llm, split(id).provider));
  if (llm.defaultModel && !ids.includes(llm.defaultModel)) ids.unshift(llm.defaultModel);
  return ids.map((id) => ({
    provider: split(id).provider,
    id,
    default: id === llm.defaultModel,
  }));
}

/** Every provider key the configuration holds: secrets to keep out of tool output and logs. */
export function providerSecrets(llm: LlmConfig): string[] {
  return [
    llm.anthropic?.apiKey,
    llm.openai?.apiKey,
    llm.openaiCompatible?.apiKey,
    llm.gemini?.apiKey,
  ].filter((key): key is string => Boolean(key));
}
