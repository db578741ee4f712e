/**
 * @module agent/lucid-agent
 * The built-in agent `lucid`: a tool loop driving the provider's language model (`doStream`)
 * directly, with the AI SDK's own pieces for the rest (prompt conversion, tool declarations, call
 * settings, retries, usage). `streamText` would add about eight web-stream stages and tees per
 * streamed token to record steps this loop never reads; the agent runs in the server's process, so
 * that cost lands on every task's live stream.
 *
 * Text streams out as `message.delta` events and is stored whole per step as `message.assistant`.
 * Its model calls go through Lucid's LLM gateway, which records each call's usage and cost on the
 * task. The model sees the task's earlier conversation before the prompt (earlier runs' steps
 * included, with their tool calls and results: agent/history.ts), each step is kept for later runs
 * (`remember`), and the user's follow-ups (the run's inbox) are added as user messages before
 * each model step. A step's tool calls run in
 * order once its answer has streamed, and their results go back as one tool message; a call to an
 * unknown tool or with input that is not JSON is answered with an error result, as the SDK does.
 * The loop ends when the model calls `finish`, answers without a tool call, reaches the step limit,
 * or the run is stopped. Failed model calls are retried with backoff on 408/409/429/5xx (waiting as
 * `retry-after-ms` or `retry-after` ask when under a minute), and so is an answer cut before its end
 * (its stream broken or closed before the provider said why it stopped): nothing of the cut answer
 * is kept, and text it streamed is dropped by a `message.delta` that restarts the answer. A failure
 * that outlasts the retries fails the run with the provider's message, or one naming the cut. Given the repository's files (from Lucid's copy, in
 * the claim), the first request needs nothing of the workspace: it leaves while the workspace is
 * made ready, and the tools wait for it (`ready`).
 */
import {
  APICallError,
  InvalidToolInputError,
  NoSuchToolError,
  RetryError,
  type AssistantModelMessage,
  type JSONValue,
  type LanguageModel,
  type ModelMessage,
  type ProviderMetadata,
  type Tool,
  type ToolModelMessage,
  type ToolResultPart,
} from 'ai';
import {
  asLanguageModelUsage,
  prepareCallSettings,
  prepareRetries,
  prepareToolsAndToolChoice,
  standardizePrompt,
} from 'ai/internal';
import type { EventBody, ExchangeInput, ModelExchange, Plan, PromptFile } from '@lucid/contracts';
import { costOf } from '../llm/cost.ts';
import { contextWindowOf } from '../llm/context-window.ts';
import type { Agent, AgentOutcome, AgentRunOptions } from './agent.ts';
import { AgentContext, type ContextSettings } from './context.ts';
import { requestChange, requestOf, type FullRequest } from './exchanges.ts';
import { historyMessages, stepMessages } from './history.ts';
import type { CallOptions } from './prompt-cache.ts';
import { repositoryFiles, systemPromptOf } from './system-prompt.ts';
import { bindTools, ENDING } from './tools/index.ts';

export interface LucidAgentOptions {
  /** A provider's model object (`LanguageModelV3`), as `gatewayModel` makes. */
  model: LanguageModel;
  /**
   * `provider/name`: when set, the agent reports each step's usage and cost itself, for a model
   * called directly rather than through the gateway (which records usage on its own).
   */
  modelId?: string;
  /** `provider/name` as the task names it, for messages (a model the provider does not offer). */
  modelName?: string;
  /** Retries of a failed model call (429, 5xx…), with exponential backoff. */
  maxRetries?: number;
  /** The model's context window and how to compact and cache; by default the model table's window. */
  context?: ContextSettings;
  /** Changes to the loop a replay tries without editing it: its system prompt, its tools. */
  loop?: LoopChanges;
}

/**
 * What a replay may change in the loop it plays a recording through: the system prompt as built,
 * and the run's tools (their order, definitions, or what answers a call).
 */
export interface LoopChanges {
  system?: (built: string) => string;
  tools?: (bound: Record<string, Tool>) => Record<string, Tool>;
}

type Model = Extract<LanguageModel, { specificationVersion: 'v3' }>;
type Usage = Parameters<typeof asLanguageModelUsage>[0];

