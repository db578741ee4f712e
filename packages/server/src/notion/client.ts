/**
 * @module notion/client
 * The one way Lucid talks to Notion: the official client, given the configured base URL and
 * `Notion-Version`, over a fetch that paces each token to about three requests a second and
 * retries a 429 (after its `Retry-After`) and a 5xx (with backoff); a request that creates
 * something (a comment) is not sent again after a 5xx, which Notion may have answered after doing
 * it: its caller decides. Notion's failures become
 * AppErrors here, in Notion's words where they help a person. The token never reaches a log.
 */
import { createHash } from 'node:crypto';
import { APIResponseError, Client, isNotionClientError, LogLevel } from '@notionhq/client';
import type { NotionConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { countedFetch } from '../metrics/outbound.ts';

/** One request per token this often at most: Notion allows about three a second. */
const MIN_INTERVAL_MS = 334;
/** Retries of a 429 or a 5xx before the failure is answered. */
const MAX_RETRIES = 3;
/** The backoff of a 5xx (doubled each time) and the longest wait a `Retry-After` may ask. */
const BACKOFF_MS = 500;
const MAX_WAIT_MS = 30_000;

/** When each token (by its hash) may next send a request. */
const nextSlot = new Map<string, number>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function takeSlot(key: string): Promise<void> {
  const now = Date.now();
  const at = Math.max(now, nextSlot.get(key) ?? 0);
  nextSlot.set(key, at + MIN_INTERVAL_MS);
  if (nextSlot.size > 10_000) {
    for (const [k, t] of nextSlot) if (t < now) nextSlot.delete(k);
  }
  if (at > now) await sleep(at - now);
}

/** How long a 429 asks to wait: its `Retry-After` in seconds (or as a date), else the backoff. */
function retryAfterMs(response: Response, attempt: number): number {
  const header = response.headers.get('retry-after');
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.min(seconds * 1000, MAX_WAIT_MS);
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.min(Math.max(date - Date.now(), 0), MAX_WAIT_MS);
  }
  return BACKOFF_MS * 2 ** attempt;
}

/** True for a request that creates something: a POST other than a search or a query. */
function creates(input: Parameters<typeof fetch>[0], init: RequestInit | undefined): boolean {
  if ((init?.method ?? 'GET').toUpperCase() !== 'POST') return false;
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return !/\/(search|query)(\?|$)/.test(url);
}

/** A fetch paced per credential and retrying what Notion asks to retry. */
function pacedFetch(credential: string, base: typeof fetch): typeof fetch {
  const key = createHash('sha256').update(credential).digest('hex');
  return async (input, init) => {
    const once = creates(input, init);
    for (let attempt = 0; ; attempt++) {
      await takeSlot(key);
      const response = await base(input, init);
      const retryable = response.status === 429 || (response.status >= 500 && !once);
      if (!retryable || attempt >= MAX_RETRIES) return response;
      await response.arrayBuffer();
      await sleep(
        response.status === 429 ? retryAfterMs(response, attempt) : BACKOFF_MS * 2 ** attempt,
      );
    }
  };
}

const silent = () => undefined;

/**
 * A Notion client for one token (or, for the OAuth exchange, the integration's client id).
 *
 * @example
 * const me = await notionClient(config.notion, token).users.me({});
 */
export function notionClient(settings: NotionConfig, credential: string): Client {
  return new Client({
    auth: credential,
    baseUrl: settings.apiUrl,
    notionVersion: settings.version,
    fetch: pacedFetch(credential, countedFetch('notion', settings)),
    retry: false,
    logLevel: LogLevel.ERROR,
    logger: silent,
  });
}

/** Notion's code of a failure, or null when Notion did not answer one. */
export function notionCode(error: unknown): string | null {
  return APIResponseError.isAPIResponseError(error) ? error.code : null;
}

/**
 * The AppError a Notion failure becomes: a refused token is `invalid_notion_token`, a page or
 * database the integration cannot see `not_found`, a request Notion finds wrong `bad_request` in
 * Notion's words, anything else `notion_error`.
 *
 * @example
 * try { … } catch (error) { throw notionFailure(error); }
 */
export function notionFailure(error: unknown): unknown {
  if (error instanceof AppError) return error;
  if (APIResponseError.isAPIResponseError(error)) {
    switch (error.code) {
      case 'unauthorized':
        return new AppError(
          'invalid_notion_token',
          'Notion refused the token of the connected workspace (revoked, or the integration was ' +
            'removed); connect Notion again in Settings → Integrations.',
        );
      case 'restricted_resource':
      case 'object_not_found':
        return new AppError(
          'not_found',
          'Notion has no such page or database, or it is not shared with the integration: share ' +
            'it with the integration in Notion (••• → Connections), then try again.',
        );
      case 'rate_limited':
        return new AppError(
          'rate_limited',
          'Notion is rate-limiting this connection; try again in a minute.',
        );
      case 'validation_error':
      case 'invalid_request':
      case 'invalid_json':
      case 'invalid_request_url':
        return new AppError('bad_request', `Notion refused the request: ${error.message}`);
      default:
        return new AppError('notion_error', `Notion answered with an error: ${error.message}`);
    }
  }
  if (isNotionClientError(error)) {
    return new AppError('notion_error', `Notion could not be reached: ${error.message}`);
  }
  if (error instanceof Error) {
    return new AppError('notion_error', `Notion could not be reached: ${error.message}`);
  }
  return error;
}

/**
 * Runs calls to Notion, turning any failure into an AppError ({@link notionFailure}).
 *
 * @example
 * const page = await withNotion(() => client.pages.retrieve({ page_id }));
 */
export async function withNotion<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw notionFailure(error);
  }
}
