/**
 * @module http/routes/workspaces
 * Workspaces, their members and the invitations that let someone join one.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AcceptedWorkspaceInvitation,
  CreatedWorkspaceInvitation,
  CreateWorkspaceBody,
  CreateWorkspaceInvitationBody,
  IdParams,
  InvitationTokenParams,
  UpdateMemberBody,
  UpdateWorkspaceBody,
  Workspace,
  WorkspaceInvitationList,
  WorkspaceInvitationParams,
  WorkspaceList,
  WorkspaceMember,
  WorkspaceMemberList,
  WorkspaceMemberParams,
} from '@lucid/contracts';
import { listWorkspaces } from '../../workspaces/workspaces.ts';
import {
  createWorkspace,
  deleteWorkspace,
  getWorkspace,
  updateWorkspace,
} from '../../teams/workspaces.ts';
import { changeMemberRole, listMembers, removeMember } from '../../teams/members.ts';
import {
  acceptWorkspaceInvitation,
  inviteToWorkspace,
  listWorkspaceInvitations,
  revokeWorkspaceInvitation,
} from '../../teams/invitations.ts';
import { principalOf } from '../authenticate.ts';
import { repoContext, type AppDeps } from '../context.ts';

export const workspaceRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.database;
    const { gitRoot } = repoContext(deps);
    const tags = ['workspaces'];

    app.get(
      '/workspaces',
      {
        schema: {
          tags,
          summary: 'The workspaces you are a member of, with your role in each',
          response: { 200: WorkspaceList },
        },
      },
      async (request) => ({ workspaces: await listWorkspaces(db, principalOf(request).userId) }),
    );

    app.post(
      '/workspaces',
      {
        schema: {
          tags,
          summary: 'Create a team workspace; you are its owner',
          body: CreateWorkspaceBody,
          response: { 201: Workspace },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(
            await createWorkspace(db, { actor: principalOf(request), name: request.body.name }),
          ),
    );

    app.get(
      '/workspaces/:id',
      {
        schema: {
          tags,
          summary: 'One of your workspaces',
          params: IdParams,
          response: { 200: Workspace },
        },
      },
      async (request) =>
        getWorkspace(db, { actor: principalOf(request), workspaceId: request.params.id }),
    );

    app.patch(
      '/workspaces/:id',
      {
        schema: {
          tags,
          summary: 'Rename a workspace, or set the plan mode of its new tasks (admins)',
          params: IdParams,
          body: UpdateWorkspaceBody,
          response: { 200: Workspace },
        },
      },
      async (request) =>
        updateWorkspace(db, {
          actor: principalOf(request),
          workspaceId: request.params.id,
          ...request.body,
        }),
    );

    app.delete(
      '/workspaces/:id',
      {
        schema: {
          tags,
          summary: 'Delete a team workspace with its repositories and tasks (owners)',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deleteWorkspace(db, {
          actor: principalOf(request),
          workspaceId: request.params.id,
          gitRoot,
        });
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/workspaces/:id/members',
      {
        schema: {
          tags,
          summary: "A workspace's members and their roles",
          params: IdParams,
          response: { 200: WorkspaceMemberList },
        },
      },
      async (request) => ({
        members: await listMembers(db, {
          actor: principalOf(request),
          workspaceId: request.params.id,
        }),
      }),
    );

    app.patch(
      '/workspaces/:id/members/:userId',
      {
        schema: {
          tags,
          summary:
            "Change a member's role (admins; owners for an owner); a workspace keeps an owner",
          params: WorkspaceMemberParams,
          body: UpdateMemberBody,
          response: { 200: WorkspaceMember },
        },
      },
      async (request) =>
        changeMemberRole(db, {
          actor: principalOf(request),
          workspaceId: request.params.id,
          userId: request.params.userId,
          role: request.body.role,
        }),
    );

    app.delete(
      '/workspaces/:id/members/:userId',
      {
        schema: {
          tags,
          summary: 'Remove a member (admins), or leave when it is you; the last owner cannot leave',
          params: WorkspaceMemberParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await removeMember(db, {
          actor: principalOf(request),
          workspaceId: request.params.id,
          userId: request.params.userId,
        });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/workspaces/:id/invitations',
      {
        schema: {
          tags,
          summary: 'Invite an email address to join with a role (admins); the link is shown once',
          params: IdParams,
          body: CreateWorkspaceInvitationBody,
          response: { 201: CreatedWorkspaceInvitation },
        },
      },
      async (request, reply) =>
        reply.status(201).send(
          await inviteToWorkspace(db, {
            actor: principalOf(request),
            publicUrl: deps.config.publicUrl,
            workspaceId: request.params.id,
            ...request.body,
          }),
        ),
    );

    app.get(
      '/workspaces/:id/invitations',
      {
        schema: {
          tags,
          summary:
            "A workspace's invitations, newest first, with their status and who made them (admins)",
          params: IdParams,
          response: { 200: WorkspaceInvitationList },
        },
      },
      async (request) => ({
        invitations: await listWorkspaceInvitations(db, {
          actor: principalOf(request),
          workspaceId: request.params.id,
        }),
      }),
    );

    app.delete(
      '/workspaces/:id/invitations/:invitationId',
      {
        schema: {
          tags,
          summary: 'Revoke an unused invitation (admins): its link stops working at once',
          params: WorkspaceInvitationParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await revokeWorkspaceInvitation(db, {
          actor: principalOf(request),
          workspaceId: request.params.id,
          invitationId: request.params.invitationId,
        });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/workspace-invitations/:token/accept',
      {
        schema: {
          tags,
          summary: 'Accept an invitation to a workspace, as the invited address',
          params: InvitationTokenParams,
          response: { 200: AcceptedWorkspaceInvitation },
        },
      },
      async (request) =>
        acceptWorkspaceInvitation(db, {
          actor: principalOf(request),
          token: request.params.token,
        }),
    );
  };
