/**
 * @module metrics/outbound
 * Calls to other services (GitHub, GitLab, Notion), counted by service and status class. Their
 * clients are built deep inside the domain from the server's settings for that service, so a
 * server says once which metrics count the calls made with its settings ({@link countCallsWith}),
 * and the clients fetch through {@link countedFetch}. Settings no server registered count nowhere.
 */
import { statusClass, type Metrics } from './metrics.ts';

/** The metrics of the server whose settings object it is. */
const bySettings = new WeakMap<object, Metrics>();

/** The services whose calls are counted. */
export type OutboundService = 'github' | 'gitlab' | 'notion';

/**
 * Counts, into `metrics`, the calls made with `settings` (the server's own settings object of a
 * service, as the configuration holds it).
 *
 * @example
 * countCallsWith(config.notion, metrics);
 */
export function countCallsWith(settings: object, metrics: Metrics): void {
  bySettings.set(settings, metrics);
}

/** Counts one call of `service` made with `settings`: its status, or `null` when none came. */
export function countCall(settings: object, service: OutboundService, status: number | null): void {
  const metrics = bySettings.get(settings);
  if (!metrics) return;
  const labels = { service, status: statusClass(status) };
  metrics.externalCalls.inc(labels);
  if (status === null || status === 429 || status >= 500) metrics.externalFailures.inc(labels);
}

/**
 * A fetch that counts each call of `service` made with `settings`.
 *
 * @example
 * new Client({ fetch: countedFetch('notion', config.notion) });
 */
export function countedFetch(
  service: OutboundService,
  settings: object,
  base: typeof fetch = fetch,
): typeof fetch {
  return async (input, init) => {
    try {
      const response = await base(input, init);
      countCall(settings, service, response.status);
      return response;
    } catch (error) {
      countCall(settings, service, null);
      throw error;
    }
  };
}
