/**
 * @module workspaces/owned-connections
 * The one way an integration's connection (Notion, Vercel) is owned: by a user, or by a Lucid
 * workspace when one of its admins connects it for everyone. Who sees a connection, which one a
 * request uses, how it is replaced and forgotten, and the audit entry of each, for any table with
 * `id`, `user_id`, `workspace_id` and `created_at`. Nothing here opens a sealed token.
 */
import { and, eq, inArray, isNotNull, or } from 'drizzle-orm';
import { recordAudit } from '../audit/audit.ts';
import type { Db } from '../db/client.ts';
import type { notionConnections, vercelConnections } from '../db/schema.ts';
import { workspaceMembers } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Principal } from '../principal.ts';
import { requireRole } from './workspaces.ts';

/** A table of owned connections. */
export type OwnedConnectionTable = typeof notionConnections | typeof vercelConnections;

/** What an integration says of itself to the functions below. */
export interface OwnedConnectionKind<T extends OwnedConnectionTable> {
  table: T;
  /** `notion`, `vercel`: the audit entries' provider and the ids' prefix. */
  provider: string;
  /** The error when the caller has no usable connection. */
  notConnected: () => AppError;
}

/**
 * The caller's own connection and those of the Lucid workspaces they belong to, oldest first.
 *
 * @example
 * await visibleConnections(db, { table: vercelConnections, … }, userId);
 */
export async function visibleConnections<T extends OwnedConnectionTable>(
  db: Db,
  kind: OwnedConnectionKind<T>,
  userId: string,
): Promise<T['$inferSelect'][]> {
  const table = kind.table as OwnedConnectionTable;
  const memberOf = db
    .select({ id: workspaceMembers.workspaceId })
    .from(workspaceMembers)
    .where(eq(workspaceMembers.userId, userId));
  const rows = await db
    .select()
    .from(table)
    .where(
      or(
        eq(table.userId, userId),
        and(isNotNull(table.workspaceId), inArray(table.workspaceId, memberOf)),
      ),
    )
    .orderBy(table.createdAt);
  return rows as T['$inferSelect'][];
}

/**
 * The connection a request uses: the one named (the caller's own, or one of a workspace they are
 * a member of), else the caller's own, else the first workspace connection they can use. Another
 * user's connection is not found, as if it did not exist.
 */
export async function connectionFor<T extends OwnedConnectionTable>(
  db: Db,
  kind: OwnedConnectionKind<T>,
  userId: string,
  connectionId?: string | undefined,
): Promise<T['$inferSelect']> {
  if (!connectionId) {
    const rows = await visibleConnections(db, kind, userId);
    const chosen = rows.find((row) => row.userId === userId) ?? rows[0];
    if (!chosen) throw kind.notConnected();
    return chosen;
  }
  const table = kind.table as OwnedConnectionTable;
  const [row] = await db.select().from(table).where(eq(table.id, connectionId));
  if (!row) throw kind.notConnected();
  if (row.userId === userId) return row as T['$inferSelect'];
  if (row.workspaceId) {
    await requireRole(db, row.workspaceId, userId, 'member');
    return row as T['$inferSelect'];
  }
  throw kind.notConnected();
}

/**
 * Stores a connection for the actor, or for a workspace (the actor must be one of its admins:
 * check it before calling Notion or Vercel), replacing the owner's earlier one in place so what
 * hangs off it stays; audited with `metadata`, never the token.
 */
export async function storeConnection<T extends OwnedConnectionTable>(
  db: Db,
  kind: OwnedConnectionKind<T>,
  {
    actor,
    workspaceId,
    values,
    metadata,
  }: {
    actor: Principal;
    workspaceId?: string | undefined;
    values: Omit<T['$inferInsert'], 'id' | 'userId' | 'workspaceId' | 'createdAt' | 'updatedAt'>;
    metadata: Record<string, unknown>;
  },
): Promise<T['$inferSelect']> {
  const table = kind.table as OwnedConnectionTable;
  const owner = workspaceId ? eq(table.workspaceId, workspaceId) : eq(table.userId, actor.userId);
  return db.transaction(async (tx) => {
    const [earlier] = await tx.select().from(table).where(owner).for('update');
    const [row] = earlier
      ? await tx
          .update(table)
          .set({ ...values, updatedAt: new Date() })
          .where(eq(table.id, earlier.id))
          .returning()
      : await tx
          .insert(table)
          .values({
            ...(values as T['$inferInsert']),
            id: newId(kind.provider),
            userId: workspaceId ? null : actor.userId,
            workspaceId: workspaceId ?? null,
          })
          .returning();
    if (!row) throw new AppError('internal', `The ${kind.provider} connection was not stored.`);
    await recordAudit(tx, {
      actor,
      action: 'integration.connect',
      targetType: 'integration',
      targetId: row.id,
      ...(workspaceId ? { workspaceId } : {}),
      metadata: { provider: kind.provider, ...metadata },
    });
    return row as T['$inferSelect'];
  });
}

/**
 * Forgets a connection (and what the database deletes with it): the caller's own, or a
 * workspace's when the caller is one of its admins. Returns the row that was forgotten.
 */
export async function forgetConnection<T extends OwnedConnectionTable>(
  db: Db,
  kind: OwnedConnectionKind<T>,
  {
    actor,
    connectionId,
    metadata,
  }: {
    actor: Principal;
    connectionId: string;
    metadata: (row: T['$inferSelect']) => Record<string, unknown>;
  },
): Promise<T['$inferSelect']> {
  const row = await connectionFor(db, kind, actor.userId, connectionId);
  if (row.workspaceId) await requireRole(db, row.workspaceId, actor.userId, 'admin');
  const table = kind.table as OwnedConnectionTable;
  await db.transaction(async (tx) => {
    await tx.delete(table).where(eq(table.id, row.id));
    await recordAudit(tx, {
      actor,
      action: 'integration.disconnect',
      targetType: 'integration',
      targetId: row.id,
      ...(row.workspaceId ? { workspaceId: row.workspaceId } : {}),
      metadata: { provider: kind.provider, ...metadata(row) },
    });
  });
  return row;
}
