/**
 * @module workspaces
 * Team workspaces: making, renaming and deleting them, their members and roles, and the
 * single-use links that invite someone to join one.
 */
import { z } from 'zod';
import { Workspace, WorkspaceRole } from './account.ts';
import { Id, Timestamp } from './common.ts';
import { InvitationStatus } from './invitations.ts';
import { PlanMode } from './plan.ts';

export const WorkspaceName = z.string().trim().min(1).max(100);

export const CreateWorkspaceBody = z.object({ name: WorkspaceName });
export type CreateWorkspaceBody = z.infer<typeof CreateWorkspaceBody>;

export const UpdateWorkspaceBody = z
  .object({
    name: WorkspaceName.optional(),
    planMode: PlanMode.optional().describe(
      'The plan mode of new tasks that name none: review, auto or off.',
    ),
  })
  .refine((body) => body.name !== undefined || body.planMode !== undefined, {
    message: 'Give a name or a plan mode to change.',
  });
export type UpdateWorkspaceBody = z.infer<typeof UpdateWorkspaceBody>;

export const WorkspaceList = z.object({ workspaces: z.array(Workspace) });
export type WorkspaceList = z.infer<typeof WorkspaceList>;

/** A member of a workspace, with their role. */
export const WorkspaceMember = z
  .object({
    userId: Id,
    name: z.string(),
    email: z.string(),
    image: z.string().nullable(),
    role: WorkspaceRole,
    joinedAt: Timestamp,
  })
  .meta({ id: 'WorkspaceMember' });
export type WorkspaceMember = z.infer<typeof WorkspaceMember>;

export const WorkspaceMemberList = z.object({ members: z.array(WorkspaceMember) });
export type WorkspaceMemberList = z.infer<typeof WorkspaceMemberList>;

export const WorkspaceMemberParams = z.object({ id: Id, userId: Id });

export const UpdateMemberBody = z.object({ role: WorkspaceRole });
export type UpdateMemberBody = z.infer<typeof UpdateMemberBody>;

/** The roles an invitation may give; owners are made by an owner among members. */
export const InvitedRole = z.enum(['admin', 'member', 'viewer']);
export type InvitedRole = z.infer<typeof InvitedRole>;

export const CreateWorkspaceInvitationBody = z.object({
  email: z.email().max(320).describe('Only an account with this address can accept it.'),
  role: InvitedRole.default('member'),
  expiresInDays: z.number().int().min(1).max(90).default(7),
});
export type CreateWorkspaceInvitationBody = z.input<typeof CreateWorkspaceInvitationBody>;

/** The answer to inviting someone: the only time the token and its link are shown. */
export const CreatedWorkspaceInvitation = z
  .object({
    id: Id,
    workspaceId: Id,
    email: z.string(),
    role: InvitedRole,
    expiresAt: Timestamp,
    token: z.string().describe('The secret of the invitation. Shown once.'),
    url: z.string().describe('The link to send: it joins, or signs up and joins.'),
  })
  .meta({ id: 'CreatedWorkspaceInvitation' });
export type CreatedWorkspaceInvitation = z.infer<typeof CreatedWorkspaceInvitation>;

/** An invitation to a workspace as its admins see it: never its token or link. */
export const WorkspaceInvitation = z
  .object({
    id: Id,
    email: z.string(),
    role: WorkspaceRole,
    status: InvitationStatus,
    invitedBy: z
      .object({ id: Id, name: z.string() })
      .nullable()
      .describe('Who made it; null once their account is deleted.'),
    createdAt: Timestamp,
    expiresAt: Timestamp,
    acceptedAt: Timestamp.nullable(),
    revokedAt: Timestamp.nullable(),
  })
  .meta({ id: 'WorkspaceInvitation' });
export type WorkspaceInvitation = z.infer<typeof WorkspaceInvitation>;

export const WorkspaceInvitationList = z.object({ invitations: z.array(WorkspaceInvitation) });
export type WorkspaceInvitationList = z.infer<typeof WorkspaceInvitationList>;

export const WorkspaceInvitationParams = z.object({ id: Id, invitationId: Id });

export const InvitationTokenParams = z.object({ token: z.string().min(1).max(200) });

export const AcceptedWorkspaceInvitation = z.object({ workspace: Workspace });
export type AcceptedWorkspaceInvitation = z.infer<typeof AcceptedWorkspaceInvitation>;

export const MoveRepoBody = z.object({ workspaceId: Id });
export type MoveRepoBody = z.infer<typeof MoveRepoBody>;

/** Lists can be narrowed to one workspace (the web app's active one). */
export const WorkspaceScopeQuery = z.object({
  workspaceId: Id.optional().describe('Only what belongs to this workspace.'),
});
