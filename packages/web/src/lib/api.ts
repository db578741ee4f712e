/**
 * @module lib/api
 * The one way the web app calls the server: JSON over `fetch` with the session cookie. Every failure
 * becomes an {@link ApiError} carrying the server's code and message, from the REST API's
 * `{"error": {"code", "message"}}` and from the sign-in endpoints' `{"code", "message"}` alike.
 */
import type { ErrorBody } from '@lucid/contracts';

/** A failed request: the HTTP status (0 when the server could not be reached), code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Sent as the JSON body. */
  json?: unknown;
  signal?: AbortSignal;
}

type AuthErrorBody = { code?: unknown; message?: unknown };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function toApiError(status: number, statusText: string, body: unknown): ApiError {
  if (isObject(body) && isObject(body.error)) {
    const { code, message, details } = (body as ErrorBody).error;
    return new ApiError(status, code, message, details);
  }
  if (isObject(body)) {
    const { code, message } = body as AuthErrorBody;
    if (typeof message === 'string' && message !== '') {
      return new ApiError(status, typeof code === 'string' ? code : 'error', message);
    }
  }
  return new ApiError(
    status,
    'http_error',
    `The server answered ${status}${statusText ? ` ${statusText}` : ''}.`,
  );
}

/**
 * Calls the server and resolves with the parsed JSON body (undefined for an empty one).
 *
 * @example
 * const { repos } = await api<RepoList>('/api/v1/repos');
 * await api('/api/v1/tokens', { method: 'POST', json: { name: 'laptop' } });
 */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'Could not reach the server. Check the connection and retry.');
  }
  const text = await response.text();
  let body: unknown = undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!response.ok) throw toApiError(response.status, response.statusText, body);
  return body as T;
}

/** The message to show for any error a request or mutation failed with. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong.';
}

/** Error codes by which the server refuses the model asked for. */
const MODEL_REFUSALS = new Set(['model_not_found', 'model_unavailable']);

/**
 * The server's sentence when it refused the model a form asked for (`model_not_found`,
 * `model_unavailable`), to show next to the model field; undefined otherwise.
 */
export function modelRefusal(error: unknown): string | undefined {
  return error instanceof ApiError && MODEL_REFUSALS.has(error.code) ? error.message : undefined;
}

/**
 * The server's validation messages by request field, for showing beside form inputs.
 *
 * @example
 * fieldErrors(error).name; // "Use only letters, digits, ".", "_" and "-"."
 */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || !isObject(error.details)) return {};
  const issues = error.details.issues;
  if (!Array.isArray(issues)) return {};
  const fields: Record<string, string> = {};
  for (const issue of issues) {
    if (!isObject(issue) || typeof issue.path !== 'string' || typeof issue.message !== 'string') {
      continue;
    }
    const field = issue.path.replace(/^body\.?/, '');
    if (field && !(field in fields)) fields[field] = issue.message;
  }
  return fields;
}
