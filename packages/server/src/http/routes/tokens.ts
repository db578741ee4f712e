/**
 * @module http/routes/tokens
 * Personal API tokens: create (the secret is shown once), list, revoke.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiTokenList, CreateTokenBody, CreatedApiToken, IdParams } from '@lucid/contracts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../auth/api-tokens.ts';
import { principalOf } from '../authenticate.ts';
import type { AppDeps } from '../context.ts';

export const tokenRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.database;

    app.post(
      '/tokens',
      {
        schema: {
          tags: ['tokens'],
          summary: 'Create an API token',
          body: CreateTokenBody,
          response: { 201: CreatedApiToken },
        },
      },
      async (request, reply) => {
        const token = await createApiToken(db, {
          actor: principalOf(request),
          name: request.body.name,
        });
        return reply.status(201).send(token);
      },
    );

    app.get(
      '/tokens',
      {
        schema: {
          tags: ['tokens'],
          summary: 'List your API tokens',
          response: { 200: ApiTokenList },
        },
      },
      async (request) => ({ tokens: await listApiTokens(db, principalOf(request).userId) }),
    );

    app.delete(
      '/tokens/:id',
      {
        schema: {
          tags: ['tokens'],
          summary: 'Revoke an API token; it stops working at once',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await revokeApiToken(db, { actor: principalOf(request), tokenId: request.params.id });
        return reply.status(204).send(null);
      },
    );
  };