/** A part of the assistant's answer in one step, in the order the model streamed it. */
type AnswerPart =
  | { type: 'text' | 'reasoning'; text: string; providerOptions?: ProviderMetadata | undefined }
  | {
      type: 'tool-call';
      toolCallId: string;
      toolName: string;
      input: string;
      providerOptions?: ProviderMetadata | undefined;
    };
type ToolCall = Extract<AnswerPart, { type: 'tool-call' }>;
type StreamPart =
  Awaited<ReturnType<Model['doStream']>>['stream'] extends ReadableStream<infer P> ? P : never;

/** Errors standing for an answer cut before its end, made by {@link cutAnswer}. */
const cuts = new WeakSet<Error>();

/**
 * The error for an answer that was cut before its end: retryable as a 5xx is, with the answer's
 * headers (a `retry-after-ms` among them is waited for as on any failure).
 */
function cutAnswer(cause: unknown, headers: Record<string, string> | undefined): APICallError {
  const why = cause === undefined ? '' : `: ${providerMessage(cause).replace(/\.$/, '')}`;
  const error = new APICallError({
    message: `The model's answer was cut off before it ended${why}.`,
    url: '',
    requestBodyValues: undefined,
    statusCode: 200,
    responseHeaders: headers,
    isRetryable: true,
    cause,
  });
  cuts.add(error);
  return error;
}

/**
 * Whether a call that failed before its answer was handed over had its answer cut: the provider
 * answered 2xx, and the answer's first events could not be read (the provider SDK reads them).
 */
function isCutAtStart(error: unknown, signal: AbortSignal): boolean {
  if (signal.aborted || !APICallError.isInstance(error)) return false;
  const status = error.statusCode ?? 0;
  return status >= 200 && status < 300;
}

/** The provider's own words from a failed call; for an answer cut on every try, how often. */
export function providerMessage(error: unknown): string {
  const last = RetryError.isInstance(error) ? error.lastError : error;
  if (last instanceof Error && cuts.has(last)) {
    const tries = RetryError.isInstance(error) ? error.errors.length : 1;
    return tries > 1 ? `${last.message} It was cut on each of ${tries} tries.` : last.message;
  }
  if (APICallError.isInstance(last)) {
    return `The model provider answered ${last.statusCode ?? 'an error'}: ${last.message}`;
  }
  return last instanceof Error ? last.message : String(last);
}

/**
 * Why the model call failed, as the task shows it: a model the provider does not know (404) is
 * `model_not_found`, naming the model; anything else is `model_failed` in the provider's words.
 */
export function modelFailure(error: unknown, model: string): { code: string; message: string } {
  const last = RetryError.isInstance(error) ? error.lastError : error;
  if (APICallError.isInstance(last) && last.statusCode === 404) {
    return {
      code: 'model_not_found',
      message:
        `The provider does not offer the model ${model} (it answered: ${last.message.replace(/\.$/, '')}). ` +
        'Choose a model it offers for a new task; GET /api/v1/models lists them.',
    };
  }
  return { code: 'model_failed', message: providerMessage(error) };
}

function usageEvent(model: string, raw: Usage): EventBody {
  const usage = asLanguageModelUsage(raw);
  const cached = usage.inputTokenDetails.cacheReadTokens;
  const written = usage.inputTokenDetails.cacheWriteTokens;
  const tokens = {
    inputTokens: usage.inputTokens ?? 0,
    outputTokens: usage.outputTokens ?? 0,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(written ? { cacheWriteTokens: written } : {}),
  };
  return { type: 'usage', model, ...tokens, costUsd: costOf(model, tokens).usd };
}

function v3(model: LanguageModel): Model {
  if (typeof model === 'string' || model.specificationVersion !== 'v3') {
    throw new Error('The built-in agent needs a provider model object (LanguageModelV3).');
  }
  return model;
}

/** A tool call's input as JSON, or the error the model is told when it is not JSON. */
function parseInput(call: ToolCall): { input: unknown } | { error: Error } {
  if (call.input.trim() === '') return { input: {} };
  try {
    return { input: JSON.parse(call.input) as unknown };
  } catch (cause) {
    return {
      error: new InvalidToolInputError({ toolName: call.toolName, toolInput: call.input, cause }),
    };
  }
}

