/**
 * @module http/routes/provider-keys
 * The user's own model provider keys: list (hints only), set (checked with the provider), remove;
 * and who configures each provider for the user's tasks.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ProviderKey,
  ProviderKeyList,
  ProviderParams,
  ProviderStatusList,
  PutProviderKeyBody,
} from '@lucid/contracts';
import {
  deleteProviderKey,
  listProviderKeys,
  providerStatuses,
  putProviderKey,
  type ProviderKeyContext,
} from '../../llm/provider-keys.ts';
import { principalOf } from '../authenticate.ts';
import type { AppDeps } from '../context.ts';

export const providerKeyRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const ctx: ProviderKeyContext = {
      db: deps.database.db,
      llm: deps.config.llm,
      encryptionKey: deps.config.encryptionKey,
    };
    const tags = ['settings'];

    app.get(
      '/settings/provider-keys',
      {
        schema: {
          tags,
          summary: 'List your own model provider keys (a hint of each, never the key)',
          response: { 200: ProviderKeyList },
        },
      },
      async (request) => ({ keys: await listProviderKeys(ctx.db, principalOf(request).userId) }),
    );

    app.get(
      '/settings/providers',
      {
        schema: {
          tags,
          summary:
            'Who configures each model provider for your tasks: your own key (used first), the server, or no one',
          response: { 200: ProviderStatusList },
        },
      },
      async (request) => ({
        providers: await providerStatuses(ctx, principalOf(request).userId),
      }),
    );

    app.put(
      '/settings/provider-keys/:provider',
      {
        schema: {
          tags,
          summary:
            'Set your own key for a provider, used for your tasks instead of the server’s; ' +
            'Anthropic and OpenAI keys are checked with the provider first',
          params: ProviderParams,
          body: PutProviderKeyBody,
          response: { 200: ProviderKey },
        },
      },
      async (request) =>
        putProviderKey(ctx, {
          actor: principalOf(request),
          provider: request.params.provider,
          apiKey: request.body.apiKey,
          baseUrl: request.body.baseUrl,
        }),
    );

    app.delete(
      '/settings/provider-keys/:provider',
      {
        schema: {
          tags,
          summary: 'Remove your own key for a provider; your tasks use the server’s again',
          params: ProviderParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deleteProviderKey(ctx.db, {
          actor: principalOf(request),
          provider: request.params.provider,
        });
        return reply.status(204).send(null);
      },
    );
  };
