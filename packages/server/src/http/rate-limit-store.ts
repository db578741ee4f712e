/**
 * @module http/rate-limit-store
 * The count behind the API's rate limit, kept in the database (`rate_limit_counts`) so that every
 * Lucid process on one database counts each caller in the same place: behind a load balancer a
 * caller has one limit, not one per process. Windows are fixed, on the database's clock; each
 * request is one upsert answering the new count and the time left in its window, and a process
 * sweeps the rows of windows gone by as a new window begins.
 */
import { lt, sql } from 'drizzle-orm';
import type fastifyRateLimit from '@fastify/rate-limit';
import type { Db } from '../db/client.ts';
import { rateLimitCounts } from '../db/schema.ts';

type Store = fastifyRateLimit.FastifyRateLimitStore;
type StoreCtor = fastifyRateLimit.FastifyRateLimitStoreCtor;
type RouteOptions = Parameters<Store['child']>[0];

/** Milliseconds since the epoch on the database's clock, as SQL. */
const nowMs = sql`floor(extract(epoch from now()) * 1000)::bigint`;

/**
 * Counts one more request of `key` in the current window of `windowMs`; answers the count so far
 * in the window and the milliseconds left of it.
 *
 * @example
 * const { current, ttl } = await countRequest(db, 'user:usr_1', 60_000);
 */
export async function countRequest(
  db: Db,
  key: string,
  windowMs: number,
): Promise<{ current: number; ttl: number }> {
  const window = sql.raw(String(Math.max(1, Math.trunc(windowMs))));
  const [row] = await db
    .insert(rateLimitCounts)
    .values({ key, windowStart: sql`(${nowMs} / ${window}) * ${window}`, count: 1 })
    .onConflictDoUpdate({
      target: [rateLimitCounts.key, rateLimitCounts.windowStart],
      set: { count: sql`${rateLimitCounts.count} + 1` },
    })
    .returning({
      current: rateLimitCounts.count,
      ttl: sql<number>`${rateLimitCounts.windowStart} + ${window} - ${nowMs}`.mapWith(Number),
    });
  if (!row) throw new Error('The request count was not stored.');
  return { current: row.current, ttl: Math.max(0, row.ttl) };
}

/** Deletes the counts of windows that ended before the last one. */
async function sweep(db: Db, windowMs: number): Promise<void> {
  const window = sql.raw(String(Math.max(1, Math.trunc(windowMs))));
  await db
    .delete(rateLimitCounts)
    .where(lt(rateLimitCounts.windowStart, sql`${nowMs} - 2 * ${window}`));
}

/**
 * A store for `@fastify/rate-limit` counting in the database, with windows of `windowMs` unless
 * the plugin names its own.
 *
 * @example
 * await app.register(fastifyRateLimit, { max: 60, timeWindow: 60_000, store: databaseRateLimitStore(db, 60_000) });
 */
export function databaseRateLimitStore(db: Db, windowMs: number): StoreCtor {
  class DatabaseRateLimitStore implements Store {
    private sweptWindow = 0;

    constructor(
      _options: fastifyRateLimit.FastifyRateLimitOptions,
      private readonly scope = '',
    ) {}

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number = windowMs,
    ): void {
      const window = Math.floor(Date.now() / timeWindow);
      const swept = window === this.sweptWindow ? Promise.resolve() : sweep(db, timeWindow);
      this.sweptWindow = window;
      swept
        .then(() => countRequest(db, this.scope + key, timeWindow))
        .then(
          (result) => callback(null, result),
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
    }

    /** A route with its own limit counts apart, under its method and path. */
    child(options: RouteOptions): Store {
      const route = (options as { routeInfo?: { method?: unknown; url?: unknown } }).routeInfo;
      const scope = `${this.scope}${String(route?.method ?? '')} ${String(route?.url ?? '')}:`;
      return new DatabaseRateLimitStore({}, scope);
    }
  }
  return DatabaseRateLimitStore;
}
