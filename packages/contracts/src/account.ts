/**
 * @module account
 * The signed-in user, their workspaces, and the audit trail of what was done.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.ts';
import { SignUpMode } from './invitations.ts';
import { PlanMode } from './plan.ts';

export const WorkspaceRole = z.enum(['owner', 'admin', 'member', 'viewer']);
export type WorkspaceRole = z.infer<typeof WorkspaceRole>;

export const Workspace = z
  .object({
    id: Id,
    name: z.string(),
    slug: z.string(),
    personal: z.boolean(),
    role: WorkspaceRole,
    /** The plan mode a new task of the workspace takes when it names none. */
    planMode: PlanMode,
  })
  .meta({ id: 'Workspace' });
export type Workspace = z.infer<typeof Workspace>;

export const Me = z
  .object({
    user: z.object({
      id: Id,
      name: z.string(),
      email: z.string(),
      image: z.string().nullable(),
    }),
    workspaces: z.array(Workspace),
    /** True for an instance admin: may scale the server's runner and remove runners. */
    instanceAdmin: z.boolean(),
  })
  .meta({ id: 'Me' });
export type Me = z.infer<typeof Me>;

export const AuditEntry = z
  .object({
    id: Id,
    workspaceId: Id.nullable(),
    actorUserId: Id.nullable(),
    actorTokenId: Id.nullable(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string().nullable(),
    ip: z.string().nullable(),
    at: Timestamp,
    metadata: z.record(z.string(), z.unknown()),
    actor: z
      .object({ id: Id, name: z.string(), email: z.string() })
      .nullable()
      .describe('Who acted, while their account exists.'),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  workspaceId: Id.optional().describe(
    'One workspace’s entries (for its owners and admins); by default your actions and those in workspaces you administer.',
  ),
  actor: z.string().max(200).optional().describe('A user id, or part of a name or email.'),
  action: z.string().max(100).optional().describe('An action, or its start (`task.`).'),
  from: z.string().optional().describe('The first day (`YYYY-MM-DD`, UTC) or instant (ISO 8601).'),
  to: z.string().optional().describe('The last day, included, or an instant (ISO 8601).'),
  cursor: z.string().max(200).optional().describe('The `nextCursor` of the page before.'),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditList = z.object({
  entries: z.array(AuditEntry).describe('Newest first.'),
  nextCursor: z.string().nullable().describe('Where the next page starts; null on the last page.'),
});
export type AuditList = z.infer<typeof AuditList>;

/** Which sign-in methods this server offers, and who may sign up, for the sign-in pages. */
export const AuthProviders = z.object({
  emailPassword: z.boolean(),
  social: z.array(z.enum(['github', 'google'])),
  signUp: SignUpMode.describe(
    'Who may create an account now: `open` also while the server has no account yet (the first is its admin).',
  ),
  firstAccount: z
    .boolean()
    .describe('True while the server has no account: the next sign-up creates its admin.'),
});
export type AuthProviders = z.infer<typeof AuthProviders>;
