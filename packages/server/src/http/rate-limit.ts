/**
 * @module http/rate-limit
 * API requests per minute (`LUCID_RATE_LIMIT_PER_MINUTE`), counted per API token, else per signed-in
 * user, else per client address (behind a trusted proxy, the address it forwards). Over the limit
 * a request is answered 429 `rate_limited` with `Retry-After`. The count is kept in the database
 * (`rate-limit-store.ts`), so several Lucid processes on one PostgreSQL share it; PGlite counts the
 * same way. Only the `/api/v1` routes count: a
 * route with `config: { rateLimit: false }` (the runner API) is exempt, and git, the LLM gateway
 * and health are outside it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import type { Db } from '../db/client.ts';
import { AppError } from '../errors.ts';
import { databaseRateLimitStore } from './rate-limit-store.ts';

const WINDOW_MS = 60_000;

/** Who a request is counted for. */
function rateKey(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal?.tokenId) return `token:${principal.tokenId}`;
  if (principal) return `user:${principal.userId}`;
  return `ip:${request.ip}`;
}

/**
 * Limits the routes registered after it in `scope` to `perMinute` requests a minute per caller,
 * counted in `db`; 0 leaves them unlimited. Install it after the hook that resolves
 * `request.principal`.
 *
 * @example
 * await installRateLimit(api, config.rateLimitPerMinute, database.db);
 */
export async function installRateLimit(
  scope: FastifyInstance,
  perMinute: number,
  db: Db,
): Promise<void> {
  if (perMinute <= 0) return;
  await scope.register(fastifyRateLimit, {
    max: perMinute,
    timeWindow: WINDOW_MS,
    store: databaseRateLimitStore(db, WINDOW_MS),
    keyGenerator: rateKey,
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new AppError(
        'rate_limited',
        `Too many requests: at most ${context.max} a minute are allowed. Try again in ${seconds} s.`,
        undefined,
        seconds,
      );
    },
  });
}
