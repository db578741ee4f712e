/**
 * @module http/routes/quotas
 * A workspace's quotas: read by its members, changed by its owner.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IdParams, UpdateWorkspaceQuotas, WorkspaceQuotas } from '@lucid/contracts';
import { recordAudit } from '../../audit/audit.ts';
import { getWorkspaceQuotas, updateWorkspaceQuotas } from '../../workspaces/quotas.ts';
import { principalOf } from '../authenticate.ts';
import type { AppDeps } from '../context.ts';

export const quotaRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.database;
    const defaults = deps.config.workspaceQuotas;
    const tags = ['workspaces'];

    app.get(
      '/workspaces/:id/quotas',
      {
        schema: {
          tags,
          summary:
            "The workspace's quotas (tasks a day, runs at once, monthly model budget) and what it used of them (members)",
          params: IdParams,
          response: { 200: WorkspaceQuotas },
        },
      },
      async (request) =>
        getWorkspaceQuotas(db, {
          userId: principalOf(request).userId,
          workspaceId: request.params.id,
          defaults,
        }),
    );

    app.patch(
      '/workspaces/:id/quotas',
      {
        schema: {
          tags,
          summary:
            "Set the workspace's own quotas: a number is its limit (0: none), null the server's default (owner)",
          params: IdParams,
          body: UpdateWorkspaceQuotas,
          response: { 200: WorkspaceQuotas },
        },
      },
      async (request) => {
        const actor = principalOf(request);
        return updateWorkspaceQuotas(db, {
          userId: actor.userId,
          workspaceId: request.params.id,
          defaults,
          change: request.body,
          audit: (tx, change) =>
            recordAudit(tx, {
              actor,
              action: 'workspace.quotas',
              targetType: 'workspace',
              targetId: request.params.id,
              workspaceId: request.params.id,
              metadata: change,
            }),
        });
      },
    );
  };
