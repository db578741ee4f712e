/**
 * @module llm/cost
 * What a model call cost, from the price table in `prices.json` (USD per million tokens, keyed by
 * `provider/name`). `openai-chat/…` models are priced as their `openai/…` twins. A model missing
 * from the table costs 0, and `priced` says so. Input written to a provider's cache costs the
 * model's `cacheWrite` price where it has one (Anthropic: 1.25× input), else its input price.
 */
import prices from './prices.json' with { type: 'json' };

export interface TokenUsage {
  /** All input tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** The part of the input read from the provider's cache. */
  cachedInputTokens?: number | undefined;
  /** The part of the input written to the provider's cache (Anthropic's cache creation). */
  cacheWriteTokens?: number | undefined;
}

export interface Price {
  input: number;
  output: number;
  cachedInput: number;
  /** The price of input written to the cache, when it differs from `input`. */
  cacheWrite?: number;
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
  const written = Math.min(usage.cacheWriteTokens ?? 0, usage.inputTokens - cached);
  const usd =
    ((usage.inputTokens - cached - written) * price.input +
      cached * price.cachedInput +
      written * (price.cacheWrite ?? price.input) +
      usage.outputTokens * price.output) /
    1_000_000;
  return { usd, priced: true };
}

/**
 * What the provider's cache saved against the model's full input price, in US dollars: the
 * `cachedInputTokens` read from it at the cached price, less what writing `cacheWriteTokens` to it
 * cost above the input price (0 for a model missing from the table; negative when the writes cost
 * more than the reads saved).
 *
 * @example
 * cacheSavingOf('anthropic/claude-sonnet-4-5', 100_000); // → 0.27
 * cacheSavingOf('anthropic/claude-sonnet-4-5', 100_000, 10_000); // → 0.2625
 */
export function cacheSavingOf(
  model: string,
  cachedInputTokens: number,
  cacheWriteTokens = 0,
): number {
  const price = priceOf(model);
  if (!price) return 0;
  const readSaving = cachedInputTokens * Math.max(0, price.input - price.cachedInput);
  const writeCost = cacheWriteTokens * Math.max(0, (price.cacheWrite ?? price.input) - price.input);
  return (readSaving - writeCost) / 1_000_000;
}
