/**
 * @module http/routes/models
 * The models the built-in agent can use for the caller's tasks: by the server's providers and
 * the caller's own keys.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ModelList } from '@lucid/contracts';
import { modelsFor } from '../../llm/provider-keys.ts';
import { principalOf } from '../authenticate.ts';
import type { AppDeps } from '../context.ts';

export const modelRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/models',
      {
        schema: {
          tags: ['models'],
          summary:
            'The models your tasks can use (by the server’s providers and your own keys), and the default',
          response: { 200: ModelList },
        },
      },
      async (request) => ({
        models: await modelsFor(
          {
            db: deps.database.db,
            llm: deps.config.llm,
            encryptionKey: deps.config.encryptionKey,
          },
          principalOf(request).userId,
        ),
      }),
    );
  };
