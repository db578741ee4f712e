/**
 * @module cli/api-client
 * Calls a Lucid server's REST API (`/api/v1/...`) with a bearer token, parses answers with the
 * shared contract schemas, and turns every failure into one clear `CliError`: an unreachable server,
 * a refused token, the server's own `{"error": {"code", "message"}}`, or an answer that is not
 * Lucid's.
 */
import type { z } from 'zod';
import { ErrorBody, type ErrorCode } from '@lucid/contracts';
import { CliError } from './cli-error.ts';
import type { Connection } from './connection.ts';

const TIMEOUT_MS = 30_000;

/** A failure the server answered with; `code` is null when the body was not a Lucid error. */
export class ApiError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: ErrorCode | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClient {
  readonly server: string;
  get<S extends z.ZodType>(pathname: string, schema: S): Promise<z.output<S>>;
  post<S extends z.ZodType>(pathname: string, body: unknown, schema: S): Promise<z.output<S>>;
}

/**
 * @example
 * const api = apiClient({ server: 'http://localhost:3000', token });
 * const { repos } = await api.get('/repos', RepoList);
 */
export function apiClient({ server, token }: Connection): ApiClient {
  async function call<S extends z.ZodType>(
    method: string,
    pathname: string,
    schema: S,
    body?: unknown,
  ): Promise<z.output<S>> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${token}`,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${server}/api/v1${pathname}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      text = await response.text();
    } catch (error) {
      throw new CliError(
        `Cannot reach Lucid at ${server} (${networkReason(error)}). Is the server running?`,
      );
    }
    const json = parseJson(text);
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      throw new CliError(
        location
          ? `${server} redirects to ${new URL(location, server).origin}; use that address as the server`
          : `${server} answered ${response.status} ${response.statusText}`,
      );
    }
    if (!response.ok) throw errorFrom(server, response, json);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new CliError(
        `${server} gave an unexpected answer to ${method} /api/v1${pathname}; is it a Lucid server of the same version?`,
      );
    }
    return parsed.data;
  }

  return {
    server,
    get: (pathname, schema) => call('GET', pathname, schema),
    post: (pathname, body, schema) => call('POST', pathname, schema, body),
  };
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorFrom(server: string, response: Response, json: unknown): ApiError {
  const parsed = ErrorBody.safeParse(json);
  if (!parsed.success) {
    return new ApiError(
      `${server} answered ${response.status} ${response.statusText}`.trim(),
      response.status,
      null,
    );
  }
  const { code, message } = parsed.data.error;
  if (response.status === 401) {
    return new ApiError(`The token was refused by ${server}: ${message}`, 401, code);
  }
  return new ApiError(message, response.status, code);
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
};

/** A short reason for a failed fetch, from the error undici wraps in `cause`. */
function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer within ${TIMEOUT_MS / 1000} s`;
  }
  const cause = error instanceof Error ? error.cause : undefined;
  const first = cause instanceof AggregateError ? cause.errors[0] : cause;
  const code =
    (cause as { code?: unknown } | undefined)?.code ?? (first as { code?: unknown })?.code;
  const known = typeof code === 'string' ? NETWORK_REASONS[code] : undefined;
  if (known) return known;
  if (first instanceof Error && first.message) return first.message;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}
