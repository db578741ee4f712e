/**
 * @module safety/before-push
 * The checks before a task's work leaves Lucid (its publish to the forge, a land), recorded on the
 * task: one `safety.check` event per check, passed or blocked. The findings a member allowed once
 * on the task (`safety.allowed`) pass; any other finding, or a breach of the workspace's policy,
 * blocks the push.
 */
import { and, eq } from 'drizzle-orm';
import type { SafetyCheck } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { events } from '../db/schema.ts';
import { countSafetyBlock } from '../metrics/safety-blocks.ts';
import { appendEvents } from '../tasks/events.ts';
import { safetyPolicyOf } from '../workspaces/safety-policy.ts';
import { runSafetyChecks } from './checks.ts';

/** The fingerprints of the findings allowed once on a task. */
export async function allowedFingerprints(db: Db, taskId: string): Promise<Set<string>> {
  const rows = await db
    .select({ payload: events.payload })
    .from(events)
    .where(and(eq(events.taskId, taskId), eq(events.type, 'safety.allowed')));
  const allowed = new Set<string>();
  for (const { payload } of rows) {
    const fingerprints = payload.fingerprints;
    if (Array.isArray(fingerprints)) {
      for (const f of fingerprints) if (typeof f === 'string') allowed.add(f);
    }
  }
  return allowed;
}

/** The checks run before a push, and the sentence saying why it is blocked (null: it may go). */
export interface BeforePush {
  checks: SafetyCheck[];
  blocked: string | null;
}

/**
 * Runs the checks on the change `headRef` makes since `baseRef` in the task's repository and
 * records each on the task (with `runId`). `blocked` is “Push blocked: …” with the first blocked
 * check's summary, or null.
 *
 * @example
 * const { blocked } = await checkBeforePush(db, { task, repoPath, baseRef: 'refs/heads/main', headRef: `refs/heads/${task.branch}`, runId, known });
 * if (blocked) throw new JobFailed(blocked);
 */
export async function checkBeforePush(
  db: Db,
  {
    task,
    repoPath,
    baseRef,
    headRef,
    runId,
    known,
  }: {
    task: { id: string; workspaceId: string };
    repoPath: string;
    baseRef: string;
    headRef: string;
    runId: string | null;
    /** Values Lucid knows are secret for this work: provider keys, forge tokens. */
    known: readonly string[];
  },
): Promise<BeforePush> {
  const checks = await runSafetyChecks({
    repoPath,
    baseRef,
    headRef,
    policy: await safetyPolicyOf(db, task.workspaceId),
    known,
    allowed: await allowedFingerprints(db, task.id),
  });
  await appendEvents(db, { taskId: task.id, runId, events: checks });
  for (const check of checks) if (check.result === 'blocked') countSafetyBlock(db, check.check);
  const first = checks.find((c) => c.result === 'blocked');
  return { checks, blocked: first ? `Push blocked: ${first.summary}` : null };
}
