/**
 * @module audit/date-range
 * Reads the `from`/`to` bounds of a report's query: a day (`YYYY-MM-DD`, UTC) or an ISO 8601
 * instant. A day as `to` includes the whole day.
 */
import { AppError } from '../errors.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

/**
 * The instant a bound names; a day as the end bound is the start of the next day (excluded).
 *
 * @example
 * parseBound('2026-01-31', 'to', 'end'); // 2026-02-01T00:00:00.000Z
 */
export function parseBound(value: string, name: string, side: 'start' | 'end'): Date {
  const day = DAY.test(value);
  const date = day || INSTANT.test(value) ? new Date(day ? `${value}T00:00:00Z` : value) : null;
  if (!date || Number.isNaN(date.getTime()) || (day && date.toISOString().slice(0, 10) !== value)) {
    throw new AppError(
      'invalid_date_range',
      `“${value}” is not a date: give ${name} as YYYY-MM-DD or an ISO 8601 date and time.`,
    );
  }
  return day && side === 'end' ? new Date(date.getTime() + DAY_MS) : date;
}

/**
 * The instants a query's `from` and `to` name (null when not given), refusing a start after the end.
 *
 * @example
 * parseRange({ from: '2026-03-01', to: '2026-03-01' }); // the whole of March 1st
 */
export function parseRange(query: { from?: string | undefined; to?: string | undefined }): {
  from: Date | null;
  to: Date | null;
} {
  const from = query.from ? parseBound(query.from, 'from', 'start') : null;
  const to = query.to ? parseBound(query.to, 'to', 'end') : null;
  if (from && query.to && from.getTime() > parseBound(query.to, 'to', 'start').getTime()) {
    throw new AppError('invalid_date_range', 'The start of the range comes after its end.');
  }
  return { from, to };
}
