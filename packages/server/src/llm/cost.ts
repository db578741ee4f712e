/**
 * @module llm/cost
 * What a model call cost, from the price table in `prices.json` (USD per million tokens, keyed by
 * `provider/name`). `openai-chat/…` models are priced as their `openai/…` twins. A model missing
 * from the table costs 0, and `priced` says so.
 */
import prices from './prices.json' with { type: 'json' };

export interface TokenUsage {
  /** All input tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** The part of the input read from the provider's cache. */
  cachedInputTokens?: number | undefined;
}

export interface Price {
  input: number;
  output: number;
  cachedInput: number;
  /** The model's context window, in tokens (see `llm/context-window.ts`). */
  contextWindow?: number;
}

const table: Record<string, Price> = prices;

/** The price of a model (`provider/name`), or undefined when the table does not know it. */
export function priceOf(model: string): Price | undefined {
  return table[model] ?? table[model.replace(/^openai-chat\//, 'openai/')];
}

/** Models in the price table, as `provider/name`. */
export function pricedModels(): string[] {
  return Object.keys(table);
}

/**
 * @example
 * costOf('anthropic/claude-sonnet-4-5', { inputTokens: 1000, outputTokens: 200 });
 * // → { usd: 0.006, priced: true }
 */
export function costOf(model: string, usage: TokenUsage): { usd: number; priced: boolean } {
  const price = priceOf(model);
  if (!price) return { usd: 0, priced: false };
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const usd =
    ((usage.inputTokens - cached) * price.input +
      cached * price.cachedInput +
      usage.outputTokens * price.output) /
    1_000_000;
  return { usd, priced: true };
}

/**
 * What `cachedInputTokens` read from the provider's cache saved against the model's full input
 * price, in US dollars (0 for a model missing from the table).
 *
 * @example
 * cacheSavingOf('anthropic/claude-sonnet-4-5', 100_000); // → 0.27
 */
export function cacheSavingOf(model: string, cachedInputTokens: number): number {
  const price = priceOf(model);
  if (!price) return 0;
  return (cachedInputTokens * Math.max(0, price.input - price.cachedInput)) / 1_000_000;
}
