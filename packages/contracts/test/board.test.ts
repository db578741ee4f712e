/**
 * The board's columns as the contracts place each task status: a task its user stopped waits in
 * To Do, keeping its status, to be started again.
 */
import { describe, expect, it } from 'vitest';
import { boardColumnOf } from '../src/board.ts';
import { TaskStatus } from '../src/events.ts';

describe('boardColumnOf', () => {
  it('puts every status in its column, a cancelled task in To Do', () => {
    const placed = Object.fromEntries(TaskStatus.options.map((s) => [s, boardColumnOf(s)]));
    expect(placed).toEqual({
      todo: 'todo',
      cancelled: 'todo',
      queued: 'in_progress',
      running: 'in_progress',
      in_review: 'in_review',
      awaiting_merge: 'in_review',
      plan_review: 'in_review',
      done: 'done',
      failed: 'failed',
    });
  });
});