/** The assistant message of one step: its text, reasoning and tool calls, with provider metadata. */
function assistantMessage(parts: AnswerPart[]): AssistantModelMessage | undefined {
  const content: AssistantModelMessage['content'] = [];
  for (const part of parts) {
    const providerOptions = part.providerOptions ? { providerOptions: part.providerOptions } : {};
    if (part.type === 'tool-call') {
      const parsed = parseInput(part);
      content.push({
        type: 'tool-call',
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        input: 'input' in parsed ? parsed.input : {},
        ...providerOptions,
      });
    } else if (part.type === 'reasoning' || part.text.length > 0) {
      content.push({ type: part.type, text: part.text, ...providerOptions });
    }
  }
  return content.length > 0 ? { role: 'assistant', content } : undefined;
}

/** Runs one tool call: its result, or an error result for an unknown tool, bad input or a throw. */
async function runTool(
  call: ToolCall,
  tools: Record<string, Tool>,
  options: { messages: ModelMessage[]; signal: AbortSignal },
): Promise<ToolResultPart> {
  const answer = (output: ToolResultPart['output']): ToolResultPart => ({
    type: 'tool-result',
    toolCallId: call.toolCallId,
    toolName: call.toolName,
    output,
  });
  const tool = tools[call.toolName];
  if (!tool?.execute) {
    const unknown = new NoSuchToolError({
      toolName: call.toolName,
      availableTools: Object.keys(tools),
    });
    return answer({ type: 'error-text', value: unknown.message });
  }
  const parsed = parseInput(call);
  if ('error' in parsed) return answer({ type: 'error-text', value: parsed.error.message });
  try {
    const output: unknown = await tool.execute(parsed.input, {
      toolCallId: call.toolCallId,
      messages: options.messages,
      abortSignal: options.signal,
    });
    return answer(
      typeof output === 'string'
        ? { type: 'text', value: output }
        : { type: 'json', value: (output ?? null) as JSONValue },
    );
  } catch (thrown) {
    return answer({
      type: 'error-text',
      value: thrown instanceof Error ? thrown.message : String(thrown),
    });
  }
}

/**
 * Reads one answer to its end into `parts`, emitting each text piece as it comes; gives back the
 * error the stream reported, if any, the answer's usage, and whether it ended (the provider said
 * why it stopped) rather than being cut.
 */
async function readAnswer(
  reader: ReadableStreamDefaultReader<StreamPart>,
  parts: AnswerPart[],
  emit: (event: EventBody) => void,
): Promise<{ failure?: unknown; usage?: Usage; ended: boolean }> {
  const open = new Map<string, Extract<AnswerPart, { type: 'text' | 'reasoning' }>>();
  const read: { failure?: unknown; usage?: Usage; ended: boolean } = { ended: false };
  for (;;) {
    const { done, value: part } = await reader.read();
    if (done) return read;
    switch (part.type) {
      case 'text-delta':
      case 'reasoning-delta': {
        const into = open.get(`${part.type}:${part.id}`);
        if (!into) break;
        into.text += part.delta;
        into.providerOptions = part.providerMetadata ?? into.providerOptions;
        if (part.type === 'text-delta' && part.delta) {
          emit({ type: 'message.delta', text: part.delta });
        }
        break;
      }
      case 'text-start':
      case 'reasoning-start': {
        const type = part.type === 'text-start' ? 'text' : 'reasoning';
        const started: AnswerPart = { type, text: '', providerOptions: part.providerMetadata };
        open.set(`${type}-delta:${part.id}`, started);
        parts.push(started);
        break;
      }
      case 'text-end':
      case 'reasoning-end': {
        const key = `${part.type === 'text-end' ? 'text' : 'reasoning'}-delta:${part.id}`;
        const ended = open.get(key);
        if (ended) ended.providerOptions = part.providerMetadata ?? ended.providerOptions;
        open.delete(key);
        break;
      }
      case 'tool-call':
        if (!part.providerExecuted) {
          parts.push({
            type: 'tool-call',
            toolCallId: part.toolCallId,
            toolName: part.toolName,
            input: part.input,
            providerOptions: part.providerMetadata,
          });
        }
        break;
      case 'finish':
        read.usage = part.usage;
        // A provider's stream closed before its last event still finishes, with no stop reason.
        read.ended = part.finishReason.raw !== undefined || part.finishReason.unified !== 'other';
        break;
      case 'error':
        if (!('failure' in read)) read.failure = part.error;
        break;
    }
  }
}

