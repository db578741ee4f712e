/**
 * @module bench/sandbox/percentile
 * The p-th percentile of timed samples (nearest rank), beside the median that ../lib/stats.ts gives.
 */

/**
 * @example
 * percentile([5, 1, 4, 2, 3], 95); // 5
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? 0;
}
