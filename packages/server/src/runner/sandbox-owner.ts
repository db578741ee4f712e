/**
 * @module runner/sandbox-owner
 * Whose a sandbox is, by its labels: the runner that made it (`lucid.runner`) and, when it was
 * made for a task rather than for the warm pool, that task (`lucid.task`). Labels cannot change
 * once a sandbox is made, so a pooled sandbox names no task; which task took it is the task's
 * record on the server, kept with the run (and so the runner) that recorded it.
 */

/** The label naming the runner that made a sandbox. */
export const RUNNER_LABEL = 'lucid.runner';

/** The label naming the task a sandbox was made for (absent on a warm-pool sandbox). */
export const TASK_LABEL = 'lucid.task';

/**
 * True when the labels name the runner and, if they name a task, the task too.
 *
 * @example
 * ownedBy(sandbox.labels, { runnerId: 'rnr_a', taskId: 'task_b' }); // false for rnr_b's sandbox
 */
export function ownedBy(
  labels: Record<string, string>,
  { runnerId, taskId }: { runnerId: string; taskId: string },
): boolean {
  const task = labels[TASK_LABEL];
  return labels[RUNNER_LABEL] === runnerId && (task === undefined || task === taskId);
}
