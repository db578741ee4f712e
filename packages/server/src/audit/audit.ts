/**
 * @module audit/audit
 * The audit trail: one row for every state change, naming the actor, the action and the target.
 */
import { and, desc, eq, inArray, or } from 'drizzle-orm';
import type { AuditEntry } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { auditLog, workspaceMembers } from '../db/schema.ts';
import { newId } from '../ids.ts';
import type { Principal } from '../principal.ts';

export interface AuditRecord {
  actor: Principal | { userId: string | null; tokenId?: null; ip: string | null };
  action: string;
  targetType: string;
  targetId?: string | null;
  workspaceId?: string | null;
  metadata?: Record<string, unknown>;
}

/**
 * Appends one entry. Pass the transaction of the change itself so both land or neither does.
 *
 * @example
 * await recordAudit(tx, { actor, action: 'repo.create', targetType: 'repo', targetId: repo.id });
 */
export async function recordAudit(db: Db, record: AuditRecord): Promise<void> {
  await db.insert(auditLog).values({
    id: newId('aud'),
    workspaceId: record.workspaceId ?? null,
    actorUserId: record.actor.userId,
    actorTokenId: record.actor.tokenId ?? null,
    action: record.action,
    targetType: record.targetType,
    targetId: record.targetId ?? null,
    ip: record.actor.ip,
    metadata: record.metadata ?? {},
  });
}

/** The entries a user may read: their own actions and those in workspaces they administer. */
export async function listAudit(
  db: Db,
  options: { userId: string; limit: number },
): Promise<AuditEntry[]> {
  const administered = db
    .select({ id: workspaceMembers.workspaceId })
    .from(workspaceMembers)
    .where(
      and(
        eq(workspaceMembers.userId, options.userId),
        inArray(workspaceMembers.role, ['owner', 'admin']),
      ),
    );
  const rows = await db
    .select()
    .from(auditLog)
    .where(
      or(eq(auditLog.actorUserId, options.userId), inArray(auditLog.workspaceId, administered)),
    )
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(options.limit);
  return rows.map((row) => ({ ...row, at: row.at.toISOString() }));
}
