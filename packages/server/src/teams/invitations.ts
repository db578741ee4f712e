/**
 * @module teams/invitations
 * Invitations to join a workspace: an admin invites an email address with a role, and the link
 * (`<public URL>/join/<token>`) is answered once. Only the token's SHA-256 is stored (in the
 * `invitations` table, with the workspace and role); it is used once, by an account with that
 * address, before it expires. The same link lets its address sign up where sign-up is by
 * invitation (`auth/invitations.ts`). Its admins list the invitations made and revoke an unused
 * one, whose link then answers that it was revoked.
 */
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type {
  CreatedWorkspaceInvitation,
  InvitedRole,
  Workspace,
  WorkspaceInvitation,
} from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { invitations, users, workspaces } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../principal.ts';
import { addMember, requireRole, roleIn } from '../workspaces/workspaces.ts';
import { hashInvitationToken, invitationStatus, storeInvitation } from '../auth/invitations.ts';

/** The page of the web app that accepts a workspace invitation. */
export function joinUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/join/${encodeURIComponent(token)}`;
}

/**
 * Invites an email address to a team workspace with a role (admins). The token and link are
 * answered this once.
 *
 * @example
 * const { url } = await inviteToWorkspace(db, { actor, publicUrl, workspaceId, email, role: 'viewer', expiresInDays: 7 });
 */
export async function inviteToWorkspace(
  db: Db,
  {
    actor,
    publicUrl,
    workspaceId,
    email,
    role,
    expiresInDays,
  }: {
    actor: Principal;
    publicUrl: string;
    workspaceId: string;
    email: string;
    role: InvitedRole;
    expiresInDays: number;
  },
): Promise<CreatedWorkspaceInvitation> {
  await requireRole(db, workspaceId, actor.userId, 'admin');
  const [workspace] = await db.select().from(workspaces).where(eq(workspaces.id, workspaceId));
  if (workspace?.personal) {
    throw new AppError(
      'conflict',
      'A personal workspace is not shared; create a team workspace and invite people there.',
    );
  }
  const { row, token } = await storeInvitation(db, {
    prefix: 'lucid_join_',
    actor,
    expiresInDays,
    values: { email, workspaceId, role },
    audit: () => ({
      action: 'workspace.invitation.create',
      workspaceId,
      metadata: { email, role },
    }),
  });
  return {
    id: row.id,
    workspaceId,
    email,
    role,
    expiresAt: row.expiresAt.toISOString(),
    token,
    url: joinUrl(publicUrl, token),
  };
}

/**
 * A workspace's invitations, newest first, with their status and who made them (admins).
 *
 * @example
 * const pending = (await listWorkspaceInvitations(db, { actor, workspaceId })).filter((i) => i.status === 'pending');
 */
export async function listWorkspaceInvitations(
  db: Db,
  { actor, workspaceId }: { actor: Principal; workspaceId: string },
): Promise<WorkspaceInvitation[]> {
  await requireRole(db, workspaceId, actor.userId, 'admin');
  const rows = await db
    .select({ invitation: invitations, inviter: { id: users.id, name: users.name } })
    .from(invitations)
    .leftJoin(users, eq(users.id, invitations.createdBy))
    .where(eq(invitations.workspaceId, workspaceId))
    .orderBy(desc(invitations.createdAt), desc(invitations.id));
  return rows.map(({ invitation: row, inviter }) => ({
    id: row.id,
    email: row.email ?? '',
    role: row.role ?? 'member',
    status: invitationStatus(row),
    invitedBy: inviter,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    acceptedAt: row.acceptedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  }));
}

/**
 * Revokes an unused invitation to the workspace (admins): its link is refused from then on, saying
 * it was revoked. Revoking it again changes nothing; a used one is refused with `conflict`.
 *
 * @example
 * await revokeWorkspaceInvitation(db, { actor, workspaceId, invitationId });
 */
export async function revokeWorkspaceInvitation(
  db: Db,
  {
    actor,
    workspaceId,
    invitationId,
  }: { actor: Principal; workspaceId: string; invitationId: string },
): Promise<void> {
  await requireRole(db, workspaceId, actor.userId, 'admin');
  await db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(invitations)
      .where(and(eq(invitations.id, invitationId), eq(invitations.workspaceId, workspaceId)))
      .for('update');
    if (!row) {
      throw new AppError('invitation_not_found', 'This workspace has no such invitation.');
    }
    if (row.acceptedAt) {
      throw new AppError(
        'conflict',
        `The invitation for ${row.email ?? 'this address'} has been used already; remove the member instead.`,
      );
    }
    if (row.revokedAt) return;
    await tx
      .update(invitations)
      .set({ revokedAt: sql`now()` })
      .where(eq(invitations.id, invitationId));
    await recordAudit(tx, {
      actor,
      action: 'workspace.invitation.revoke',
      targetType: 'invitation',
      targetId: invitationId,
      workspaceId,
      metadata: { email: row.email, role: row.role },
    });
  });
}

/**
 * Accepts a workspace invitation for the signed-in caller, whose address must be the invited
 * one; answers the workspace joined. Refusals: `invitation_not_found`, `invitation_invalid`
 * (revoked), `invitation_used`, `invitation_expired`, `invitation_wrong_account`.
 *
 * @example
 * const { workspace } = await acceptWorkspaceInvitation(db, { actor, token });
 */
export async function acceptWorkspaceInvitation(
  db: Db,
  { actor, token }: { actor: Principal; token: string },
): Promise<{ workspace: Workspace }> {
  const tokenHash = hashInvitationToken(token);
  const [user] = await db.select().from(users).where(eq(users.id, actor.userId));
  if (!user) throw new AppError('unauthorized', 'Sign in to accept this invitation.');
  const joined = await db.transaction(async (tx) => {
    const [claimed] = await tx
      .update(invitations)
      .set({ acceptedAt: sql`now()`, acceptedBy: actor.userId })
      .where(
        and(
          eq(invitations.tokenHash, tokenHash),
          sql`${invitations.workspaceId} is not null`,
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          gt(invitations.expiresAt, sql`now()`),
          sql`lower(${invitations.email}) = lower(${user.email})`,
        ),
      )
      .returning();
    if (!claimed?.workspaceId || !claimed.role) return null;
    await addMember(tx, {
      workspaceId: claimed.workspaceId,
      userId: actor.userId,
      role: claimed.role,
    });
    await recordAudit(tx, {
      actor,
      action: 'workspace.invitation.accept',
      targetType: 'invitation',
      targetId: claimed.id,
      workspaceId: claimed.workspaceId,
      metadata: { role: claimed.role },
    });
    return claimed.workspaceId;
  });
  if (joined === null) throw await refusal(db, tokenHash, user.email);
  const [workspace] = await db.select().from(workspaces).where(eq(workspaces.id, joined));
  const role = await roleIn(db, joined, actor.userId);
  if (!workspace || !role) throw new AppError('not_found', 'This workspace no longer exists.');
  return {
    workspace: {
      id: workspace.id,
      name: workspace.name,
      slug: workspace.slug,
      personal: workspace.personal,
      role,
      planMode: workspace.planMode,
    },
  };
}

/** Why a workspace invitation could not be accepted, in words for its holder. */
async function refusal(db: Db, tokenHash: string, email: string): Promise<AppError> {
  const ask = 'ask whoever invited you for a new one';
  const [row] = await db.select().from(invitations).where(eq(invitations.tokenHash, tokenHash));
  if (!row?.workspaceId) {
    return new AppError('invitation_not_found', `This invitation link is not valid; ${ask}.`);
  }
  if (row.acceptedAt) {
    return new AppError('invitation_used', `This invitation has been used already; ${ask}.`);
  }
  if (row.revokedAt) {
    return new AppError('invitation_invalid', `This invitation has been revoked; ${ask}.`);
  }
  if (row.expiresAt <= new Date()) {
    return new AppError('invitation_expired', `This invitation has expired; ${ask}.`);
  }
  if (row.email?.toLowerCase() !== email.toLowerCase()) {
    return new AppError(
      'invitation_wrong_account',
      `This invitation is for another email address than ${email}, the one you are signed in with: sign in with the address it was sent to.`,
    );
  }
  return new AppError('invitation_invalid', `This invitation cannot be used; ${ask}.`);
}
