/**
 * @module OpenAI's error bodies (`{"error":{"message","type","param","code"}}`) and rate-limit headers,
 * shared by Chat Completions and Responses.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Fault, FaultStatus } from './faults.ts';
import { retryAfterHeader } from './faults.ts';
import { bearerToken, isObject } from './protocol.ts';
import type { Reply } from './protocol.ts';

const ERRORS: Record<FaultStatus, [message: string, type: string, code: string | null]> = {
  400: ['Invalid request.', 'invalid_request_error', null],
  401: [
    'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
    'invalid_request_error',
    'invalid_api_key',
  ],
  403: ['You are not allowed to access this resource.', 'invalid_request_error', null],
  429: [
    'Rate limit reached for requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again later.',
    'requests',
    'rate_limit_exceeded',
  ],
  500: [
    'The server had an error while processing your request. Sorry about that!',
    'server_error',
    null,
  ],
  503: ['The engine is currently overloaded, please try again later.', 'server_error', null],
  529: ['The engine is currently overloaded, please try again later.', 'server_error', null],
};

/** An OpenAI error reply. */
export function openaiError(
  status: number,
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
): Reply {
  return { status, headers: {}, body: { error: { message, type, param, code } } };
}

/** Rate-limit headers OpenAI sends with every answer; exhausted when `exhausted` is set. */
export function rateLimitHeaders(exhausted = false): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': '500',
    'x-ratelimit-remaining-requests': exhausted ? '0' : '499',
    'x-ratelimit-reset-requests': exhausted ? '1s' : '120ms',
    'x-ratelimit-limit-tokens': '30000',
    'x-ratelimit-remaining-tokens': exhausted ? '0' : '29000',
    'x-ratelimit-reset-tokens': exhausted ? '1s' : '2ms',
  };
}

/** The error reply for an injected fault. */
export function openaiFault(fault: Fault): Reply {
  const [message, type, code] = ERRORS[fault.status];
  const reply = openaiError(fault.status, fault.message ?? message, type, code);
  Object.assign(reply.headers, rateLimitHeaders(fault.status === 429), retryAfterHeader(fault));
  return reply;
}

/** Bearer authentication alone, as on `GET /v1/models`. */
export function checkOpenaiKey(headers: IncomingHttpHeaders, apiKey: string): Reply | undefined {
  return checkOpenaiRequest(headers, {}, apiKey, []);
}

/** Bearer authentication and the fields every OpenAI model request needs. */
export function checkOpenaiRequest(
  headers: IncomingHttpHeaders,
  body: unknown,
  apiKey: string | undefined,
  required: string[],
): Reply | undefined {
  const key = bearerToken(headers);
  if (key === undefined) {
    return openaiError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      'invalid_request_error',
      null,
    );
  }
  if (apiKey !== undefined && key !== apiKey) return openaiFault({ status: 401 });
  if (!isObject(body)) {
    return openaiError(
      400,
      'We could not parse the JSON body of your request.',
      'invalid_request_error',
      null,
    );
  }
  for (const field of required) {
    if (body[field] === undefined) {
      return openaiError(
        400,
        `Missing required parameter: '${field}'.`,
        'invalid_request_error',
        'missing_required_parameter',
        field,
      );
    }
  }
  return undefined;
}
