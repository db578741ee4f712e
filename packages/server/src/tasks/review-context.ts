/**
 * @module tasks/review-context
 * What the board's moves of a task need besides the database and the git server: the forge's
 * merge of an approved task and its retry of a refused push, which the forge code supplies.
 */
import type { MergeStrategy } from '@lucid/contracts';
import type { WorkspaceQuotaDefaults } from '../config.ts';
import type { Principal } from '../principal.ts';
import type { RepoContext } from '../repos/repos.ts';
import type { RunRow, TaskRow } from './runs.ts';

/** What merging a task's branch on its forge did: merged now, or left for the forge to merge. */
export type UpstreamMerge =
  { kind: 'merged'; sha: string; strategy: MergeStrategy } | { kind: 'awaiting_merge' };

/**
 * Merges an approved task of a repository with an upstream (GitHub, GitLab) on its forge. The
 * forge code supplies it; it throws `AppError` (`merge_conflict`, `forge_error`, …) when it cannot.
 */
export type MergeUpstream = (input: { task: TaskRow; actor: Principal }) => Promise<UpstreamMerge>;

/**
 * Retries a task whose push to its forge was refused (`awaiting_merge`): the forge code supplies
 * it; it answers the new run, refused like any run once the workspace's budget is spent.
 */
export type RetryRejectedPush = (input: {
  taskId: string;
  actor: Principal;
  quotas: WorkspaceQuotaDefaults;
}) => Promise<RunRow>;

/** The context of the board's moves (start, approve, reject, retry). */
export interface ReviewContext extends RepoContext {
  /** Approval for repositories with an upstream; absent, they are refused with `forge_error`. */
  mergeUpstream?: MergeUpstream | undefined;
  /** Retry of an `awaiting_merge` task whose push upstream was refused. */
  retryRejectedPush?: RetryRejectedPush | undefined;
}
