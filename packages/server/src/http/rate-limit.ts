/**
 * @module http/rate-limit
 * API requests per minute (`LUCID_RATE_LIMIT_PER_MINUTE`), counted per API token, else per signed-in
 * user, else per client address (behind a trusted proxy, the address it forwards). Over the limit
 * a request is answered 429 `rate_limited` with `Retry-After`. Only the `/api/v1` routes count: a
 * route with `config: { rateLimit: false }` (the runner API) is exempt, and git, the LLM gateway
 * and health are outside it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import { AppError } from '../errors.ts';

/** Who a request is counted for. */
function rateKey(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal?.tokenId) return `token:${principal.tokenId}`;
  if (principal) return `user:${principal.userId}`;
  return `ip:${request.ip}`;
}

/**
 * Limits the routes registered after it in `scope` to `perMinute` requests a minute per caller; 0
 * leaves them unlimited. Install it after the hook that resolves `request.principal`.
 *
 * @example
 * await installRateLimit(api, config.rateLimitPerMinute);
 */
export async function installRateLimit(scope: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute <= 0) return;
  await scope.register(fastifyRateLimit, {
    max: perMinute,
    timeWindow: 60_000,
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
