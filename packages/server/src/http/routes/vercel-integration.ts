/**
 * @module http/routes/vercel-integration
 * Connecting Vercel under `/api/integrations/vercel`, beside the forges and Notion: by an access
 * token (the caller's own, or a workspace's by its admins; a team optional); the connections the
 * caller can use; disconnecting.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConnectVercelTokenBody, IdParams, VercelConnection, VercelStatus } from '@lucid/contracts';
import { connectVercel, disconnectVercel, vercelStatus } from '../../vercel/connections.ts';
import { principalOf } from '../authenticate.ts';
import { vercelContext, type AppDeps } from '../context.ts';

export const vercelIntegrationRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const ctx = vercelContext(deps);
    const tags = ['integrations'];

    app.get(
      '/vercel',
      {
        schema: {
          tags,
          summary:
            'The Vercel accounts you can use (your own connection and your workspaces’), never ' +
            'their tokens',
          response: { 200: VercelStatus },
        },
      },
      async (request) => vercelStatus(ctx, principalOf(request).userId),
    );

    app.post(
      '/vercel/token',
      {
        schema: {
          tags,
          summary:
            'Connect Vercel with an access token (checked with Vercel first; a team optional), ' +
            'for yourself or, as its admin, for a workspace',
          body: ConnectVercelTokenBody,
          response: { 200: VercelConnection },
        },
      },
      async (request) => connectVercel(ctx, { actor: principalOf(request), ...request.body }),
    );

    app.delete(
      '/vercel/connections/:id',
      {
        schema: {
          tags,
          summary: 'Disconnect a Vercel account; its token and repository links are forgotten',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await disconnectVercel(ctx, {
          actor: principalOf(request),
          connectionId: request.params.id,
        });
        return reply.status(204).send(null);
      },
    );
  };
