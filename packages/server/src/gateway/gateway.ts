/**
 * @module gateway/gateway
 * Lucid's LLM gateway: a run's agent calls `/llm/{anthropic,openai,openai-compatible}/v1/…` (or
 * Gemini's `/llm/gemini/v1beta/models/{model}:{method}`) with
 * its run token as the key, and the gateway forwards the call to the configured provider with the
 * task owner's own key for that provider when they stored one, else the task's workspace's, else
 * the server's; none ever leaves the server. The first call of a run with a user's or a
 * workspace's key tells the task whose it was (`credential.used`).
 *
 * The token is checked first, from the request's headers (`gatewayCaller`), before its body is
 * read: a call with a bad token costs no more than its headers. Before a call goes out: the token
 * must belong to a running run, the run and its user must be
 * within budget, and every secret Lucid holds that could be in the prompt (the server's provider
 * keys, the task owner's own, and the caller's run token) is replaced by `[redacted]`. A streamed Chat Completions call that does
 * not ask for usage gets `stream_options.include_usage` added, and the usage-only chunk that adds
 * is not passed on. The request body is read whole (it must be parsed to be masked); the answer is
 * passed on as it arrives (status, headers and body as the provider sent them, errors included)
 * while its usage is read, and recorded before the answer ends (or when its client hangs up). An
 * answer the provider's connection cut is not recorded: what it counted so far (Anthropic and
 * Gemini count the input at the start) would be counted again with the call made once more.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { UsagePhase } from '@lucid/contracts';
import { maskDeep } from '../secrets/masking.ts';
import type { LlmBudgets, LlmConfig, WorkspaceQuotaDefaults } from '../config.ts';
import type { Db } from '../db/client.ts';
import { runs, tasks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { verifyRunToken } from '../auth/run-tokens.ts';
import { recordUsage } from '../tasks/usage.ts';
import { appendEvents } from '../tasks/events.ts';
import { modelKeyFor } from '../workspaces/credential-for.ts';
import { checkBudgets, type RunCaller } from './gateway-metering.ts';
import {
  meteredModel,
  modelsBody,
  upstreamOf,
  type GatewayEndpoint,
  type GatewayProvider,
} from '../llm/gateway-styles.ts';
import { jsonTap, sseTap } from './gateway-taps.ts';
import { isUsageOnlyChunk, usageReader } from './gateway-usage.ts';
import { providerSecrets } from '../llm/models.ts';
import { llmConfigFor, type ProviderKeyContext } from '../llm/provider-keys.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { countLlmCall, countLlmUsage } from './gateway-meters.ts';

export interface GatewayContext extends ProviderKeyContext {
  budgets: LlmBudgets;
  /** The workspaces' default quotas: the gateway holds each workspace to its monthly budget. */
  quotas?: WorkspaceQuotaDefaults | undefined;
  log: { error(details: object, message: string): void };
  /** The server's metrics: calls, errors, tokens and dollars by provider and model. */
  metrics?: Metrics | undefined;
}

/** What the client gets: the provider's status, headers and body stream. */
export interface GatewayAnswer {
  status: number;
  headers: Record<string, string>;
  body: ReadableStream<Uint8Array>;
}

/** Client headers passed on to the provider; everything else (its key included) stays behind. */
const PASSED_REQUEST_HEADERS = ['anthropic-version', 'anthropic-beta', 'openai-beta', 'accept'];

/** Answer headers not passed back: the connection's own, and what fetch already undid. */
const DROPPED_ANSWER_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-encoding',
  'content-length',
]);

/** Who calls the gateway: the running run its token belongs to, and the token itself. */
export interface GatewayCaller {
  run: RunCaller;
  token: string;
  /** The run plans (its calls are recorded in the `plan` phase) rather than codes. */
  planning?: boolean;
}

/**
 * The running run a token belongs to; throws `unauthorized` for a missing token, an unknown,
 * expired or revoked one, or one whose run is not running. Call it before reading the call's body.
 *
 * @example
 * const caller = await gatewayCaller(ctx.db, request.headers['x-api-key']);
 */
export async function gatewayCaller(db: Db, token: string | undefined): Promise<GatewayCaller> {
  const { planning, ...run } = await runCaller(db, token);
  return { run, token: token ?? '', planning };
}

