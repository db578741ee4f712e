/**
 * @module http/routes/vercel
 * Vercel under `/api/v1`: the projects a connection reaches, a repository's link to one, and a
 * task's deployments with the gate to production: promote (owners and admins), ask for a promotion
 * (members), roll back (owners and admins), and deploy a failed preview again.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  DeploymentList,
  DeploymentParams,
  IdParams,
  VercelConnectionQuery,
  VercelLinkAnswer,
  VercelLinkBody,
  VercelProjectList,
} from '@lucid/contracts';
import {
  listDeployments,
  promoteDeployment,
  redeployPreview,
  requestPromotion,
  rollBackDeployment,
} from '../../vercel/gate.ts';
import {
  linkVercelProject,
  listVercelProjects,
  unlinkVercelProject,
  vercelLinkOf,
} from '../../vercel/links.ts';
import { principalOf } from '../authenticate.ts';
import { vercelContext, type AppDeps } from '../context.ts';

const ProjectQuery = VercelConnectionQuery.extend({
  search: z.string().trim().max(100).optional(),
});

export const vercelRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const ctx = vercelContext(deps);
    const tags = ['vercel'];

    app.get(
      '/vercel/projects',
      {
        schema: {
          tags,
          summary: 'The Vercel projects a connection reaches (yours unless one is named)',
          querystring: ProjectQuery,
          response: { 200: VercelProjectList },
        },
      },
      async (request) => ({
        projects: await listVercelProjects(ctx, {
          userId: principalOf(request).userId,
          ...request.query,
        }),
      }),
    );

    app.get(
      '/repos/:id/vercel',
      {
        schema: {
          tags,
          summary: 'The Vercel project a repository’s previews are deployed to, if any',
          params: IdParams,
          response: { 200: VercelLinkAnswer },
        },
      },
      async (request) => ({ link: await vercelLinkOf(ctx, request.params.id) }),
    );

    app.put(
      '/repos/:id/vercel',
      {
        schema: {
          tags,
          summary:
            'Link a repository to a Vercel project (admins of its workspace): its tasks’ pull ' +
            'requests, or pushed branches, get preview deployments there',
          params: IdParams,
          body: VercelLinkBody,
          response: { 200: VercelLinkAnswer },
        },
      },
      async (request) => ({
        link: await linkVercelProject(ctx, {
          actor: principalOf(request),
          repoId: request.params.id,
          ...request.body,
        }),
      }),
    );

    app.delete(
      '/repos/:id/vercel',
      {
        schema: {
          tags,
          summary: 'Unlink a repository from its Vercel project (admins of its workspace)',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await unlinkVercelProject(ctx, { actor: principalOf(request), repoId: request.params.id });
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/tasks/:id/deployments',
      {
        schema: {
          tags,
          summary:
            'A task’s Vercel deployments, newest first: previews and production, with who asked ' +
            'and who approved',
          params: IdParams,
          response: { 200: DeploymentList },
        },
      },
      async (request) => listDeployments(ctx.db, request.params.id),
    );

    const gate = [
      {
        path: 'promote',
        summary:
          'Promote a ready preview to production (owners and admins of the task’s workspace); ' +
          'audited with who approved it',
        act: promoteDeployment,
      },
      {
        path: 'promote-request',
        summary:
          'Ask for a ready preview’s promotion to production (members); the task shows who asked',
        act: requestPromotion,
      },
      {
        path: 'rollback',
        summary:
          'Roll production back to the deployment that served it before (owners and admins), ' +
          'from the production deployment serving it now',
        act: rollBackDeployment,
      },
      {
        path: 'redeploy',
        summary: 'Deploy again the commit of a preview whose build failed',
        act: redeployPreview,
      },
    ] as const;
    for (const { path, summary, act } of gate) {
      app.post(
        `/tasks/:id/deployments/:deploymentId/${path}`,
        {
          schema: {
            tags,
            summary,
            params: DeploymentParams,
            response: { 200: DeploymentList },
          },
        },
        async (request) => {
          await act(ctx, {
            actor: principalOf(request),
            taskId: request.params.id,
            deploymentId: request.params.deploymentId,
          });
          return listDeployments(ctx.db, request.params.id);
        },
      );
    }
  };
