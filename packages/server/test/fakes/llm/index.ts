/**
 * @module A faithful fake of the model providers' HTTP APIs for tests: Anthropic Messages, OpenAI Chat
 * Completions, OpenAI Responses and Google's Gemini (`/v1beta/models/…`) on one loopback port, answering from a script, with injectable
 * failures, the providers' prompt caches (reported in usage as they report them), an optional
 * context window, and a record of every request. Point any client at `url + '/v1'` as its base URL.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropic, checkAnthropicHeaders } from './anthropic.ts';
import { FaultQueue } from './faults.ts';
import {
  checkGeminiKey,
  gemini,
  GEMINI_CALL,
  GEMINI_COUNT,
  GEMINI_MODELS,
  geminiKey,
  geminiModels,
  geminiStreamArray,
} from './gemini.ts';
import type { Fault, StreamCut } from './faults.ts';
import { DEFAULT_MODELS, modelsReply, unknownModelReply, unlistedReply } from './models.ts';
import { openaiChat } from './openai-chat.ts';
import { checkOpenaiKey } from './openai-errors.ts';
import { openaiResponses } from './openai-responses.ts';
import type { LlmProtocol, ProtocolAdapter, Reply, Turn } from './protocol.ts';
import { contextLengthReply, PromptCaches } from './prompt-cache.ts';
import { FALLBACK_STEP, requestTokens, resolveUsage } from './script.ts';
import type { ScriptStep, ScriptedUsage } from './script.ts';
import { writeSse } from './sse.ts';

export type { Fault, FaultStatus, StreamCut } from './faults.ts';
export type { LlmProtocol } from './protocol.ts';
export { shellTrajectory } from './script.ts';
export type { ScriptStep, ScriptedToolCall, ScriptedUsage } from './script.ts';
export { offersTools } from './script.ts';

/** How the fake is set up. */
export interface FakeLlmOptions {
  /**
   * When set, every other key is refused with the protocol's 401 (model calls and `GET /v1/models`);
   * otherwise any key is accepted.
   */
  apiKey?: string;
  /** Ids listed by `GET /v1/models`. */
  models?: string[];
  /** Ids listed by `GET /v1beta/models` (Gemini). */
  geminiModels?: string[];
  /**
   * When set, the list endpoints (`GET /v1/models`, `GET /v1beta/models`) answer this status with
   * an error body: a provider that cannot be listed (404: a server without the endpoint).
   */
  modelListStatus?: number;
  /**
   * Model calls naming a model missing from the fake's lists are refused with 404, in the
   * protocol's own error body, as the real providers do.
   */
  refuseUnknownModels?: boolean;
  /**
   * The models' context window, in tokens as the fake counts them (four characters a token of the
   * request's JSON): a longer request is refused with the provider's context-length error.
   */
  contextWindow?: number;
}

/** One request as the fake received it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Lower-cased names; authentication headers included, so tests can see which key was used. */
  headers: Record<string, string>;
  /** The parsed JSON body; the raw text when it is not JSON; `undefined` when empty. */
  body: unknown;
  /** Set on model requests. */
  protocol?: LlmProtocol;
  /** The token counts the fake reported in its answer, on model requests it answered. */
  usage?: Required<ScriptedUsage>;
  /** Set when the client hung up on a held request (`hold`) before its answer began. */
  abandoned?: boolean;
}

/** A running fake LLM server. */
export interface FakeLlm {
  /** `http://127.0.0.1:<port>`, without `/v1`. */
  url: string;
  /** Every request received, oldest first. */
  requests: RecordedRequest[];
  /**
   * Appends answers. The queue is shared by all three protocols: each model request, whatever its
   * protocol, takes the next step whose `when` accepts it (steps before it stay queued); with none
   * the answer is the text "done". Requests refused
   * (authentication, bad body, injected failure) take no step, and a stream not delivered whole (cut
   * by {@link FakeLlm.dropStreamAfter} or abandoned by the client) gives its step back, so a retry
   * receives the same answer.
   */
  script(steps: ScriptStep[]): void;
  /** The next `count` model requests fail with `fault`, in the protocol's error format. */
  failNext(count: number, fault: Fault): void;
  /**
   * The next streamed answer (the next `cut.times`) is cut after `chunks` SSE events: its socket
   * destroyed, or with `cut.close` its stream ended there.
   */
  dropStreamAfter(chunks: number, cut?: StreamCut): void;
  /** Steps not yet used. */
  remainingSteps(): number;
  /** Sets (or with `undefined` lifts) the context window requests are refused over. */
  setContextWindow(tokens: number | undefined): void;
  /** Forgets script, pending failures, recorded requests, the prompt caches and the window. */
  reset(): void;
  close(): Promise<void>;
}

