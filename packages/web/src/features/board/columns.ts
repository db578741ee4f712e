/**
 * @module features/board/columns
 * The board's columns and what moving a card between them means: each column holds some task
 * statuses, and a drop from one column onto another is one of the board actions (start, approve,
 * reject, retry) or is refused with a sentence saying why. A card may carry one note saying what
 * its status alone does not (a task its user stopped waits in To Do as "Stopped").
 */
import { boardColumnOf, type TaskStatus } from '@lucid/contracts';

export type ColumnId = 'todo' | 'in_progress' | 'in_review' | 'done' | 'failed';

export interface Column {
  id: ColumnId;
  title: string;
  statuses: readonly TaskStatus[];
}

/** Left to right, as work moves; as the server's board places them (a stopped task is To Do). */
export const columns: readonly Column[] = [
  { id: 'todo', title: 'To Do', statuses: ['todo', 'cancelled'] },
  { id: 'in_progress', title: 'In Progress', statuses: ['queued', 'running'] },
  {
    id: 'in_review',
    title: 'In Review',
    statuses: ['plan_review', 'in_review', 'awaiting_merge'],
  },
  { id: 'done', title: 'Done', statuses: ['done'] },
  { id: 'failed', title: 'Failed', statuses: ['failed'] },
];

/** The column a task of this status sits in: the server's own rule. */
export function columnOf(status: TaskStatus): ColumnId {
  return boardColumnOf(status);
}

/** A note on a card, in place of its status badge, with a longer sentence on hover. */
export interface CardNote {
  text: string;
  title: string;
}

/**
 * The note a card shows in place of its status, if any: "Stopped" for a task its user stopped,
 * "No changes" for one whose newest run changed nothing (both wait in To Do; Start runs a stopped
 * one again, a follow-up asks for more), and the server's "Waiting: the workspace runs 2 tasks at
 * once" for a queued one held back by its workspace's quota.
 */
export function cardNote(card: {
  status: TaskStatus;
  noChanges?: boolean;
  waiting?: string | undefined;
}): CardNote | null {
  if (card.status === 'queued' && card.waiting) {
    return { text: card.waiting, title: 'It starts when one of the workspace’s runs ends.' };
  }
  if (card.status === 'cancelled') {
    return { text: 'Stopped', title: 'You stopped its run. Start runs it again.' };
  }
  if (card.status === 'todo' && card.noChanges) {
    return {
      text: 'No changes',
      title: 'The agent made no changes; nothing was pushed. Follow up, or delete the card.',
    };
  }
  return null;
}

export function columnTitle(id: ColumnId): string {
  return columns.find((column) => column.id === id)?.title ?? id;
}

/** What the board asks the server to do with a card. */
export type BoardAction = 'start' | 'approve' | 'reject' | 'retry' | 'cancel';

export const actionLabels: Record<BoardAction, string> = {
  start: 'Start',
  approve: 'Approve',
  reject: 'Reject',
  retry: 'Retry',
  cancel: 'Cancel',
};

/** The action a drop from one column onto another means, or null when it means nothing. */
export function moveAction(from: ColumnId, to: ColumnId): BoardAction | null {
  if (from === 'todo' && to === 'in_progress') return 'start';
  if (from === 'in_review' && to === 'done') return 'approve';
  if ((from === 'in_review' || from === 'failed') && to === 'todo') return 'reject';
  if (from === 'failed' && to === 'in_progress') return 'retry';
  return null;
}

/**
 * What a refused drop tells the user.
 *
 * @example
 * refusedMove('todo', 'done'); // "A card cannot move from To Do to Done: …"
 */
export function refusedMove(from: ColumnId, to: ColumnId): string {
  const allowed = columns
    .map((column) => column.id)
    .filter((id) => moveAction(from, id) !== null)
    .map(columnTitle);
  const hint =
    allowed.length > 0
      ? `from ${columnTitle(from)} it can go to ${allowed.join(' or ')}.`
      : `nothing moves a card out of ${columnTitle(from)}.`;
  return `A card cannot move from ${columnTitle(from)} to ${columnTitle(to)}: ${hint}`;
}

/** The actions offered on a card of this status, as buttons (the keyboard's way to move it). */
export function cardActions(status: TaskStatus): BoardAction[] {
  switch (status) {
    case 'todo':
      return ['start'];
    case 'queued':
    case 'running':
      return ['cancel'];
    case 'in_review':
      return ['approve', 'reject'];
    case 'plan_review':
      // Its plan is approved or rejected on the task's page.
      return [];
    case 'awaiting_merge':
      // Its push upstream was refused: retry rebuilds the work on the latest base.
      return ['retry', 'reject'];
    case 'failed':
      return ['retry', 'reject'];
    case 'cancelled':
      return ['start'];
    case 'done':
      return [];
  }
}
