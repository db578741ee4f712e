/**
 * @module gateway/gateway-fetch
 * The gateway called in-process. The server's own runner runs the built-in agent in the server's
 * process; its model calls to the server's own `/llm` would leave through one HTTP client and come
 * back in through the HTTP server, costing CPU for every streamed token twice over. This `fetch`
 * hands such calls straight to {@link forwardLlmCall} instead: the same checks (run token, budgets),
 * in the same order (the token before the body is read), the same masking and metering, and the
 * provider's answer streamed back as a `Response`. Any other request goes to the global `fetch`.
 */
import { AppError } from '../errors.ts';
import { forwardLlmCall, gatewayCaller, type GatewayContext } from './gateway.ts';
import {
  errorBody,
  GATEWAY_CALLS,
  geminiCall,
  type GatewayEndpoint,
  type GatewayProvider,
} from '../llm/gateway-styles.ts';

interface GatewayCall {
  provider: GatewayProvider;
  endpoint: GatewayEndpoint;
  model?: string;
  sse?: boolean;
}

/** The model call a gateway path names (`/anthropic/v1/messages`, `/gemini/v1beta/models/m:method`). */
function callOf(path: string, search: URLSearchParams): GatewayCall | null {
  const gemini = /^\/gemini\/v1beta\/models\/(.+)$/.exec(path);
  if (gemini?.[1]) {
    const { model, method } = geminiCall(decodeURIComponent(gemini[1]));
    return { provider: 'gemini', endpoint: method, model, sse: search.get('alt') === 'sse' };
  }
  const found = GATEWAY_CALLS.find(
    ([provider, endpoint]) => path === `/${provider}/v1/${endpoint}`,
  );
  return found ? { provider: found[0], endpoint: found[1] } : null;
}

/** The run token as each provider's client sends its key. */
function tokenOf(headers: Headers, search: URLSearchParams): string | undefined {
  const key = headers.get('x-api-key') || headers.get('x-goog-api-key') || search.get('key');
  if (key) return key;
  const [scheme = '', value = ''] = (headers.get('authorization') ?? '').split(/\s+/, 2);
  return scheme.toLowerCase() === 'bearer' && value !== '' ? value : undefined;
}

function errorResponse(provider: GatewayProvider, error: AppError): Response {
  return Response.json(errorBody(provider, error.code, error.message), { status: error.status });
}

/**
 * A `fetch` that answers model calls under `gatewayUrl` in-process.
 *
 * @example
 * const model = gatewayModel({ gatewayUrl, model, apiKey: runToken, fetch: inProcessGatewayFetch(ctx, gatewayUrl) });
 */
export function inProcessGatewayFetch(ctx: GatewayContext, gatewayUrl: string): typeof fetch {
  const prefix = gatewayUrl.replace(/\/+$/, '');
  return async (input, init) => {
    const request = new Request(input, init);
    if (request.method !== 'POST' || !request.url.startsWith(`${prefix}/`)) {
      return fetch(request);
    }
    const url = new URL(request.url);
    const path = url.pathname.slice(new URL(prefix).pathname.length);
    let call: GatewayCall | null;
    try {
      call = callOf(path, url.searchParams);
    } catch (error) {
      if (error instanceof AppError) return errorResponse('gemini', error);
      throw error;
    }
    if (!call) return fetch(request);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    try {
      const caller = await gatewayCaller(ctx.db, tokenOf(request.headers, url.searchParams));
      let body: unknown;
      try {
        body = await request.json();
      } catch {
        throw new AppError('invalid_json', 'The request body is not valid JSON.');
      }
      const answer = await forwardLlmCall(ctx, {
        ...call,
        caller,
        body,
        headers,
        signal: request.signal,
      });
      return new Response(answer.body, {
        status: answer.status,
        headers: answer.headers,
      });
    } catch (error) {
      if (error instanceof AppError) return errorResponse(call.provider, error);
      throw error;
    }
  };
}