/** The repository files the system prompt quotes: from the claim, else the ready workspace's. */
async function promptFilesOf(run: AgentRunOptions): Promise<PromptFile[]> {
  if (run.repository) return run.repository;
  await run.ready;
  return repositoryFiles(run.sandbox);
}

/** The answer of one step as it is recorded: its parts, usage, and the error it ended with. */
function recordedAnswer(
  parts: AnswerPart[],
  usage: Usage | undefined,
  failure: unknown,
): ModelExchange['answer'] {
  return {
    parts: parts.map(({ providerOptions, ...part }) =>
      providerOptions ? { ...part, providerMetadata: providerOptions } : part,
    ),
    ...(usage ? { usage: JSON.parse(JSON.stringify(usage)) as unknown } : {}),
    ...(failure !== undefined ? { error: providerMessage(failure) } : {}),
  };
}

export class LucidAgent implements Agent {
  constructor(private readonly options: LucidAgentOptions) {}

  async run(run: AgentRunOptions): Promise<AgentOutcome> {
    const { emit, signal, limits } = run;
    const { modelId } = this.options;
    const model = v3(this.options.model);
    let summary: string | undefined;
    const bound = bindTools({
      sandbox: run.sandbox,
      shell: run.shell,
      ready: run.ready,
      emit,
      signal,
      secrets: run.secrets,
      refusedCommands: run.refusedCommands ?? [],
      finish: (text) => {
        summary = text;
      },
      ...(run.onPlan
        ? {
            submitPlan: (plan: Plan) => {
              run.onPlan?.(plan);
              summary = plan.goal;
            },
          }
        : {}),
      ...(run.plan ? { planSteps: run.plan.steps.length } : {}),
    });
    const loop = this.options.loop ?? {};
    const tools = loop.tools ? loop.tools(bound) : bound;
    const prepared = await prepareToolsAndToolChoice({
      tools,
      toolChoice: undefined,
      activeTools: undefined,
    });
    const settings = prepareCallSettings({});
    const { retry } = prepareRetries({
      maxRetries: this.options.maxRetries ?? 3,
      abortSignal: signal,
    });
    let inboxRead: string[] = [];
    let summaries: string[] = [];
    const readInbox = async (): Promise<ModelMessage[]> => {
      const texts = (await run.inbox?.().catch(() => [])) ?? [];
      inboxRead.push(...texts);
      return texts.map((text) => ({ role: 'user', content: text }));
    };
    const files = await promptFilesOf(run);
    const built = systemPromptOf(files);
    const { system, messages } = await standardizePrompt({
      system: loop.system ? loop.system(built) : built,
      messages: [...historyMessages(run.history ?? []), { role: 'user', content: run.prompt }],
    });
    const contextSettings = this.options.context ?? {
      window: contextWindowOf(this.options.modelName ?? modelId ?? ''),
    };
    let input: ExchangeInput | undefined = {
      prompt: run.prompt,
      history: run.history ?? [],
      repository: files,
      model: {
        provider: model.provider,
        modelId: model.modelId,
        name: this.options.modelName ?? modelId ?? model.modelId,
      },
      context: {
        window: contextSettings.window,
        ...(contextSettings.summaryWindow ? { summaryWindow: contextSettings.summaryWindow } : {}),
        ...(contextSettings.cacheKey ? { cacheKey: contextSettings.cacheKey } : {}),
        ...(contextSettings.compact === false ? { compact: false } : {}),
        ...(contextSettings.cache === false ? { cache: false } : {}),
      },
      maxSteps: limits.maxSteps,
    };
    let lastRequest: FullRequest | undefined;
    /** Keeps one model exchange for the run's export and replay. */
    const record = (
      sent: CallOptions | undefined,
      answer: ModelExchange['answer'],
      results: ToolModelMessage | undefined,
    ) => {
      if (!sent || !run.remember) return;
      const full = requestOf(sent);
      const exchange: ModelExchange = {
        ...(input ? { input } : {}),
        inbox: inboxRead,
        ...(summaries.length > 0 ? { summaries } : {}),
        request: requestChange(lastRequest, full),
        answer,
        results: (results?.content ?? []).flatMap((part) =>
          part.type === 'tool-result' &&
          (part.output.type === 'text' ||
            part.output.type === 'error-text' ||
            part.output.type === 'json')
            ? [{ toolCallId: part.toolCallId, toolName: part.toolName, output: part.output }]
            : [],
        ),
      };
      run.remember({ kind: 'exchange', exchange });
      lastRequest = full;
      input = undefined;
      inboxRead = [];
      summaries = [];
    };

    const context = new AgentContext({
      model,
      settings: contextSettings,
      system,
      tools: prepared.tools,
      pinned: messages.length,
      emit,
      signal,
      onSummary: (text) => summaries.push(text),
    });

    let lastText = '';
    let steps = 0;
    let lastHadCalls = false;
    let failure: unknown;
    for (;;) {
      messages.push(...(await readInbox()));
      const parts: AnswerPart[] = [];
      let usage: Usage | undefined;
      let sent: CallOptions | undefined;
      try {
        const read = await context.send(messages, (call) =>
          retry(async () => {
            sent = { ...settings, ...prepared, ...call, abortSignal: signal };
            if (parts.some((part) => part.type === 'text' && part.text !== '')) {
              emit({ type: 'message.delta', text: '', restart: true });
            }
            parts.length = 0;
            const answer = await Promise.resolve(model.doStream(sent)).catch((error: unknown) => {
              if (!isCutAtStart(error, signal)) throw error;
              throw cutAnswer(error, (error as APICallError).responseHeaders);
            });
            const headers = answer.response?.headers;
            const read = await readAnswer(answer.stream.getReader(), parts, emit).catch(
              (error: unknown) => {
                throw signal.aborted ? error : cutAnswer(error, headers);
              },
            );
            if (read.failure === undefined && !read.ended && !signal.aborted) {
              throw cutAnswer(undefined, headers);
            }
            return read;
          }),
        );
        failure = read.failure;
        usage = read.usage;
      } catch (error) {
        failure = error;
        const last = RetryError.isInstance(error) ? error.lastError : error;
        // Nothing of an answer cut on its last try is kept.
        if (last instanceof Error && cuts.has(last)) parts.length = 0;
      }
      steps += 1;
      const text = parts.reduce((all, p) => (p.type === 'text' ? all + p.text : all), '');
      if (text.trim()) {
        emit({ type: 'message.assistant', text });
        lastText = text.trim();
      }
      if (usage) context.measured(asLanguageModelUsage(usage).inputTokens);
      if (modelId && usage) emit(usageEvent(modelId, usage));
      if (signal.aborted || failure !== undefined) {
        record(sent, recordedAnswer(parts, usage, failure), undefined);
        break;
      }

      const assistant = assistantMessage(parts);
      if (assistant) messages.push(assistant);
      const calls = parts.filter((part): part is ToolCall => part.type === 'tool-call');
      lastHadCalls = calls.length > 0;
      let results: ToolModelMessage | undefined;
      if (lastHadCalls) {
        results = { role: 'tool', content: [] };
        for (const call of calls) {
          results.content.push(await runTool(call, tools, { messages, signal }));
        }
        messages.push(results);
      }
      record(sent, recordedAnswer(parts, usage, undefined), results);
      const step = stepMessages(assistant, results);
      if (step) run.remember?.({ kind: 'step', messages: step });
      if (signal.aborted || steps >= limits.maxSteps) break;
      if (lastHadCalls && !calls.some((call) => ENDING.has(call.toolName))) continue;
      // A follow-up that came as the model finished gets its answer too.
      const late = await readInbox();
      if (late.length === 0) break;
      messages.push(...late);
      summary = undefined;
    }

    if (signal.aborted) return { status: 'stopped', ...(summary ? { summary } : {}) };
    if (failure !== undefined) {
      return {
        status: 'failed',
        error: modelFailure(failure, this.options.modelName ?? modelId ?? model.modelId),
      };
    }
    if (summary !== undefined) return { status: 'finished', summary };
    if (lastHadCalls && steps >= limits.maxSteps) {
      return {
        status: 'stopped',
        error: {
          code: 'step_limit_reached',
          message: `The agent used all of its ${limits.maxSteps} steps without finishing.`,
        },
      };
    }
    return { status: 'finished', ...(lastText ? { summary: lastText } : {}) };
  }
}
