/**
 * @module invitations
 * How new people get an account: the server's sign-up mode, and the single-use invitation links an
 * instance admin makes.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.ts';

/**
 * Who may create an account once the first one (the instance admin) exists: anyone (`open`), only
 * someone with an invitation (`invite`), or nobody (`closed`).
 */
export const SignUpMode = z.enum(['open', 'invite', 'closed']);
export type SignUpMode = z.infer<typeof SignUpMode>;

export const CreateInvitationBody = z.object({
  email: z
    .email()
    .max(320)
    .optional()
    .describe('When given, only an account with this address can use the invitation.'),
  expiresInDays: z
    .number()
    .int()
    .min(1)
    .max(90)
    .default(7)
    .describe('How many days the invitation can be used for.'),
});
export type CreateInvitationBody = z.input<typeof CreateInvitationBody>;

export const InvitationStatus = z.enum(['pending', 'accepted', 'expired', 'revoked']);
export type InvitationStatus = z.infer<typeof InvitationStatus>;

/** An invitation as listed: its token is never shown again after creation. */
export const Invitation = z
  .object({
    id: Id,
    email: z.string().nullable(),
    status: InvitationStatus,
    createdBy: Id.nullable(),
    createdAt: Timestamp,
    expiresAt: Timestamp,
    acceptedAt: Timestamp.nullable(),
    acceptedBy: Id.nullable(),
    revokedAt: Timestamp.nullable(),
  })
  .meta({ id: 'Invitation' });
export type Invitation = z.infer<typeof Invitation>;

/** The answer to making an invitation: the only time its token and link are shown. */
export const CreatedInvitation = Invitation.extend({
  token: z.string().describe('The secret of the invitation. Shown once.'),
  url: z.string().describe('The sign-up link carrying the token, to send to the invitee.'),
}).meta({ id: 'CreatedInvitation' });
export type CreatedInvitation = z.infer<typeof CreatedInvitation>;

export const InvitationList = z.object({ invitations: z.array(Invitation) });
export type InvitationList = z.infer<typeof InvitationList>;
