/**
 * @module http/routes/models
 * What the caller's tasks can use: the models (by the server's providers and the caller's own
 * keys) and the agents this server offers.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AgentList, ModelList, WorkspaceScopeQuery } from '@lucid/contracts';
import { agentsOffered } from '../../agent/cli/index.ts';
import { modelsFor } from '../../llm/provider-keys.ts';
import { requireRole } from '../../workspaces/workspaces.ts';
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
            'The models your tasks can use (by the server’s providers and your own keys, and in a workspace its keys), and the default',
          querystring: WorkspaceScopeQuery,
          response: { 200: ModelList },
        },
      },
      async (request) => {
        const { userId } = principalOf(request);
        const workspaceId = request.query.workspaceId ?? null;
        if (workspaceId) await requireRole(deps.database.db, workspaceId, userId, 'viewer');
        return {
          models: await modelsFor(
            {
              db: deps.database.db,
              llm: deps.config.llm,
              encryptionKey: deps.config.encryptionKey,
            },
            { userId, workspaceId },
          ),
        };
      },
    );

    app.get(
      '/agents',
      {
        schema: {
          tags: ['models'],
          summary:
            'The agents tasks may ask for on this server (the built-in one and the enabled CLI agents), with the model providers each speaks',
          response: { 200: AgentList },
        },
      },
      async () => ({ agents: agentsOffered(deps.config.agent.cli) }),
    );
  };
