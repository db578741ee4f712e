/**
 * @module http/routes/webhooks
 * `POST /api/webhooks/{github,gitlab}/{repoId}`: forges' webhook deliveries, each to the address of
 * the one repository it is for. The body is kept raw (a content-type parser for these routes
 * only), since the signature is over its exact bytes; the repository's webhook secret, not a Lucid
 * session, authenticates them. The former per-forge addresses answer 410 saying where to go.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorBody, Id, WebhookAnswer, type ForgeProvider } from '@lucid/contracts';
import { AppError } from '../../errors.ts';
import { handleWebhook } from '../../forges/webhooks.ts';
import { publishContext, type AppDeps } from '../context.ts';

const RepoParams = z.object({ repoId: Id });

export const webhookRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Here only: every body is kept as its bytes, which the signature is computed over.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) =>
      done(null, body),
    );
    const ctx = {
      ...publishContext(deps),
      llm: deps.config.llm,
      quotas: deps.config.workspaceQuotas,
    };

    for (const provider of ['github', 'gitlab'] as const satisfies ForgeProvider[]) {
      const name = provider === 'github' ? 'GitHub' : 'GitLab';
      app.post(
        `/api/webhooks/${provider}/:repoId`,
        {
          config: { public: true },
          schema: {
            tags: ['webhooks'],
            summary: `A ${name} webhook delivery for one repository, signed with its own secret (issues and issue comments by people who may write to the repository start tasks; a merged pull or merge request marks its task done)`,
            params: RepoParams,
            response: { 200: WebhookAnswer, 201: WebhookAnswer, 202: WebhookAnswer },
          },
        },
        async (request, reply) => {
          const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          const answer = await handleWebhook(ctx, {
            provider,
            repoId: request.params.repoId,
            headers: request.headers,
            rawBody,
          });
          const status = ({ created: 201, updated: 200, duplicate: 200, ignored: 202 } as const)[
            answer.status
          ];
          return reply.status(status).send(answer);
        },
      );

      app.post(
        `/api/webhooks/${provider}`,
        {
          config: { public: true },
          schema: {
            tags: ['webhooks'],
            summary: `The former ${name} webhook address, shared by every repository: answers 410`,
            response: { 410: ErrorBody },
          },
        },
        async () => {
          throw new AppError(
            'gone',
            `This address takes no deliveries any more: each repository has its own webhook address and secret. Copy them from the repository's page in Lucid into this webhook's settings on ${name}.`,
          );
        },
      );
    }
  };
