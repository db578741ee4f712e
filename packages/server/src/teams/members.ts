/**
 * @module teams/members
 * A workspace's members: list them, change a role, remove one (or leave). A workspace always
 * keeps an owner: its last owner can neither leave nor be demoted.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { WorkspaceMember, WorkspaceRole } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { users, workspaceMembers } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../principal.ts';
import { requireRole } from '../workspaces/workspaces.ts';

/** The members of a workspace (any member may see them), oldest first. */
export async function listMembers(
  db: Db,
  { actor, workspaceId }: { actor: Principal; workspaceId: string },
): Promise<WorkspaceMember[]> {
  await requireRole(db, workspaceId, actor.userId, 'viewer');
  const rows = await db
    .select({
      userId: users.id,
      name: users.name,
      email: users.email,
      image: users.image,
      role: workspaceMembers.role,
      joinedAt: workspaceMembers.createdAt,
    })
    .from(workspaceMembers)
    .innerJoin(users, eq(users.id, workspaceMembers.userId))
    .where(eq(workspaceMembers.workspaceId, workspaceId))
    .orderBy(asc(workspaceMembers.createdAt), asc(users.id));
  return rows.map((row) => ({ ...row, joinedAt: row.joinedAt.toISOString() }));
}

/**
 * Locks the workspace's membership for the rest of the transaction and answers the member's
 * current role and how many owners there are.
 */
async function lockMembership(tx: Db, workspaceId: string, userId: string) {
  const rows = await tx
    .select({ userId: workspaceMembers.userId, role: workspaceMembers.role })
    .from(workspaceMembers)
    .where(eq(workspaceMembers.workspaceId, workspaceId))
    .for('update');
  const member = rows.find((row) => row.userId === userId);
  if (!member) {
    throw new AppError('not_found', 'This person is not a member of the workspace.');
  }
  return { role: member.role, owners: rows.filter((row) => row.role === 'owner').length };
}

function lastOwner(change: string): AppError {
  return new AppError(
    'last_owner',
    `The last owner of a workspace cannot ${change}: make another member an owner first.`,
  );
}

/**
 * Changes a member's role (admins; making, demoting or changing an owner needs an owner).
 *
 * @example
 * await changeMemberRole(db, { actor, workspaceId, userId, role: 'viewer' });
 */
export async function changeMemberRole(
  db: Db,
  {
    actor,
    workspaceId,
    userId,
    role,
  }: { actor: Principal; workspaceId: string; userId: string; role: WorkspaceRole },
): Promise<WorkspaceMember> {
  const actorRole = await requireRole(db, workspaceId, actor.userId, 'admin');
  await db.transaction(async (tx) => {
    const current = await lockMembership(tx, workspaceId, userId);
    if ((current.role === 'owner' || role === 'owner') && actorRole !== 'owner') {
      throw new AppError(
        'forbidden',
        `Making or changing an owner needs the owner role in the workspace; you are ${actorRole}.`,
      );
    }
    if (current.role === role) return;
    if (current.role === 'owner' && current.owners === 1) throw lastOwner('be demoted');
    await tx
      .update(workspaceMembers)
      .set({ role })
      .where(
        and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)),
      );
    await recordAudit(tx, {
      actor,
      action: 'workspace.member.role',
      targetType: 'user',
      targetId: userId,
      workspaceId,
      metadata: { from: current.role, to: role },
    });
  });
  const members = await listMembers(db, { actor, workspaceId });
  const changed = members.find((m) => m.userId === userId);
  if (!changed) throw new AppError('not_found', 'This person is not a member of the workspace.');
  return changed;
}

/**
 * Removes a member (admins; an owner only by an owner), or lets a member leave when `userId` is
 * the caller's own.
 */
export async function removeMember(
  db: Db,
  { actor, workspaceId, userId }: { actor: Principal; workspaceId: string; userId: string },
): Promise<void> {
  const leaving = userId === actor.userId;
  const actorRole = await requireRole(db, workspaceId, actor.userId, leaving ? 'viewer' : 'admin');
  await db.transaction(async (tx) => {
    const current = await lockMembership(tx, workspaceId, userId);
    if (!leaving && current.role === 'owner' && actorRole !== 'owner') {
      throw new AppError(
        'forbidden',
        `Removing an owner needs the owner role in the workspace; you are ${actorRole}.`,
      );
    }
    if (current.role === 'owner' && current.owners === 1) {
      throw lastOwner(leaving ? 'leave it' : 'be removed');
    }
    await tx
      .delete(workspaceMembers)
      .where(
        and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)),
      );
    await recordAudit(tx, {
      actor,
      action: leaving ? 'workspace.member.leave' : 'workspace.member.remove',
      targetType: 'user',
      targetId: userId,
      workspaceId,
      metadata: { role: current.role },
    });
  });
}
