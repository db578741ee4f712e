/**
 * @module tasks/branch-name
 * The branch a task's work goes to: `lucid/<slug>-<short id>`, at most 50 characters of
 * `[a-z0-9-/]`. The slug is the small model's proposal (tasks/task-naming.ts) or, failing that,
 * the task's title made safe: the deterministic fallback.
 */

const MAX_LENGTH = 50;
export const BRANCH_PATTERN = /^[a-z0-9-/]+$/;

/**
 * @example
 * taskBranch('Fix the login page!', 'task_k3x9ab') // 'lucid/fix-the-login-page-k3x9ab'
 */
export function taskBranch(title: string, taskId: string): string {
  const short = taskId.replace(/^task_/, '').slice(0, 6);
  const room = MAX_LENGTH - 'lucid/'.length - short.length - 1;
  const slug =
    title
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, room)
      .replace(/-+$/, '') || 'task';
  return `lucid/${slug}-${short}`;
}

/**
 * The branch of attempt `n` of a best-of-N task on `branch`.
 *
 * @example
 * attemptBranch('lucid/fix-the-login-page-k3x9ab', 2) // 'lucid/fix-the-login-page-k3x9ab-a2'
 */
export function attemptBranch(branch: string, n: number): string {
  return `${branch}-a${n}`;
}
