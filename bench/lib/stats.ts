/**
 * @module bench/lib/stats
 * Summaries of timed samples, and a plain-text table to print them in.
 */

export interface Summary {
  p50: number;
  min: number;
  max: number;
  count: number;
}

/**
 * The median (the mean of the two middle samples when their number is even), min and max.
 *
 * @example
 * summarize([3, 1, 2]); // { p50: 2, min: 1, max: 3, count: 3 }
 */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples to summarize');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const p50 =
    sorted.length % 2 === 1
      ? (sorted[middle] ?? 0)
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { p50, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0, count: sorted.length };
}

/**
 * Lays rows out in columns: the first column left-aligned, the others right-aligned.
 *
 * @example
 * console.log(table([['op', 'ms'], ['push', '812']]));
 */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  }
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const [head, ...body] = rows;
  if (!head) return '';
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head), rule, ...body.map(line)].join('\n');
}
