/**
 * @module agent/tools/head-and-tail
 * Caps a line-oriented tool answer (a file read, search matches, a listing) to what one call may
 * give the model, keeping whole lines from its head and its tail and saying in their place what
 * was cut and how to see it. Below the wrapper's own cut (`MAX_TOOL_OUTPUT`), which then never
 * splits such an answer in the middle of a line.
 */
import { MAX_TOOL_OUTPUT } from '../tool.ts';

/** Most characters of lines one call answers. */
export const LINES_BUDGET = MAX_TOOL_OUTPUT - 2_000;
/** Longest line shown whole; a longer one keeps its start. */
export const MAX_LINE_CHARS = 2_000;

/** The lines left out: indexes of the first and last (0-based), and how many. */
export interface CutLines {
  first: number;
  last: number;
  count: number;
}

/** A line cut to {@link MAX_LINE_CHARS}, saying how much of it went. */
export function clipLine(line: string): string {
  if (line.length <= MAX_LINE_CHARS) return line;
  return `${line.slice(0, MAX_LINE_CHARS)} […${line.length - MAX_LINE_CHARS} more characters on this line]`;
}

/**
 * The lines joined, each clipped; when they are over `budget`, the middle ones are left out and
 * `note` says so in their place.
 *
 * @example
 * headAndTail(lines, ({ first, count }) => `[… ${count} lines cut: read them with offset ${first + 1}]`);
 */
export function headAndTail(
  lines: readonly string[],
  note: (cut: CutLines) => string,
  budget = LINES_BUDGET,
): string {
  const clipped = lines.map(clipLine);
  const total = clipped.reduce((sum, line) => sum + line.length + 1, 0);
  if (total <= budget) return clipped.join('\n');
  const half = Math.floor(budget / 2);
  let head = 0;
  for (let used = 0; head < clipped.length; head += 1) {
    used += (clipped[head]?.length ?? 0) + 1;
    if (used > half) break;
  }
  let tail = 0;
  for (let used = 0; tail < clipped.length - head; tail += 1) {
    used += (clipped[clipped.length - 1 - tail]?.length ?? 0) + 1;
    if (used > half) break;
  }
  const first = head;
  const last = clipped.length - tail - 1;
  return [
    ...clipped.slice(0, head),
    note({ first, last, count: last - first + 1 }),
    ...clipped.slice(clipped.length - tail),
  ].join('\n');
}
