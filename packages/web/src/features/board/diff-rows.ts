/**
 * @module features/board/diff-rows
 * A unified diff read into rows for the two diff views: unified (one line per row, with both line
 * numbers) and split (the old side beside the new, removed and added lines paired in order).
 */

export type LineKind = 'context' | 'added' | 'removed';

export interface DiffLine {
  kind: LineKind;
  text: string;
  oldNo: number | null;
  newNo: number | null;
}

export interface DiffFile {
  /** The path on the new side (or the old one for a deleted file). */
  path: string;
  hunks: { header: string; lines: DiffLine[] }[];
}

export interface SplitRow {
  left: DiffLine | null;
  right: DiffLine | null;
}

const hunkHeader = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

function pathOf(header: string): string {
  const match = /^diff --git a\/(.*) b\/(.*)$/.exec(header);
  return match?.[2] ?? header.replace(/^diff --git /, '');
}

/**
 * The files of a unified diff with their hunks and numbered lines.
 *
 * @example
 * parseDiff('diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n')[0].path; // 'x'
 */
export function parseDiff(diff: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | null = null;
  let hunk: DiffFile['hunks'][number] | null = null;
  let oldNo = 0;
  let newNo = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('diff --git ')) {
      file = { path: pathOf(line), hunks: [] };
      files.push(file);
      hunk = null;
      continue;
    }
    if (!file) continue;
    const header = hunkHeader.exec(line);
    if (header) {
      oldNo = Number(header[1]);
      newNo = Number(header[2]);
      hunk = { header: line, lines: [] };
      file.hunks.push(hunk);
      continue;
    }
    if (!hunk) continue;
    if (line.startsWith('+')) {
      hunk.lines.push({ kind: 'added', text: line.slice(1), oldNo: null, newNo: newNo++ });
    } else if (line.startsWith('-')) {
      hunk.lines.push({ kind: 'removed', text: line.slice(1), oldNo: oldNo++, newNo: null });
    } else if (line.startsWith(' ')) {
      hunk.lines.push({ kind: 'context', text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
    }
  }
  return files;
}

/**
 * A hunk's lines side by side: context on both sides, each run of removed lines paired with the
 * run of added lines after it, the shorter side padded with empty cells.
 */
export function splitRows(lines: readonly DiffLine[]): SplitRow[] {
  const rows: SplitRow[] = [];
  let removed: DiffLine[] = [];
  let added: DiffLine[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(removed.length, added.length); i++) {
      rows.push({ left: removed[i] ?? null, right: added[i] ?? null });
    }
    removed = [];
    added = [];
  };
  for (const line of lines) {
    if (line.kind === 'removed') {
      if (added.length > 0) flush();
      removed.push(line);
    } else if (line.kind === 'added') {
      added.push(line);
    } else {
      flush();
      rows.push({ left: line, right: line });
    }
  }
  flush();
  return rows;
}
