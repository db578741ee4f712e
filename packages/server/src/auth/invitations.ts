/**
 * @module auth/invitations
 * Who may create an account: the first person always (they become the instance admin), then
 * anyone, only the holder of an admin's invitation, or nobody (`LUCID_SIGNUP`). An invitation is a
 * single-use link; only the SHA-256 hash of its token is stored, and it is used up atomically as the
 * account is created.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { CreatedInvitation, Invitation, InvitationStatus, SignUpMode } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { invitations, users } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../principal.ts';
import { addMember } from '../workspaces/workspaces.ts';
import { requireInstanceAdmin } from './instance-admin.ts';

/** What the invitation use cases need: the database, the server's address and sign-up mode. */
export interface InvitationContext {
  db: Db;
  publicUrl: string;
  signUp: SignUpMode;
}

type InvitationRow = typeof invitations.$inferSelect;

/** The SHA-256 of an invitation's token: all that is stored of it. */
export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Where an invitation stands: used, revoked, past its date, or waiting. */
export function invitationStatus(row: InvitationRow, now = new Date()): InvitationStatus {
  if (row.acceptedAt) return 'accepted';
  if (row.revokedAt) return 'revoked';
  return row.expiresAt <= now ? 'expired' : 'pending';
}

function toInvitation(row: InvitationRow): Invitation {
  return {
    id: row.id,
    email: row.email,
    status: invitationStatus(row),
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    acceptedAt: row.acceptedAt?.toISOString() ?? null,
    acceptedBy: row.acceptedBy,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** The sign-up page's link carrying an invitation's token. */
function invitationUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/sign-up?invitation=${encodeURIComponent(token)}`;
}

/**
 * Makes an invitation to the instance (instance admins only); its token and link are answered
 * once.
 *
 * @example
 * const { url } = await createInvitation(ctx, { actor, email: 'ann@example.com', expiresInDays: 7 });
 */
export async function createInvitation(
  ctx: InvitationContext,
  {
    actor,
    email,
    expiresInDays,
  }: { actor: Principal; email?: string | undefined; expiresInDays: number },
): Promise<CreatedInvitation> {
  await requireInstanceAdmin(ctx.db, actor.userId, 'make invitations');
  if (ctx.signUp === 'closed') {
    throw new AppError(
      'signup_closed',
      'Sign-up is closed on this server (LUCID_SIGNUP=closed), so an invitation could not be used.',
    );
  }
  const { row, token } = await storeInvitation(ctx.db, {
    prefix: 'lucid_inv_',
    actor,
    expiresInDays,
    values: { email: email ?? null },
    audit: (stored) => ({
      action: 'invitation.create',
      metadata: { email: stored.email, expiresAt: stored.expiresAt.toISOString() },
    }),
  });
  return { ...toInvitation(row), token, url: invitationUrl(ctx.publicUrl, token) };
}

/**
 * Stores a new invitation with a fresh token (`prefix` + 32 random bytes) of which only the hash
 * is kept, and its audit entry, in one transaction; the token is answered this once. The one way
 * invitations are made, to the instance and to a workspace.
 *
 * @example
 * const { row, token } = await storeInvitation(db, { prefix: 'lucid_join_', actor, expiresInDays: 7, values: { email, workspaceId, role }, audit: () => ({ action: 'workspace.invitation.create', workspaceId }) });
 */
export async function storeInvitation(
  db: Db,
  {
    prefix,
    actor,
    expiresInDays,
    values,
    audit,
  }: {
    prefix: string;
    actor: Principal;
    expiresInDays: number;
    values: Pick<typeof invitations.$inferInsert, 'email' | 'workspaceId' | 'role'>;
    audit: (row: InvitationRow) => {
      action: string;
      workspaceId?: string;
      metadata: Record<string, unknown>;
    };
  },
): Promise<{ row: InvitationRow; token: string }> {
  const token = prefix + randomBytes(32).toString('base64url');
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(invitations)
      .values({
        id: newId('inv'),
        tokenHash: hashInvitationToken(token),
        ...values,
        createdBy: actor.userId,
        expiresAt: sql`now() + make_interval(days => ${expiresInDays})`,
      })
      .returning();
    if (!row) throw new AppError('internal', 'The invitation was not stored.');
    await recordAudit(tx, { actor, targetType: 'invitation', targetId: row.id, ...audit(row) });
    return { row, token };
  });
}

/** The instance's invitations, newest first (instance admins only). */
export async function listInvitations(
  db: Db,
  { actor }: { actor: Principal },
): Promise<Invitation[]> {
  await requireInstanceAdmin(db, actor.userId, 'see invitations');
  const rows = await db
    .select()
    .from(invitations)
    .where(isNull(invitations.workspaceId))
    .orderBy(desc(invitations.createdAt), desc(invitations.id));
  return rows.map((row) => toInvitation(row));
}

/**
 * Revokes an invitation that has not been used (instance admins only): its link stops working at
 * once. Revoking it again changes nothing.
 */
export async function revokeInvitation(
  db: Db,
  { actor, invitationId }: { actor: Principal; invitationId: string },
): Promise<void> {
  await requireInstanceAdmin(db, actor.userId, 'revoke invitations');
  await db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(invitations)
      .where(and(eq(invitations.id, invitationId), isNull(invitations.workspaceId)))
      .for('update');
    if (!row) {
      throw new AppError('invitation_not_found', 'This invitation does not exist.');
    }
    if (row.acceptedAt) {
      throw new AppError(
        'conflict',
        'This invitation has been used already; it cannot be revoked.',
      );
    }
    if (row.revokedAt) return;
    await tx
      .update(invitations)
      .set({ revokedAt: sql`now()` })
      .where(eq(invitations.id, invitationId));
    await recordAudit(tx, {
      actor,
      action: 'invitation.revoke',
      targetType: 'invitation',
      targetId: invitationId,
      metadata: { email: row.email },
    });
  });
}

/** Whether the server has no account yet: the first to sign up needs no invitation. */
export async function noUserYet(db: Db): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).limit(1);
  return row === undefined;
}

/** Why an invitation that could not be used was refused, in words for its holder. */
function refusal(row: InvitationRow | undefined): string {
  const ask = 'ask the admin who invited you for a new one';
  if (!row) return `This invitation link is not valid; ${ask}.`;
  if (row.acceptedAt) return `This invitation has been used already; ${ask}.`;
  if (row.revokedAt) return `This invitation has been revoked; ${ask}.`;
  if (row.expiresAt <= new Date()) return `This invitation has expired; ${ask}.`;
  return 'This invitation is for another email address: sign up with the address it was sent to.';
}

/**
 * Decides whether a new account with `email` may be created, and uses up the invitation presented
 * with it (atomically: of two sign-ups with one invitation, one gets it). Answers the invitation
 * used, or null when none was needed; throws `signup_closed`, `invitation_required` or
 * `invitation_invalid` otherwise. A presented invitation must be valid in every mode.
 *
 * @example
 * const used = await admitSignUp(ctx, { email: 'ann@example.com', invitation: token });
 */
export async function admitSignUp(
  ctx: Pick<InvitationContext, 'db' | 'signUp'>,
  { email, invitation }: { email: string; invitation: string | undefined },
): Promise<{ invitationId: string } | null> {
  if (await noUserYet(ctx.db)) return null;
  if (ctx.signUp === 'closed') {
    throw new AppError(
      'signup_closed',
      'This server does not take new accounts; ask its admin if you need one.',
    );
  }
  if (invitation === undefined) {
    if (ctx.signUp === 'open') return null;
    throw new AppError(
      'invitation_required',
      'Sign-up on this server is by invitation: open the invitation link an admin sent you.',
    );
  }
  const tokenHash = hashInvitationToken(invitation);
  const [claimed] = await ctx.db
    .update(invitations)
    .set({ acceptedAt: sql`now()` })
    .where(
      and(
        eq(invitations.tokenHash, tokenHash),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, sql`now()`),
        or(isNull(invitations.email), sql`lower(${invitations.email}) = lower(${email})`),
      ),
    )
    .returning({ id: invitations.id });
  if (claimed) return { invitationId: claimed.id };
  const [row] = await ctx.db.select().from(invitations).where(eq(invitations.tokenHash, tokenHash));
  throw new AppError('invitation_invalid', refusal(row));
}

/**
 * Records who used an invitation, once their account exists; an invitation to a workspace also
 * makes them a member of it with its role.
 */
export async function recordInvitationAccepted(
  db: Db,
  { invitationId, userId, ip }: { invitationId: string; userId: string; ip: string | null },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(invitations)
      .set({ acceptedBy: userId })
      .where(eq(invitations.id, invitationId))
      .returning();
    if (row?.workspaceId && row.role) {
      await addMember(tx, { workspaceId: row.workspaceId, userId, role: row.role });
    }
    await recordAudit(tx, {
      actor: { userId, ip },
      action: row?.workspaceId ? 'workspace.invitation.accept' : 'invitation.accept',
      targetType: 'invitation',
      targetId: invitationId,
      workspaceId: row?.workspaceId ?? null,
      ...(row?.role && { metadata: { role: row.role } }),
    });
  });
}
