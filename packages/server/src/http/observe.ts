/**
 * @module http/observe
 * What each request leaves behind for operators: its answer's time in the HTTP latency histogram
 * (labelled by the route's pattern, method and status class, never the raw URL), and a log line
 * that names, besides Fastify's request id, the user and the workspace, repository, task and run
 * the request is about, where known, and the trace of the work it belongs to (`traceId`, from a W3C
 * `traceparent` header: a runner's calls about a traced run, an agent's model calls). Only ids are
 * bound (values shaped as Lucid's ids, a trace id of 32 hex digits), so no secret a request carries
 * reaches its log context.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { statusClass, type Metrics } from '../metrics/metrics.ts';
import { traceIdOf } from '../tracing/tracing.ts';

/** The log field an id's prefix names. */
const ID_FIELDS: Record<string, string> = {
  ws: 'workspaceId',
  repo: 'repoId',
  task: 'taskId',
  run: 'runId',
};
const ID = /^(ws|repo|task|run)_[a-z2-7]{20}$/;

/**
 * Adds `fields` to the request's log context: every later line of the request (its
 * `request completed` line included) carries them.
 *
 * @example
 * addLogContext(request, reply, { userId: principal.userId });
 */
export function addLogContext(
  request: FastifyRequest,
  reply: FastifyReply | undefined,
  fields: Record<string, string | null | undefined>,
): void {
  const bindings = Object.fromEntries(
    Object.entries(fields).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
  if (Object.keys(bindings).length === 0) return;
  request.log = request.log.child(bindings);
  if (reply) reply.log = request.log;
}

/** Whether `value` is a plain object (parsed JSON, a query, parameters), not a buffer or stream. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The ids among a request's path parameters, query and top-level body fields, by log field. */
function idsOf(request: FastifyRequest): Record<string, string> {
  const found: Record<string, string> = {};
  for (const source of [request.body, request.query, request.params]) {
    if (!isPlainObject(source)) continue;
    for (const value of Object.values(source)) {
      const match = typeof value === 'string' ? ID.exec(value) : null;
      if (match) found[ID_FIELDS[match[1]!]!] = value as string;
    }
  }
  return found;
}

/**
 * Binds the ids a request names to its log context, once its input is parsed and validated.
 * Install before the routes.
 */
export function installLogContext(app: FastifyInstance): void {
  app.addHook('preHandler', async (request, reply) => {
    const traceparent = request.headers.traceparent;
    addLogContext(request, reply, {
      ...idsOf(request),
      traceId: traceIdOf(typeof traceparent === 'string' ? traceparent : undefined),
    });
  });
}

/**
 * Observes every answer's time into `metrics.httpDuration`. A request no route matched counts
 * under the route `unmatched`. Install before the routes.
 */
export function installRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: statusClass(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}
