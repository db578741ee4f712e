/**
 * @module agent/prompt-cache
 * Asks the provider to cache what every step of a run sends again. Anthropic caches up to a marked
 * block (`cache_control`, at most 4 per request): the last tool, the system prompt, the last message
 * of the previous step's request (read back from the cache) and the last message of this one
 * (written for the next step). OpenAI caches long prefixes by itself; a `prompt_cache_key` per task
 * sends a task's requests where its prefix is cached. Other providers cache on their own or not at
 * all, and get nothing.
 */
import type { LanguageModel, ModelMessage } from 'ai';

type Model = Extract<LanguageModel, { specificationVersion: 'v3' }>;
/** What one model call is given, as the provider's model takes it. */
export type CallOptions = Parameters<Model['doStream']>[0];
type ProviderOptions = CallOptions['providerOptions'];

/** Provider options with Anthropic's cache mark added to what they held. */
function marked(options: ProviderOptions): NonNullable<ProviderOptions> {
  return { ...options, anthropic: { ...options?.anthropic, cacheControl: { type: 'ephemeral' } } };
}

/** The family of a provider model (`anthropic.messages` → `anthropic`). */
function family(model: Model): string {
  return model.provider.split('.')[0] ?? '';
}

/**
 * The messages with the last one and, when given, the last of the previous request
 * (`previous` messages long) marked for Anthropic's cache; the same array for other providers.
 *
 * @example
 * convertToLanguageModelPrompt({ prompt: { system, messages: cacheMarks(model, messages, 4) }, … });
 */
export function cacheMarks(
  model: Model,
  messages: ModelMessage[],
  previous: number | undefined,
): ModelMessage[] {
  if (family(model) !== 'anthropic') return messages;
  const last = messages.length - 1;
  const before = previous === undefined ? -1 : previous - 1;
  return messages.map((message, index) =>
    index === last || index === before
      ? ({ ...message, providerOptions: marked(message.providerOptions) } as ModelMessage)
      : message,
  );
}

/**
 * The call's system prompt and tools marked for Anthropic's cache, or OpenAI's cache key.
 *
 * @example
 * model.doStream({ ...settings, ...cacheCall(model, { prompt, tools, cacheKey: 'lucid-task_…' }) });
 */
export function cacheCall(
  model: Model,
  call: Pick<CallOptions, 'prompt' | 'tools'> & { cacheKey?: string | undefined },
): Pick<CallOptions, 'prompt' | 'tools' | 'providerOptions'> {
  const { prompt, tools, cacheKey } = call;
  const kind = family(model);
  if (kind === 'openai') {
    return {
      prompt,
      tools,
      ...(cacheKey ? { providerOptions: { openai: { promptCacheKey: cacheKey } } } : {}),
    };
  }
  if (kind !== 'anthropic') return { prompt, tools };
  const systems = prompt.filter((message) => message.role === 'system').length;
  return {
    prompt: prompt.map((message, index) =>
      index === systems - 1
        ? { ...message, providerOptions: marked(message.providerOptions) }
        : message,
    ) as CallOptions['prompt'],
    tools: tools?.map((tool, index) =>
      index === tools.length - 1 && tool.type === 'function'
        ? { ...tool, providerOptions: marked(tool.providerOptions) }
        : tool,
    ),
  };
}
