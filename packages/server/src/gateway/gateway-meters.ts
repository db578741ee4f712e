/**
 * @module gateway/gateway-meters
 * The gateway's calls in the server's metrics: each call by provider, model and status class (a
 * refused or failed one as an error too), and a metered call's tokens and dollars. The model label
 * is a model of the price table, else `other`, so no name a client makes up becomes a series.
 */
import { costOf, priceOf, type TokenUsage } from '../llm/cost.ts';
import { statusClass, type Metrics } from '../metrics/metrics.ts';

/** A call's labels: its provider, and its model as the price table knows it (`other` if not). */
function labelsOf(call: { provider: string; model: string }): { provider: string; model: string } {
  return { provider: call.provider, model: priceOf(call.model) ? call.model : 'other' };
}

/** Counts one call by its answer's status; `null` when the provider could not be reached. */
export function countLlmCall(
  metrics: Metrics | undefined,
  call: { provider: string; model: string },
  status: number | null,
): void {
  if (!metrics) return;
  const labels = { ...labelsOf(call), status: statusClass(status) };
  metrics.llmCalls.inc(labels);
  if (status === null || status >= 400) metrics.llmErrors.inc(labels);
}

/** Adds a metered call's tokens (input, output, cached, written to the cache) and its cost. */
export function countLlmUsage(
  metrics: Metrics | undefined,
  call: { provider: string; model: string },
  usage: TokenUsage,
): void {
  if (!metrics) return;
  const labels = labelsOf(call);
  const kinds = {
    input: usage.inputTokens,
    output: usage.outputTokens,
    cached: usage.cachedInputTokens ?? 0,
    cache_write: usage.cacheWriteTokens ?? 0,
  };
  for (const [kind, tokens] of Object.entries(kinds)) {
    metrics.llmTokens.inc({ ...labels, kind }, tokens);
  }
  metrics.llmCost.inc(labels, costOf(call.model, usage).usd);
}