const ROUTES: Record<string, [LlmProtocol, ProtocolAdapter]> = {
  '/v1/messages': ['anthropic', anthropic],
  '/v1/chat/completions': ['openai-chat', openaiChat],
  '/v1/responses': ['openai-responses', openaiResponses],
};

/**
 * Starts the fake on 127.0.0.1 and an ephemeral port.
 *
 * @example
 * const llm = await startFakeLlm();
 * llm.script([{ text: 'Hello' }]);
 * const anthropic = createAnthropic({ baseURL: `${llm.url}/v1`, apiKey: 'test-key' });
 */
export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlm> {
  const models = options.models ?? DEFAULT_MODELS;
  const requests: RecordedRequest[] = [];
  const faults = new FaultQueue();
  const caches = new PromptCaches();
  let contextWindow = options.contextWindow;
  let steps: ScriptStep[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const geminiCall = req.method === 'POST' ? GEMINI_CALL.exec(path) : null;
    const route: [LlmProtocol, ProtocolAdapter] | undefined =
      req.method === 'POST'
        ? (ROUTES[path] ?? (geminiCall ? ['gemini', gemini] : undefined))
        : undefined;
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      headers: flattenHeaders(req),
      body: parseBody(raw),
      ...(route ? { protocol: route[0] } : {}),
    };
    requests.push(recorded);

    const query = new URL(req.url ?? '/', 'http://fake').searchParams;
    const listing =
      req.method === 'GET' &&
      (path === '/v1/models' || path.startsWith('/v1/models/') || path === '/v1beta/models');
    if (listing && options.modelListStatus !== undefined) {
      return send(res, unlistedReply(options.modelListStatus));
    }
    if (req.method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) {
      const id = path === '/v1/models' ? undefined : decodeURIComponent(path.slice(11));
      const anthropicStyle = req.headers['anthropic-version'] !== undefined;
      const refused =
        options.apiKey === undefined
          ? undefined
          : anthropicStyle
            ? checkAnthropicHeaders(req.headers, options.apiKey)
            : checkOpenaiKey(req.headers, options.apiKey);
      return send(res, refused ?? modelsReply(models, anthropicStyle, id, query));
    }
    if (req.method === 'GET' && path === '/v1beta/models') {
      const refused = checkGeminiKey(geminiKey(req.headers, req.url ?? '/'), options.apiKey);
      return send(res, refused ?? geminiModels(options.geminiModels ?? GEMINI_MODELS, query));
    }
    if (req.method === 'POST' && GEMINI_COUNT.test(path)) {
      const refused = checkGeminiKey(geminiKey(req.headers, req.url ?? '/'), options.apiKey);
      const tokens = resolveUsage({}, recorded.body).inputTokens;
      return send(res, refused ?? { status: 200, headers: {}, body: { totalTokens: tokens } });
    }
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      const refused = checkAnthropicHeaders(req.headers, options.apiKey);
      const tokens = resolveUsage({}, recorded.body).inputTokens;
      return send(res, refused ?? { status: 200, headers: {}, body: { input_tokens: tokens } });
    }
    if (!route) {
      return send(res, {
        status: 404,
        headers: {},
        body: { error: { message: `No route for ${req.method} ${path}`, type: 'not_found' } },
      });
    }

    const adapter = route[1];
    const base = adapter.responseHeaders();
    const refused =
      (geminiCall
        ? checkGeminiKey(geminiKey(req.headers, req.url ?? '/'), options.apiKey)
        : undefined) ?? adapter.check(req.headers, recorded.body, options.apiKey);
    if (refused) return send(res, withHeaders(refused, base));
    const asked = geminiCall
      ? (geminiCall[1] ?? '')
      : String((recorded.body as Record<string, unknown> | undefined)?.model);
    const offered = geminiCall ? (options.geminiModels ?? GEMINI_MODELS) : models;
    if (options.refuseUnknownModels && !offered.includes(asked)) {
      return send(res, withHeaders(unknownModelReply(route[0], asked), base));
    }
    const fault = faults.takeFailure();
    if (fault) return send(res, withHeaders(adapter.error(fault), base));

    const body = recorded.body as Record<string, unknown>;
    const tokens = requestTokens(body);
    if (contextWindow !== undefined && tokens > contextWindow) {
      return send(res, withHeaders(contextLengthReply(route[0], tokens, contextWindow), base));
    }
    const index = steps.findIndex((candidate) => candidate.when?.(body) ?? true);
    const step = index < 0 ? FALLBACK_STEP : (steps.splice(index, 1)[0] ?? FALLBACK_STEP);
    if (step.hold) {
      const hungUp = new Promise<boolean>((resolve) => res.once('close', () => resolve(true)));
      if (await Promise.race([step.hold.then(() => false), hungUp])) {
        recorded.abandoned = true;
        return;
      }
    }
    const cache =
      step.usage !== undefined || route[0] === 'gemini'
        ? undefined
        : route[0] === 'anthropic'
          ? caches.anthropicUse(body, tokens)
          : caches.openaiUse(body, tokens);
    const turn: Turn = {
      model: geminiCall ? (geminiCall[1] ?? '') : String(body.model),
      text: step.text ?? step.textPieces?.join('') ?? '',
      textPieces: step.textPieces,
      reasoning: step.reasoning,
      toolCalls: (step.toolCalls ?? []).map((call) => ({
        id: call.id ?? adapter.toolCallId(),
        name: call.name,
        input: call.input,
        rawInput: call.rawInput,
      })),
      usage: resolveUsage(step, body, cache),
    };
    recorded.usage = turn.usage;
    const streamed = geminiCall ? geminiCall[2] === 'streamGenerateContent' : body.stream === true;
    if (!streamed) {
      return send(res, { status: 200, headers: base, body: adapter.json(turn) });
    }
    if (geminiCall && new URL(req.url ?? '/', 'http://fake').searchParams.get('alt') !== 'sse') {
      return send(res, { status: 200, headers: base, body: geminiStreamArray(turn) });
    }
    const drop = faults.takeDrop();
    const pause: Record<string, string> =
      drop?.retryAfterMs === undefined ? {} : { 'retry-after-ms': String(drop.retryAfterMs) };
    const whole = await writeSse(res, adapter.stream(turn, body), {
      headers: { ...base, ...pause },
      ...(step.delayMs === undefined ? {} : { delayMs: step.delayMs }),
      ...(drop === undefined ? {} : { dropAfter: drop.chunks, closeEarly: drop.close === true }),
    });
    if (!whole) {
      delete recorded.usage;
      if (step !== FALLBACK_STEP) steps.splice(Math.max(index, 0), 0, step);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        send(res, { status: 500, headers: {}, body: { error: { message: String(error) } } });
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (more) => void steps.push(...more),
    failNext: (count, fault) => faults.failNext(count, fault),
    dropStreamAfter: (chunks, cut) => faults.dropStreamAfter(chunks, cut),
    remainingSteps: () => steps.length,
    setContextWindow: (tokens) => void (contextWindow = tokens),
    reset() {
      steps = [];
      faults.clear();
      caches.clear();
      contextWindow = options.contextWindow;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function send(res: ServerResponse, reply: Reply): void {
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
  });
  res.end(payload);
}

function withHeaders(reply: Reply, headers: Record<string, string>): Reply {
  return { ...reply, headers: { ...headers, ...reply.headers } };
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}
