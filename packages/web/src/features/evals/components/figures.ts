/**
 * @module features/evals/components/figures
 * How an eval's figures read: a rate as a percentage, a time in seconds, dollars to a tenth of a
 * cent or finer, and a dash where there is nothing yet.
 */

export function percent(rate: number | null): string {
  return rate === null ? '–' : `${Math.round(rate * 100)}%`;
}

export function seconds(ms: number | null): string {
  return ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`;
}

export function dollars(usd: number | null): string {
  return usd === null ? '–' : `$${usd.toFixed(4)}`;
}
