/**
 * The board's pure parts: which column holds a status, what a drop between columns means (and the
 * message for one that means nothing), reading a diff into unified and split rows,
 * and the lanes of the commit graph.
 */
import { describe, expect, it } from 'vitest';
import {
  cardActions,
  cardNote,
  columnOf,
  moveAction,
  refusedMove,
} from '../src/features/board/columns.ts';
import { parseDiff, splitRows } from '../src/features/board/diff-rows.ts';
import { layoutGraph } from '../src/features/board/graph-layout.ts';

describe('board columns', () => {
  it('puts each status in its column', () => {
    expect(columnOf('todo')).toBe('todo');
    expect(columnOf('queued')).toBe('in_progress');
    expect(columnOf('running')).toBe('in_progress');
    expect(columnOf('in_review')).toBe('in_review');
    expect(columnOf('awaiting_merge')).toBe('in_review');
    expect(columnOf('done')).toBe('done');
    expect(columnOf('failed')).toBe('failed');
    expect(columnOf('cancelled')).toBe('todo');
  });

  it('gives the meaningful moves their action and refuses the others', () => {
    expect(moveAction('todo', 'in_progress')).toBe('start');
    expect(moveAction('in_review', 'done')).toBe('approve');
    expect(moveAction('in_review', 'todo')).toBe('reject');
    expect(moveAction('failed', 'todo')).toBe('reject');
    expect(moveAction('failed', 'in_progress')).toBe('retry');
    expect(moveAction('todo', 'done')).toBeNull();
    expect(moveAction('done', 'todo')).toBeNull();
    expect(moveAction('in_progress', 'done')).toBeNull();
    expect(refusedMove('todo', 'done')).toBe(
      'A card cannot move from To Do to Done: from To Do it can go to In Progress.',
    );
    expect(refusedMove('done', 'failed')).toContain('nothing moves a card out of Done');
  });

  it('notes a stopped card, which waits in To Do', () => {
    expect(cardNote({ status: 'cancelled' })?.text).toBe('Stopped');
    expect(cardNote({ status: 'todo' })).toBeNull();
    expect(cardNote({ status: 'todo', noChanges: true })?.text).toBe('No changes');
    expect(cardNote({ status: 'in_review', noChanges: true })).toBeNull();
    expect(cardNote({ status: 'failed' })).toBeNull();
  });

  it('offers buttons for the same moves', () => {
    expect(cardActions('todo')).toEqual(['start']);
    expect(cardActions('in_review')).toEqual(['approve', 'reject']);
    expect(cardActions('failed')).toEqual(['retry', 'reject']);
    expect(cardActions('cancelled')).toEqual(['start']);
    expect(cardActions('awaiting_merge')).toEqual(['retry', 'reject']);
    expect(cardActions('done')).toEqual([]);
  });
});

describe('diff rows', () => {
  const diff = [
    'diff --git a/app.txt b/app.txt',
    'index 1..2 100644',
    '--- a/app.txt',
    '+++ b/app.txt',
    '@@ -1,3 +1,4 @@',
    ' one',
    '-two',
    '+TWO',
    '+2b',
    ' three',
    'diff --git a/new.txt b/new.txt',
    '--- /dev/null',
    '+++ b/new.txt',
    '@@ -0,0 +1 @@',
    '+fresh',
    '',
  ].join('\n');

  it('reads files, hunks and line numbers', () => {
    const files = parseDiff(diff);
    expect(files.map((f) => f.path)).toEqual(['app.txt', 'new.txt']);
    expect(files[0]?.hunks[0]?.lines).toEqual([
      { kind: 'context', text: 'one', oldNo: 1, newNo: 1 },
      { kind: 'removed', text: 'two', oldNo: 2, newNo: null },
      { kind: 'added', text: 'TWO', oldNo: null, newNo: 2 },
      { kind: 'added', text: '2b', oldNo: null, newNo: 3 },
      { kind: 'context', text: 'three', oldNo: 3, newNo: 4 },
    ]);
  });

  it('pairs removed and added lines side by side', () => {
    const rows = splitRows(parseDiff(diff)[0]?.hunks[0]?.lines ?? []);
    expect(rows.map((r) => [r.left?.text ?? null, r.right?.text ?? null])).toEqual([
      ['one', 'one'],
      ['two', 'TWO'],
      [null, '2b'],
      ['three', 'three'],
    ]);
  });
});

describe('layoutGraph', () => {
  it('keeps a straight history in one lane', () => {
    const layout = layoutGraph([
      { sha: 'c', parents: ['b'] },
      { sha: 'b', parents: ['a'] },
      { sha: 'a', parents: [] },
    ]);
    expect(layout.lanes).toEqual([0, 0, 0]);
    expect(layout.width).toBe(1);
    expect(layout.edges).toEqual([
      { fromRow: 0, fromLane: 0, toLane: 0, toRow: 1 },
      { fromRow: 1, fromLane: 0, toLane: 0, toRow: 2 },
    ]);
  });

  it('gives a branch its own lane and joins it at the fork and at the merge', () => {
    // m merges f (feature) into d (main); both grew from a.
    const layout = layoutGraph([
      { sha: 'm', parents: ['d', 'f'] },
      { sha: 'f', parents: ['a'] },
      { sha: 'd', parents: ['a'] },
      { sha: 'a', parents: [] },
    ]);
    expect(layout.lanes).toEqual([0, 1, 0, 1]);
    expect(layout.width).toBe(2);
    expect(layout.edges).toEqual([
      { fromRow: 0, fromLane: 0, toLane: 0, toRow: 2 },
      { fromRow: 0, fromLane: 0, toLane: 1, toRow: 1 },
      { fromRow: 1, fromLane: 1, toLane: 1, toRow: 3 },
      { fromRow: 2, fromLane: 0, toLane: 1, toRow: 3 },
    ]);
  });

  it('draws an edge to the bottom for a parent beyond the list', () => {
    const layout = layoutGraph([{ sha: 'b', parents: ['a'] }]);
    expect(layout.edges).toEqual([{ fromRow: 0, fromLane: 0, toLane: 0, toRow: 1 }]);
  });
});
