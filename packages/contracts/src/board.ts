/**
 * @module board
 * The board of one repository: its tasks as cards in five columns, and what moves a card
 * (start, approve, reject, retry, cancel: each a transition of the task's status, refused with
 * 409 `invalid_transition` when it has no meaning from where the card stands).
 *
 * Columns from task statuses: `todo`, `cancelled` → To Do (a task its user stopped waits to be
 * started again, keeping its status); `queued`, `running` → In Progress; `in_review`,
 * `awaiting_merge` and `plan_review` → In Review (marked `awaitingMerge`, and `planReview`: a plan
 * waiting for a person); `done` → Done; `failed` → Failed.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.ts';
import { RunStatus, TaskStatus } from './events.ts';
import { AgentName, Task, TaskSummary } from './tasks.ts';

export const BoardColumnId = z.enum(['todo', 'in_progress', 'in_review', 'done', 'failed']);
export type BoardColumnId = z.infer<typeof BoardColumnId>;

/** The column a task of this status stands in. */
export function boardColumnOf(status: TaskStatus): BoardColumnId {
  switch (status) {
    case 'todo':
    case 'cancelled':
      return 'todo';
    case 'queued':
    case 'running':
      return 'in_progress';
    case 'plan_review':
    case 'in_review':
    case 'awaiting_merge':
      return 'in_review';
    case 'done':
      return 'done';
    case 'failed':
      return 'failed';
  }
}

/** The newest run of a card's task. */
export const BoardCardRun = z.object({
  id: Id,
  status: RunStatus,
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  /** From its start to its end (or to now while it runs); null before it starts. */
  durationMs: z.number().int().min(0).nullable(),
});
export type BoardCardRun = z.infer<typeof BoardCardRun>;

/** What a card's branch changes against its base branch, as `git diff --shortstat` counts it. */
export const DiffStats = z.object({
  filesChanged: z.number().int().min(0),
  insertions: z.number().int().min(0),
  deletions: z.number().int().min(0),
});
export type DiffStats = z.infer<typeof DiffStats>;

/** One task on the board. `agent` and `model` are the task's (its newest agent run's). */
export const BoardCard = TaskSummary.extend({
  /** In Review, waiting for its pull or merge request to be merged on the forge. */
  awaitingMerge: z.boolean(),
  /** In Review with a plan waiting for a person to approve or reject it (the card's Plan badge). */
  planReview: z.boolean(),
  /** In To Do because its latest run ended with no changes: nothing was pushed to review. */
  noChanges: z.boolean(),
  /** Queued while its workspace runs as many tasks at once as its quota allows: that sentence. */
  waiting: z.string().optional(),
  latestRun: BoardCardRun.nullable(),
  /** Its branch against the base branch's fork point; null while the branch does not exist. */
  diffStats: DiffStats.nullable(),
  /** A best-of-N task's attempts: how many, and how many passed the check command. */
  attempts: z.object({ total: z.number().int().min(0), green: z.number().int().min(0) }).nullable(),
}).meta({ id: 'BoardCard' });
export type BoardCard = z.infer<typeof BoardCard>;

export const BoardColumn = z.object({
  id: BoardColumnId,
  /** Most recently updated first. */
  cards: z.array(BoardCard),
});
export type BoardColumn = z.infer<typeof BoardColumn>;

/** The board of one repository: always the five columns, in order, empty ones included. */
export const Board = z
  .object({
    repoId: Id,
    columns: z.array(BoardColumn),
  })
  .meta({ id: 'Board' });
export type Board = z.infer<typeof Board>;

export const BoardQuery = z.object({
  /** Matches the title or the prompt, case-insensitively. */
  q: z.string().trim().min(1).max(200).optional(),
  status: TaskStatus.optional(),
  agent: AgentName.optional(),
});
export type BoardQuery = z.infer<typeof BoardQuery>;

/** Why the work is sent back; the task's next run is given it. */
export const RejectBody = z.object({ reason: z.string().trim().min(1).max(10_000) });
export type RejectBody = z.infer<typeof RejectBody>;

export const MergeStrategy = z.enum(['fast-forward', 'merge-commit']);
export type MergeStrategy = z.infer<typeof MergeStrategy>;

/**
 * What approving did: the task (done, or `awaiting_merge` when its forge merges later) and the
 * merge that left its base branch at `sha` (null while the forge has yet to merge).
 */
export const ApproveResult = z.object({
  task: Task,
  merge: z
    .object({
      branch: z.string(),
      into: z.string(),
      sha: z.string(),
      strategy: MergeStrategy,
    })
    .nullable(),
});
export type ApproveResult = z.infer<typeof ApproveResult>;

/** `error.details` of a 409 `merge_conflict`: the files both sides changed. */
export const MergeConflictDetails = z.object({ files: z.array(z.string()) });
export type MergeConflictDetails = z.infer<typeof MergeConflictDetails>;

/**
 * What the board stream (`GET /api/v1/repos/{id}/board/stream`, Server-Sent Events) sends: a task
 * of the repository was created, changed status, or was deleted (`status` null); re-read the board.
 */
export const BoardChanged = z.object({
  kind: z.literal('board.changed'),
  taskId: Id,
  status: TaskStatus.nullable(),
});
export type BoardChanged = z.infer<typeof BoardChanged>;

/**
 * Also on the board stream: a branch of the repository moved (a push, an approval's merge); re-read
 * its branches and history.
 */
export const RefsChanged = z.object({ kind: z.literal('refs.changed') });
export type RefsChanged = z.infer<typeof RefsChanged>;

/** A message of the board stream. */
export const BoardStreamMessage = z.discriminatedUnion('kind', [BoardChanged, RefsChanged]);
export type BoardStreamMessage = z.infer<typeof BoardStreamMessage>;
