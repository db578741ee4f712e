/**
 * @module lib/date-range
 * Days as the reports' date fields and queries write them (`YYYY-MM-DD`, UTC).
 */

/** The day `offset` days from today, as `YYYY-MM-DD` (UTC). */
export function dayFromToday(offset = 0): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

/**
 * A query string of the parameters that have a value.
 *
 * @example
 * queryString({ from: '2026-01-01', actor: '' }); // "from=2026-01-01"
 */
export function queryString(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) search.set(name, value);
  return search.toString();
}
