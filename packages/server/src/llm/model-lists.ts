/**
 * @module llm/model-lists
 * The models a provider offers, from its own list endpoint: OpenAI's and OpenAI-compatible
 * servers' `GET /v1/models`, Anthropic's `GET /v1/models` (page by page, `after_id`), Gemini's
 * `GET /v1beta/models` (`pageToken`). Each list is kept a few minutes per provider, base URL and
 * key, so task creation asks a provider once in a while, not each time. A provider that cannot be
 * listed (unreachable, an error, a server without the endpoint) gives no list: the model is then
 * not checked here, and a refusal comes with the run's first model call.
 */
import { createHash } from 'node:crypto';
import type { ModelProvider } from '@lucid/contracts';
import type { LlmConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { geminiBaseUrl, providerBaseUrl } from './gateway-styles.ts';

/** How long a list is kept; a failure to list is kept a shorter while. */
const LIST_TTL_MS = 5 * 60_000;
const FAILURE_TTL_MS = 30_000;
const TIMEOUT_MS = 5_000;
/** At most this many pages are read of a paginated list. */
const MAX_PAGES = 20;
/** How many existing models a refusal names. */
const SUGGESTIONS = 5;

interface Source {
  url: string;
  headers: Record<string, string>;
  style: 'openai' | 'anthropic' | 'gemini';
}

const cache = new Map<string, { until: number; models: Promise<string[] | null> }>();

function sourceOf(llm: LlmConfig, provider: ModelProvider): Source | null {
  if (provider === 'anthropic' && llm.anthropic) {
    return {
      url: `${providerBaseUrl(llm, 'anthropic')}/models`,
      headers: { 'x-api-key': llm.anthropic.apiKey, 'anthropic-version': '2023-06-01' },
      style: 'anthropic',
    };
  }
  if ((provider === 'openai' || provider === 'openai-chat') && llm.openai) {
    return {
      url: `${providerBaseUrl(llm, 'openai')}/models`,
      headers: { authorization: `Bearer ${llm.openai.apiKey}` },
      style: 'openai',
    };
  }
  if (provider === 'openai-compatible' && llm.openaiCompatible) {
    const { baseUrl, apiKey } = llm.openaiCompatible;
    return {
      url: `${baseUrl.replace(/\/+$/, '')}/models`,
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      style: 'openai',
    };
  }
  if (provider === 'gemini' && llm.gemini) {
    return {
      url: `${geminiBaseUrl(llm)}/v1beta/models`,
      headers: { 'x-goog-api-key': llm.gemini.apiKey },
      style: 'gemini',
    };
  }
  return null;
}

async function getJson(url: string, headers: Record<string, string>): Promise<unknown> {
  const answer = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!answer.ok) {
    await answer.body?.cancel();
    throw new Error(`HTTP ${answer.status}`);
  }
  return answer.json();
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function ids(items: unknown, key: 'id' | 'name'): string[] {
  if (!Array.isArray(items)) throw new Error('the answer holds no model list');
  return items
    .map((item) => record(item)[key])
    .filter((id): id is string => typeof id === 'string')
    .map((id) => (key === 'name' ? id.replace(/^models\//, '') : id));
}

/** Reads every page of one provider's list. */
async function fetchList(source: Source): Promise<string[]> {
  if (source.style === 'openai')
    return ids(record(await getJson(source.url, source.headers)).data, 'id');
  const models: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const url = new URL(source.url);
    if (source.style === 'anthropic') {
      url.searchParams.set('limit', '1000');
      if (cursor) url.searchParams.set('after_id', cursor);
      const body = record(await getJson(url.toString(), source.headers));
      models.push(...ids(body.data, 'id'));
      if (body.has_more !== true || typeof body.last_id !== 'string') return models;
      cursor = body.last_id;
    } else {
      url.searchParams.set('pageSize', '1000');
      if (cursor) url.searchParams.set('pageToken', cursor);
      const body = record(await getJson(url.toString(), source.headers));
      models.push(...ids(body.models ?? [], 'name'));
      if (typeof body.nextPageToken !== 'string' || body.nextPageToken === '') return models;
      cursor = body.nextPageToken;
    }
  }
  return models;
}

/**
 * The names (without the `provider/` prefix) of the models `provider` offers with this
 * configuration's key, or null when it cannot be listed.
 *
 * @example
 * await providerModels(llm, 'openai'); // → ['gpt-5', 'gpt-5-mini', …]
 */
export function providerModels(llm: LlmConfig, provider: ModelProvider): Promise<string[] | null> {
  const source = sourceOf(llm, provider);
  if (!source) return Promise.resolve(null);
  const key = createHash('sha256')
    .update(JSON.stringify([source.url, source.headers]))
    .digest('hex');
  const now = Date.now();
  const kept = cache.get(key);
  if (kept && kept.until > now) return kept.models;
  const entry = { until: now + LIST_TTL_MS, models: Promise.resolve<string[] | null>(null) };
  entry.models = fetchList(source).then(
    (models) => models,
    () => {
      entry.until = Date.now() + FAILURE_TTL_MS;
      return null;
    },
  );
  cache.set(key, entry);
  return entry.models;
}

/**
 * Checks that the provider offers the model `provider/name`; throws `model_not_found` naming a
 * few models it does offer. Resolves when it does, or when the provider cannot be listed.
 *
 * @example
 * await checkModelListed(llm, 'openai/nope'); // throws: Model openai/nope is not offered by openai…
 */
export async function checkModelListed(llm: LlmConfig, id: string): Promise<void> {
  const slash = id.indexOf('/');
  const provider = id.slice(0, slash) as ModelProvider;
  const name = id.slice(slash + 1);
  const models = await providerModels(llm, provider);
  if (!models || models.length === 0 || models.includes(name)) return;
  const some = models
    .map((model) => ({ model, shared: sharedPrefix(model, name) }))
    .sort((a, b) => b.shared - a.shared || a.model.localeCompare(b.model))
    .slice(0, SUGGESTIONS)
    .map(({ model }) => `${provider}/${model}`);
  throw new AppError(
    'model_not_found',
    `Model ${id} is not one that ${provider} offers with this key; models it offers include ` +
      `${some.join(', ')}${models.length > SUGGESTIONS ? ` (${models.length} in all)` : ''}.`,
  );
}

function sharedPrefix(a: string, b: string): number {
  let at = 0;
  while (at < a.length && at < b.length && a[at] === b[at]) at += 1;
  return at;
}
