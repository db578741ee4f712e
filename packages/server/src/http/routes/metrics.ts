/**
 * @module http/routes/metrics
 * `GET /metrics`: the server's metrics in Prometheus's text format, for a scraper holding the
 * bearer token `LUCID_METRICS_TOKEN`. Without that token configured the route answers 404, as if
 * it were not there: metrics are served only where an operator chose a token for them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../../errors.ts';
import type { AppDeps } from '../context.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Whether the `Authorization` header carries `token` as its bearer token. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}

export const metricsRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/metrics',
      {
        config: { public: true },
        schema: {
          tags: ['meta'],
          summary: 'Metrics in Prometheus text format',
          description:
            'Served only when LUCID_METRICS_TOKEN is set, to `Authorization: Bearer <that token>` ' +
            '(404 otherwise; 401 for a missing or wrong token).',
          response: { 200: z.string() },
        },
      },
      async (request, reply) => {
        const token = deps.config.metricsToken;
        if (!token) {
          throw new AppError(
            'not_found',
            'Metrics are not served here: set LUCID_METRICS_TOKEN on the server to turn them on.',
          );
        }
        if (!bearerMatches(request.headers.authorization, token)) {
          throw new AppError(
            'unauthorized',
            'Metrics need the bearer token set as LUCID_METRICS_TOKEN on the server.',
          );
        }
        const body = await deps.metrics.text();
        return reply.type(deps.metrics.contentType).send(body);
      },
    );
  };
