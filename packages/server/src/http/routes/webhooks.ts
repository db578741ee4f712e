/**
 * @module http/routes/webhooks
 * `POST /api/webhooks/github` and `POST /api/webhooks/gitlab`: forges' webhook deliveries. The
 * body is kept raw (a content-type parser for these routes only), since the signature is over its
 * exact bytes; the forge's secret, not a Lucid session, authenticates them.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WebhookAnswer, type ForgeProvider } from '@lucid/contracts';
import { handleWebhook } from '../../forges/webhooks.ts';
import { publishContext, type AppDeps } from '../context.ts';

export const webhookRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Here only: every body is kept as its bytes, which the signature is computed over.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) =>
      done(null, body),
    );
    const ctx = { ...publishContext(deps), llm: deps.config.llm };

    for (const provider of ['github', 'gitlab'] as const satisfies ForgeProvider[]) {
      app.post(
        `/api/webhooks/${provider}`,
        {
          config: { public: true },
          schema: {
            tags: ['webhooks'],
            summary: `A ${provider === 'github' ? 'GitHub' : 'GitLab'} webhook delivery (issues and issue comments by people who may write to the repository start tasks)`,
            response: { 200: WebhookAnswer, 201: WebhookAnswer, 202: WebhookAnswer },
          },
        },
        async (request, reply) => {
          const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          const answer = await handleWebhook(ctx, {
            provider,
            headers: request.headers,
            rawBody,
          });
          if (answer.status === 'created') deps.runner?.wake();
          const status = ({ created: 201, duplicate: 200, ignored: 202 } as const)[answer.status];
          return reply.status(status).send(answer);
        },
      );
    }
  };