async function runCaller(
  db: Db,
  token: string | undefined,
): Promise<RunCaller & { planning: boolean }> {
  const grant = token ? await verifyRunToken(db, token) : null;
  const [row] = grant
    ? await db
        .select({
          taskId: tasks.id,
          workspaceId: tasks.workspaceId,
          userId: tasks.createdBy,
          kind: sql<string | null>`${runs.spec}->>'kind'`,
        })
        .from(runs)
        .innerJoin(tasks, eq(tasks.id, runs.taskId))
        .where(and(eq(runs.id, grant.runId), eq(runs.status, 'running')))
    : [];
  if (!grant || !row) {
    throw new AppError(
      'unauthorized',
      "Lucid's LLM gateway takes the token of a running run: as x-api-key (Anthropic style), " +
        'Authorization: Bearer (OpenAI style) or x-goog-api-key (Gemini style).',
    );
  }
  const { kind, ...caller } = row;
  return { runId: grant.runId, ...caller, planning: kind === 'plan' };
}

/** Runs already told whose key a provider's calls use, by `run:provider`; the oldest forgotten. */
const reported = new Set<string>();
const REPORTED_MAX = 10_000;

/**
 * Tells the run's task, once per run and provider, whose key its calls use when it is its
 * creator's own or its workspace's (a `credential.used` event naming the key's hint).
 */
async function reportModelKey(
  ctx: GatewayContext,
  caller: RunCaller,
  provider: GatewayProvider,
): Promise<void> {
  const seen = `${caller.runId}:${provider}`;
  if (reported.has(seen)) return;
  reported.add(seen);
  if (reported.size > REPORTED_MAX) {
    const oldest = reported.values().next().value;
    if (oldest !== undefined) reported.delete(oldest);
  }
  const found = await modelKeyFor(
    ctx.db,
    { userId: caller.userId, workspaceId: caller.workspaceId },
    provider,
  );
  if (!found) return;
  await appendEvents(ctx.db, {
    taskId: caller.taskId,
    runId: caller.runId,
    events: [
      {
        type: 'credential.used',
        kind: 'model',
        provider,
        owner: found.owner === 'user' ? 'creator' : 'workspace',
        account: found.row.hint,
      },
    ],
  });
}

/**
 * The secrets masked in a call's prompt: the server's provider keys, the ones the call uses (the
 * task owner's own among them), and the caller's token as git sends it too.
 */
function promptSecrets(server: LlmConfig, used: LlmConfig, token: string): string[] {
  return [
    ...new Set([...providerSecrets(server), ...providerSecrets(used)]),
    token,
    Buffer.from(`lucid:${token}`).toString('base64'),
  ];
}

function withoutPrefix(model: unknown, provider: GatewayProvider): string {
  const name = typeof model === 'string' ? model : '';
  return name.startsWith(`${provider}/`) ? name.slice(provider.length + 1) : name;
}

/** The header the built-in agent marks its summaries' calls with (never passed on). */
export const PHASE_HEADER = 'x-lucid-phase';

/** What a call is for: a summary when it says so, else its run's planning or coding. */
function phaseOf(call: {
  caller: GatewayCaller;
  headers: Record<string, string | string[] | undefined>;
}): UsagePhase {
  if (call.headers[PHASE_HEADER] === 'summary') return 'summary';
  return call.caller.planning ? 'plan' : 'code';
}

/**
 * Forwards one model call of a caller (see {@link gatewayCaller}) and meters it.
 *
 * @example
 * const answer = await forwardLlmCall(ctx, { provider: 'anthropic', endpoint: 'messages', caller, body, headers, signal });
 * reply.code(answer.status).headers(answer.headers).send(answer.body); // a web stream
 */
