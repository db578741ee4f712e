/**
 * @module cli/table
 * Plain-text tables for terminal output: columns padded to their widest cell.
 */

/**
 * @example
 * formatTable(['NAME', 'ID'], [['demo', 'repo_1']]);
 * // 'NAME  ID\ndemo  repo_1'
 */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  return [headers, ...rows]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
