/**
 * @module lib/format
 * How dates, durations, token counts, costs and commit ids are shown.
 */
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.345],
  ['month', 12],
  ['year', Infinity],
];

/**
 * A time as people say it, relative to now.
 *
 * @example
 * relativeTime(new Date(Date.now() - 180_000).toISOString()); // "3 minutes ago"
 */
export function relativeTime(iso: string, now: number = Date.now()): string {
  let value = (new Date(iso).getTime() - now) / 1000;
  if (Math.abs(value) < 45) return 'just now';
  for (const [unit, size] of steps) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return new Date(iso).toLocaleDateString();
}

/** A full local date and time, for tooltips. */
export function fullDate(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * How long something took, as "1 min 5 s" (hours past the hour: "2 h 5 min").
 *
 * @example
 * formatDuration(65_000); // "1 min 5 s"
 */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  if (hours > 0) return `${hours} h ${minutes % 60} min`;
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

/**
 * A token count, short: "950", "12.3k", "1.2M".
 *
 * @example
 * formatTokens(12_345); // "12.3k"
 */
export function formatTokens(count: number): string {
  if (count < 1000) return String(count);
  if (count < 1_000_000) return `${(count / 1000).toFixed(count < 10_000 ? 1 : 0)}k`;
  return `${(count / 1_000_000).toFixed(1)}M`;
}

/**
 * A cost in US dollars, with cents (or a tenth of a cent under one cent).
 *
 * @example
 * formatCost(0.0042); // "$0.004"
 */
export function formatCost(usd: number): string {
  if (usd > 0 && usd < 0.01) return `$${usd.toFixed(3)}`;
  return `$${usd.toFixed(2)}`;
}

/** The time of day, as "10:42". */
export function timeOfDay(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** The seven-character form of a commit id that git prints. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
