/**
 * @module tasks/task-patch
 * A task's work as a patch file: the commits of its branch since it forked from its base branch,
 * as `git format-patch` writes them, to apply with `git am` (or `git apply`) elsewhere.
 */
import { AppError } from '../errors.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import { forkPoint, formatPatch, resolveCommit } from '../git/tree-read.ts';
import type { TaskRow } from './runs.ts';

export interface TaskPatch {
  /** `git format-patch --stdout` of the branch's commits; empty when it has none of its own. */
  patch: string;
  /** A file name for it, from the branch's name: `lucid-fix-login-k3j2.patch`. */
  filename: string;
}

/**
 * The task branch's commits against its base branch, read from Lucid's bare repository (what
 * the task's runs pushed). `ref_not_found` while no run has pushed the branch.
 *
 * @example
 * const { patch, filename } = await taskPatch({ gitRoot }, task);
 */
export async function taskPatch(ctx: { gitRoot: string }, task: TaskRow): Promise<TaskPatch> {
  const repoPath = bareRepoPath(ctx.gitRoot, task.repoId);
  const head = await resolveCommit(repoPath, `refs/heads/${task.branch}`);
  if (!head) {
    throw new AppError(
      'ref_not_found',
      `“${task.title}” has no work to download yet: its branch ${task.branch} is made when a run pushes its commits.`,
    );
  }
  const base = await resolveCommit(repoPath, `refs/heads/${task.baseBranch}`);
  const from = base ? await forkPoint(repoPath, base, head) : null;
  const patch = await formatPatch(repoPath, from, head);
  return { patch, filename: `${task.branch.replace(/[^A-Za-z0-9._-]+/g, '-')}.patch` };
}
