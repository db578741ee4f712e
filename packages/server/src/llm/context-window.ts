/**
 * @module llm/context-window
 * How many tokens a model reads at most (its context window), from the model table
 * (`prices.json`), else a default per provider; `LUCID_CONTEXT_WINDOW` overrides it for every
 * model. And which small model summarises an agent's older steps: `LUCID_SMALL_MODEL` when it is of
 * the task's provider, else that provider's own small model, else the task's model itself.
 */
import { priceOf } from './cost.ts';

/** Context windows of models the table does not list, by provider. */
const PROVIDER_WINDOWS: Record<string, number> = {
  anthropic: 200_000,
  openai: 128_000,
  'openai-chat': 128_000,
  gemini: 1_048_576,
  // Local servers (Ollama, vLLM…) often run with small windows: stay on the safe side.
  'openai-compatible': 32_768,
};
const FALLBACK_WINDOW = 32_768;

/** A provider's own small, fast model, for summaries. */
const SMALL_MODELS: Record<string, string> = {
  anthropic: 'anthropic/claude-haiku-4-5',
  openai: 'openai/gpt-5-mini',
  'openai-chat': 'openai-chat/gpt-5-mini',
  gemini: 'gemini/gemini-2.5-flash',
};

const providerOf = (model: string) => model.slice(0, Math.max(0, model.indexOf('/')));

/**
 * The model's context window in tokens: `override` (LUCID_CONTEXT_WINDOW) when set, else the
 * table's, else its provider's default.
 *
 * @example
 * contextWindowOf('anthropic/claude-sonnet-4-5'); // → 200000
 * contextWindowOf('openai-compatible/qwen2.5-coder'); // → 32768
 */
export function contextWindowOf(model: string, override?: number): number {
  if (override) return override;
  return priceOf(model)?.contextWindow ?? PROVIDER_WINDOWS[providerOf(model)] ?? FALLBACK_WINDOW;
}

/**
 * The model that summarises a run's older steps: `smallModel` (LUCID_SMALL_MODEL) when it is of the
 * task model's provider, else that provider's small model, else the task's model itself.
 *
 * @example
 * summaryModelOf('anthropic/claude-sonnet-4-5', undefined); // → 'anthropic/claude-haiku-4-5'
 */
export function summaryModelOf(model: string, smallModel: string | undefined): string {
  const provider = providerOf(model);
  if (smallModel && providerOf(smallModel) === provider) return smallModel;
  return SMALL_MODELS[provider] ?? model;
}

/**
 * What a run of the built-in agent is told about its model's context: the window, and the
 * summary model with its own window.
 *
 * @example
 * agentContextOf('anthropic/claude-sonnet-4-5', { smallModel: 'anthropic/claude-haiku-4-5' });
 * // → { window: 200000, summaryModel: 'anthropic/claude-haiku-4-5', summaryWindow: 200000 }
 */
export function agentContextOf(
  model: string,
  options: { contextWindow?: number | undefined; smallModel?: string | undefined },
): { window: number; summaryModel: string; summaryWindow: number } {
  const summaryModel = summaryModelOf(model, options.smallModel);
  return {
    window: contextWindowOf(model, options.contextWindow),
    summaryModel,
    summaryWindow: contextWindowOf(summaryModel, options.contextWindow),
  };
}
