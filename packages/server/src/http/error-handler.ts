/**
 * @module http/error-handler
 * The edge where every failure becomes `{"error": {"code", "message"}}` with the right status.
 * Unknown errors are logged and answered as `internal`, never with their text.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorBody, ErrorCode } from '@lucid/contracts';
import { AppError } from '../errors.ts';

function body(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/** Fastify's own errors that are the client's fault, by Fastify error code. */
const FASTIFY_CLIENT_ERRORS: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_json', 'The request body is not valid JSON.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_json', 'The request body is empty; send a JSON object.'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large', 'The request body is too large.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    'unsupported_media_type',
    'Send the request body as application/json.',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['bad_request', 'The Content-Length header is wrong.'],
};

/** Maps every thrown error to the API's error body. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error.retryAfterSeconds !== undefined) {
        void reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
      }
      return reply.status(error.status).send(body(error.code, error.message, error.details));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => ({
        path: `${error.validationContext ?? 'body'}${v.instancePath.replaceAll('/', '.')}`,
        message: v.message ?? 'is invalid',
      }));
      const first = issues[0];
      const message = first
        ? `Invalid request: ${first.path} ${first.message}`
        : 'The request is invalid.';
      return reply.status(400).send(body('validation_failed', message, { issues }));
    }
    const known = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined;
    if (known) {
      const [code, message] = known;
      return reply.status(error.statusCode ?? 400).send(body(code, message));
    }
    if (error instanceof SyntaxError && error.statusCode === 400) {
      return reply.status(400).send(body('invalid_json', 'The request body is not valid JSON.'));
    }
    if (error.statusCode === 429) {
      return reply.status(429).send(body('rate_limited', 'Too many requests; slow down.'));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send(body('bad_request', error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send(body('internal', 'Something went wrong on the server.'));
  });
}

/**
 * Answers unknown paths: with the web app's index.html for page navigations when a web app is
 * served (its router takes over), else with a `not_found` error.
 */
export function installNotFound(app: FastifyInstance, options: { spa: boolean }): void {
  app.setNotFoundHandler((request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    const isApi = /^\/(api|git)(\/|$)/.test(pathname) || pathname === '/healthz';
    if (options.spa && request.method === 'GET' && !isApi) return reply.sendFile('index.html');
    return reply.status(404).send(body('not_found', `Nothing at ${request.method} ${pathname}.`));
  });
}