export async function forwardLlmCall(
  ctx: GatewayContext,
  call: {
    provider: GatewayProvider;
    endpoint: GatewayEndpoint;
    caller: GatewayCaller;
    body: unknown;
    headers: Record<string, string | string[] | undefined>;
    signal: AbortSignal;
    /** Gemini: the model named by the path (`models/{model}:{method}`) rather than the body. */
    model?: string;
    /** Gemini: whether the client asked for server-sent events (`alt=sse`). */
    sse?: boolean;
  },
): Promise<GatewayAnswer> {
  const { provider, endpoint } = call;
  const caller = call.caller.run;
  const llm = await llmConfigFor(ctx, { userId: caller.userId, workspaceId: caller.workspaceId });
  const upstream = upstreamOf(llm, provider);
  await checkBudgets(ctx.db, { caller, budgets: ctx.budgets, quotas: ctx.quotas });
  await reportModelKey(ctx, caller, provider);
  if (typeof call.body !== 'object' || call.body === null || Array.isArray(call.body)) {
    throw new AppError('bad_request', 'The request body must be a JSON object.');
  }

  const body = maskDeep(
    call.body as Record<string, unknown>,
    promptSecrets(ctx.llm, llm, call.caller.token),
  );
  const name = withoutPrefix(call.model ?? body.model, provider);
  if (typeof body.model === 'string') body.model = name;
  const streamed = body.stream === true;
  const options = body.stream_options as { include_usage?: unknown } | undefined;
  const addedUsage = streamed && endpoint === 'chat/completions' && options?.include_usage !== true;
  if (addedUsage) body.stream_options = { ...options, include_usage: true };

  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'accept-encoding': 'identity',
  };
  for (const header of PASSED_REQUEST_HEADERS) {
    const value = call.headers[header];
    if (typeof value === 'string') headers[header] = value;
  }
  if (provider === 'anthropic') headers['anthropic-version'] ??= '2023-06-01';

  const url =
    provider === 'gemini'
      ? `${upstream.baseUrl}/v1beta/models/${encodeURIComponent(name)}:${endpoint}${call.sse ? '?alt=sse' : ''}`
      : `${upstream.baseUrl}/${endpoint}`;
  let answer: Response;
  try {
    answer = await fetch(url, {
      method: 'POST',
      headers: { ...headers, ...upstream.headers },
      body: JSON.stringify(body),
      signal: call.signal,
    });
  } catch (error) {
    countLlmCall(ctx.metrics, { provider, model: meteredModel(provider, endpoint, name) }, null);
    throw new AppError(
      'provider_unreachable',
      `Lucid could not reach the ${provider} provider: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  const passed: Record<string, string> = {};
  answer.headers.forEach((value, header) => {
    if (!DROPPED_ANSWER_HEADERS.has(header)) passed[header] = value;
  });
  const source = answer.body ?? new Blob([]).stream();
  const model = meteredModel(provider, endpoint, name);
  countLlmCall(ctx.metrics, { provider, model }, answer.status);
  if (!answer.ok) return { status: answer.status, headers: passed, body: source };

  const reader = usageReader(endpoint);
  const onEnd = async (cut: boolean) => {
    const usage = reader.usage();
    // A cut answer is made again (the built-in agent retries it): its count so far is not kept.
    if (!usage || cut) return;
    countLlmUsage(ctx.metrics, { provider, model }, usage);
    await recordUsage(ctx.db, { caller, model, usage, phase: phaseOf(call) }).catch(
      (error: unknown) =>
        ctx.log.error({ err: error, runId: caller.runId }, 'could not record model usage'),
    );
  };
  const isSse = (answer.headers.get('content-type') ?? '').includes('text/event-stream');
  const tapped = isSse
    ? sseTap(source, {
        onData: (data) => reader.event(data),
        // Every event the usage reader takes names `usage` (or Gemini's `usageMetadata`).
        wanted: 'usage',
        onEnd,
        ...(addedUsage ? { keep: (data: unknown) => !isUsageOnlyChunk(data) } : {}),
      })
    : jsonTap(source, { onData: (data) => reader.json(data), onEnd });
  return { status: answer.status, headers: passed, body: tapped };
}

/**
 * `GET /v1/models` for a run: the models its task can use (by the server's providers and the
 * task owner's keys) in that provider's style.
 *
 * @example
 * await listGatewayModels(ctx, { provider: 'openai', caller }); // → { object: 'list', data: [...] }
 */
export async function listGatewayModels(
  ctx: GatewayContext,
  { provider, caller }: { provider: GatewayProvider; caller: GatewayCaller },
): Promise<unknown> {
  const llm = await llmConfigFor(ctx, {
    userId: caller.run.userId,
    workspaceId: caller.run.workspaceId,
  });
  upstreamOf(llm, provider);
  return modelsBody(llm, provider);
}
