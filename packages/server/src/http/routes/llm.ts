/**
 * @module http/routes/llm
 * Lucid's LLM gateway at `/llm`: `POST /llm/anthropic/v1/messages`,
 * `POST /llm/openai/v1/chat/completions`, `POST /llm/openai/v1/responses`,
 * `POST /llm/openai-compatible/v1/chat/completions` and `GET /llm/{provider}/v1/models`, called
 * with a running run's token (`x-api-key` or `Authorization: Bearer`); and Gemini's
 * `POST /llm/gemini/v1beta/models/{model}:generateContent|streamGenerateContent|countTokens` and
 * `GET /llm/gemini/v1beta/models`, with the token as Gemini clients send a key (`x-goog-api-key`
 * or `?key=`). Errors answer in the provider's own error shape, so its clients report them as
 * they would the provider's.
 *
 * The token is checked as the request arrives (`onRequest`), before its body is read: a call
 * without a running run's token is answered 401 at once, its body left unread and its connection
 * closed, so a stranger cannot make the server take in a 32 MiB body.
 */
import type { FastifyError, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ErrorCode } from '@lucid/contracts';
import { AppError } from '../../errors.ts';
import {
  forwardLlmCall,
  gatewayCaller,
  listGatewayModels,
  type GatewayCaller,
  type GatewayContext,
} from '../../gateway/gateway.ts';
import {
  errorBody,
  GATEWAY_CALLS,
  geminiCall,
  type GatewayProvider,
} from '../../llm/gateway-styles.ts';
import { presentedToken } from '../authenticate.ts';
import type { AppDeps } from '../context.ts';
import { addLogContext } from '../observe.ts';

/** Model requests carry whole conversations: larger than the REST API's bodies. */
const BODY_LIMIT = 32 * 1024 * 1024;

const PROVIDERS: GatewayProvider[] = ['anthropic', 'openai', 'openai-compatible'];

function runToken(request: FastifyRequest): string | undefined {
  const key = request.headers['x-api-key'];
  return typeof key === 'string' && key !== '' ? key : presentedToken(request);
}

/** A Gemini client's key: `x-goog-api-key`, else `?key=`, else as the other styles send it. */
function geminiToken(request: FastifyRequest): string | undefined {
  const header = request.headers['x-goog-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const { key } = request.query as { key?: unknown };
  return typeof key === 'string' && key !== '' ? key : runToken(request);
}

/** The caller each request was let in as, from its `onRequest` check. */
const callers = new WeakMap<FastifyRequest, GatewayCaller>();

function callerOf(request: FastifyRequest): GatewayCaller {
  const caller = callers.get(request);
  if (!caller) throw new Error('A gateway request reached its handler without a token check.');
  return caller;
}

function providerOf(url: string): GatewayProvider {
  const segment = url.split('/')[2] ?? '';
  if (segment === 'gemini') return 'gemini';
  return PROVIDERS.find((provider) => provider === segment) ?? 'openai';
}

/** Fastify's own failures, as Lucid error codes. */
function codeOf(error: FastifyError): [ErrorCode, string] {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return ['payload_too_large', 'The request body is too large.'];
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return ['invalid_json', 'The request body is not valid JSON.'];
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return ['unsupported_media_type', 'Send the request body as application/json.'];
  }
  return ['internal', 'Something went wrong on the server.'];
}

export const llmRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const ctx: GatewayContext = {
      db: deps.database.db,
      llm: deps.config.llm,
      encryptionKey: deps.config.encryptionKey,
      budgets: deps.config.budgets,
      quotas: deps.config.workspaceQuotas,
      log: deps.logger,
      metrics: deps.metrics,
    };

    app.setErrorHandler((error: FastifyError, request, reply) => {
      const [code, message] =
        error instanceof AppError ? [error.code, error.message] : codeOf(error);
      if (code === 'internal') request.log.error({ err: error }, 'gateway call failed');
      const status = error instanceof AppError ? error.status : (error.statusCode ?? 500);
      // A body still arriving is not read: the connection ends with the answer.
      if (!request.raw.complete) reply.header('connection', 'close');
      return reply
        .status(code === 'internal' ? 500 : status)
        .send(errorBody(providerOf(request.url), code, message));
    });
    app.addHook('onRequest', async (request, reply) => {
      const token = providerOf(request.url) === 'gemini' ? geminiToken(request) : runToken(request);
      const caller = await gatewayCaller(ctx.db, token);
      callers.set(request, caller);
      const { runId, taskId, workspaceId, userId } = caller.run;
      addLogContext(request, reply, { runId, taskId, workspaceId, userId });
    });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: BODY_LIMIT },
      (_request, text, done) => {
        try {
          done(null, JSON.parse(text as string) as unknown);
        } catch (error) {
          done(error as Error, undefined);
        }
      },
    );

    for (const provider of PROVIDERS) {
      app.get(
        `/llm/${provider}/v1/models`,
        { config: { public: true }, schema: { hide: true } },
        (request) => listGatewayModels(ctx, { provider, caller: callerOf(request) }),
      );
    }
    for (const [provider, endpoint] of GATEWAY_CALLS) {
      app.post(
        `/llm/${provider}/v1/${endpoint}`,
        { config: { public: true }, schema: { hide: true } },
        async (request, reply) => {
          const aborted = new AbortController();
          reply.raw.on('close', () => aborted.abort());
          const answer = await forwardLlmCall(ctx, {
            provider,
            endpoint,
            caller: callerOf(request),
            body: request.body,
            headers: request.headers,
            signal: aborted.signal,
          });
          return reply.code(answer.status).headers(answer.headers).send(answer.body);
        },
      );
    }

    app.get(
      '/llm/gemini/v1beta/models',
      { config: { public: true }, schema: { hide: true } },
      (request) => listGatewayModels(ctx, { provider: 'gemini', caller: callerOf(request) }),
    );
    app.post(
      '/llm/gemini/v1beta/models/*',
      { config: { public: true }, schema: { hide: true } },
      async (request, reply) => {
        const { model, method } = geminiCall(
          decodeURIComponent((request.params as { '*': string })['*']),
        );
        const { alt } = request.query as { alt?: unknown };
        const aborted = new AbortController();
        reply.raw.on('close', () => aborted.abort());
        const answer = await forwardLlmCall(ctx, {
          provider: 'gemini',
          endpoint: method,
          caller: callerOf(request),
          body: request.body,
          headers: request.headers,
          signal: aborted.signal,
          model,
          sse: alt === 'sse',
        });
        return reply.code(answer.status).headers(answer.headers).send(answer.body);
      },
    );
  };
