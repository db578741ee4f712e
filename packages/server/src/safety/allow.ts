/**
 * @module safety/allow
 * Allowing findings of the secret scan once, as false positives: a member of the task's workspace
 * names them by fingerprint; the task records it (`safety.allowed`), the audit log too
 * (`safety.allow`), and the push is tried again. A later different secret is blocked again.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { events, users } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../principal.ts';
import { appendEvents } from '../tasks/events.ts';
import type { TaskRow } from '../tasks/runs.ts';
import { loadTask } from '../tasks/tasks.ts';

/** The findings of the task's last secret scan (fingerprint → file), and the run it checked. */
async function lastFindings(
  db: Db,
  taskId: string,
): Promise<{ found: Map<string, string>; runId: string | null }> {
  const [last] = await db
    .select({ payload: events.payload, runId: events.runId })
    .from(events)
    .where(
      and(
        eq(events.taskId, taskId),
        eq(events.type, 'safety.check'),
        sql`${events.payload}->>'check' = 'secrets'`,
      ),
    )
    .orderBy(desc(events.seq))
    .limit(1);
  const found = new Map<string, string>();
  const findings = last?.payload.findings;
  if (Array.isArray(findings)) {
    for (const f of findings as { fingerprint: string; file: string }[]) {
      found.set(f.fingerprint, f.file);
    }
  }
  return { found, runId: last?.runId ?? null };
}

/**
 * Allows `fingerprints` (findings of the task's last secret scan) once on the task (member
 * role), then calls `retry` in the same transaction to queue the push again. `bad_request` for
 * a fingerprint the last scan did not find.
 *
 * @example
 * await allowFindings(db, { actor, taskId, fingerprints, retry: (tx, push) => publishAgain(tx, push) });
 */
export async function allowFindings(
  db: Db,
  {
    actor,
    taskId,
    fingerprints,
    retry,
  }: {
    actor: Principal;
    taskId: string;
    fingerprints: string[];
    /** Queues the push of the run the scan checked again (`attempt` tells this retry apart). */
    retry: (
      tx: Db,
      push: { task: TaskRow; runId: string | null; attempt: number },
    ) => Promise<void>;
  },
): Promise<void> {
  const task = await loadTask(db, actor.userId, taskId, 'member');
  const { found, runId } = await lastFindings(db, task.id);
  const unknown = fingerprints.filter((f) => !found.has(f));
  if (unknown.length > 0) {
    throw new AppError(
      'bad_request',
      `The last secret scan of “${task.title}” found no such finding: scan again or pick one it lists.`,
    );
  }
  const [user] = await db
    .select({ name: users.name })
    .from(users)
    .where(eq(users.id, actor.userId));
  const unique = [...new Set(fingerprints)];
  await db.transaction(async (tx) => {
    const [stored] = await appendEvents(tx, {
      taskId: task.id,
      runId: null,
      events: [{ type: 'safety.allowed', fingerprints: unique, by: user?.name ?? 'a member' }],
    });
    await recordAudit(tx, {
      actor,
      action: 'safety.allow',
      targetType: 'task',
      targetId: task.id,
      workspaceId: task.workspaceId,
      metadata: { fingerprints: unique, files: [...new Set(unique.map((f) => found.get(f)))] },
    });
    await retry(tx, { task, runId, attempt: stored?.seq ?? 0 });
  });
}
