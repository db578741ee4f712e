/**
 * @module http/routes/models
 * The models the built-in agent can use on this server.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ModelList } from '@lucid/contracts';
import { listModels } from '../../llm/models.ts';
import type { AppDeps } from '../context.ts';

export const modelRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/models',
      {
        schema: {
          tags: ['models'],
          summary: 'The models tasks can use (by the providers configured), and the default',
          response: { 200: ModelList },
        },
      },
      () => ({ models: listModels(deps.config.llm) }),
    );
  };
