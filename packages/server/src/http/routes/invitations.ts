/**
 * @module http/routes/invitations
 * Invitations to the instance, for instance admins: make one (its link is shown once), list them,
 * revoke one.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CreateInvitationBody,
  CreatedInvitation,
  IdParams,
  InvitationList,
} from '@lucid/contracts';
import { createInvitation, listInvitations, revokeInvitation } from '../../auth/invitations.ts';
import { principalOf } from '../authenticate.ts';
import type { AppDeps } from '../context.ts';

export const invitationRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.database;
    const tags = ['invitations'];

    app.post(
      '/invitations',
      {
        schema: {
          tags,
          summary:
            'Make a single-use sign-up link, optionally bound to one email address (instance admins)',
          body: CreateInvitationBody,
          response: { 201: CreatedInvitation },
        },
      },
      async (request, reply) => {
        const invitation = await createInvitation(
          { db, publicUrl: deps.config.publicUrl, signUp: deps.config.signUp },
          { actor: principalOf(request), ...request.body },
        );
        return reply.status(201).send(invitation);
      },
    );

    app.get(
      '/invitations',
      {
        schema: {
          tags,
          summary: 'The invitations made, newest first, with their status (instance admins)',
          response: { 200: InvitationList },
        },
      },
      async (request) => ({
        invitations: await listInvitations(db, { actor: principalOf(request) }),
      }),
    );

    app.delete(
      '/invitations/:id',
      {
        schema: {
          tags,
          summary: 'Revoke an unused invitation; its link stops working at once (instance admins)',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await revokeInvitation(db, {
          actor: principalOf(request),
          invitationId: request.params.id,
        });
        return reply.status(204).send(null);
      },
    );
  };
