/**
 * @module audit/audit
 * The audit trail: one row for every state change, naming the actor, the action and the target.
 */
import { and, desc, eq, gte, ilike, inArray, like, lt, or, sql, type SQL } from 'drizzle-orm';
import type { AuditEntry } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { auditLog, users, workspaceMembers } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Principal } from '../principal.ts';
import { parseRange } from './date-range.ts';

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

/** What to list: one workspace's entries, or (none given) the user's own and those of workspaces they administer. */
export interface AuditFilter {
  userId: string;
  limit: number;
  workspaceId?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
}

/**
 * One page of audit entries, newest first, naming their actors. The caller checks that the user
 * may read `workspaceId`'s entries (owners and admins).
 *
 * @example
 * const { entries, nextCursor } = await listAudit(db, { userId, limit: 50, action: 'task.' });
 */
export async function listAudit(
  db: Db,
  filter: AuditFilter,
): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
  const where: SQL[] = [];
  if (filter.workspaceId) {
    where.push(eq(auditLog.workspaceId, filter.workspaceId));
  } else {
    const administered = db
      .select({ id: workspaceMembers.workspaceId })
      .from(workspaceMembers)
      .where(
        and(
          eq(workspaceMembers.userId, filter.userId),
          inArray(workspaceMembers.role, ['owner', 'admin']),
        ),
      );
    where.push(
      or(eq(auditLog.actorUserId, filter.userId), inArray(auditLog.workspaceId, administered))!,
    );
  }
  if (filter.actor) {
    const like = `%${escapeLike(filter.actor)}%`;
    where.push(
      or(
        eq(auditLog.actorUserId, filter.actor),
        inArray(
          auditLog.actorUserId,
          db
            .select({ id: users.id })
            .from(users)
            .where(or(ilike(users.email, like), ilike(users.name, like))),
        ),
      )!,
    );
  }
  if (filter.action) where.push(like(auditLog.action, `${escapeLike(filter.action)}%`));
  const { from, to } = parseRange(filter);
  if (from) where.push(gte(auditLog.at, from));
  if (to) where.push(lt(auditLog.at, to));
  if (filter.cursor) where.push(await afterCursor(db, filter.cursor));

  const rows = await db
    .select({ entry: auditLog, name: users.name, email: users.email })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.actorUserId))
    .where(and(...where))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    entries: page.map(({ entry, name, email }) => ({
      ...entry,
      at: entry.at.toISOString(),
      actor:
        entry.actorUserId && email !== null
          ? { id: entry.actorUserId, name: name ?? '', email }
          : null,
    })),
    nextCursor:
      rows.length > filter.limit && last ? Buffer.from(last.entry.id).toString('base64url') : null,
  };
}

/** Entries older than the one a cursor names (its id), compared at the database's precision. */
async function afterCursor(db: Db, cursor: string): Promise<SQL> {
  const id = Buffer.from(cursor, 'base64url').toString();
  const [row] = await db.select({ id: auditLog.id }).from(auditLog).where(eq(auditLog.id, id));
  if (!row)
    throw new AppError('invalid_cursor', 'This page link is not valid: start from the first page.');
  return sql`(${auditLog.at}, ${auditLog.id}) < (select a.at, a.id from audit_log a where a.id = ${id})`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
