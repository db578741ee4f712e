/**
 * @module http/routes/publish
 * Publishing to forges on request: land a branch on a repository's upstream, with its pull or
 * merge request. (A task whose push upstream was refused is retried by the board's
 * `POST /tasks/{id}/retry`, which hands it to `forges/rejected-push.ts`.)
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IdParams, LandBody, LandResult } from '@lucid/contracts';
import { landBranch } from '../../forges/land-branch.ts';
import { principalOf } from '../authenticate.ts';
import { publishContext, type AppDeps } from '../context.ts';

export const publishRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const ctx = publishContext(deps);

    app.post(
      '/repos/:id/land',
      {
        schema: {
          tags: ['repos'],
          summary:
            "Push a branch from Lucid to the repository's upstream on GitHub or GitLab, and with pr open its pull or merge request",
          params: IdParams,
          body: LandBody,
          response: { 200: LandResult },
        },
      },
      async (request) =>
        landBranch(ctx, {
          actor: principalOf(request),
          repoId: request.params.id,
          branch: request.body.branch,
          pr: request.body.pr,
        }),
    );
  };
