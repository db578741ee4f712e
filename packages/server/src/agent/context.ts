/**
 * @module agent/context
 * Keeps the built-in agent's conversation within its model's context window, and has the provider
 * cache what each step sends again. Before each model call ({@link AgentContext.send}) it counts the
 * request's tokens: the provider's count of the previous request's input plus an estimate of what
 * was added since (about four characters a token). Past 75% of the window it compacts, down to half:
 * first large tool outputs of older steps become short notes (`agent/compaction.ts`); if that is not
 * enough, older steps (and the conversation before the prompt) are summarised by the small model into
 * one "what I did and learned" message. The system prompt, the task's prompt, the plan (the first
 * step, when it says something) and the recent steps stay as they were, and a step's tool calls
 * stay with their results. A request the provider still refuses as too long is compacted harder
 * and sent once more. Each compaction is a `context.compacted` event on the task.
 */
import { readFileSync } from 'node:fs';
import { APICallError, generateText, RetryError, type LanguageModel, type ModelMessage } from 'ai';
import { convertToLanguageModelPrompt } from 'ai/internal';
import type { EventBody } from '@lucid/contracts';
import { costOf } from '../llm/cost.ts';
import {
  cutStep,
  estimateTokens,
  messagesTokens,
  noteOutputs,
  plainSummary,
  stepsOf,
  transcriptOf,
} from './compaction.ts';
import { cacheCall, cacheMarks, type CallOptions } from './prompt-cache.ts';

const SUMMARY_INSTRUCTIONS = readFileSync(
  new URL('./prompts/compact.txt', import.meta.url),
  'utf8',
);

type Model = Extract<LanguageModel, { specificationVersion: 'v3' }>;
type System = Parameters<typeof convertToLanguageModelPrompt>[0]['prompt']['system'];

/** Past this share of the window, the conversation is compacted… */
const THRESHOLD = 0.75;
/** …down to this share… */
const TARGET = 0.5;
/** …or this one, when the provider refused a request as too long. */
const HARD_TARGET = 0.3;
/** The share of the window a step's answer may take (the rest is the request's). */
const OUTPUT_SHARE = 0.2;
const MAX_OUTPUT_TOKENS = 32_000;
const SUMMARY_HEADER =
  'Summary of the earlier conversation and of my steps so far (older messages were compacted to ' +
  'fit the context window):\n\n';

/** What the agent knows of its model's context, and whether to compact and cache. */
export interface ContextSettings {
  /** The model's context window, in tokens. */
  window: number;
  /** Writes summaries of older steps; the agent's own model when absent. */
  summaryModel?: LanguageModel | undefined;
  /** The summary model's context window, in tokens; `window` when absent. */
  summaryWindow?: number | undefined;
  /** `provider/name` of the summary model, when the agent reports its usage itself. */
  summaryModelId?: string | undefined;
  /** Off: the conversation grows until the provider refuses it (a reference for benchmarks). */
  compact?: boolean | undefined;
  /** Off: no cache breakpoints nor cache key. */
  cache?: boolean | undefined;
  /** OpenAI's `prompt_cache_key`: one per task. */
  cacheKey?: string | undefined;
}

/** The parts of a model call the context prepares. */
export type ContextCall = Pick<
  CallOptions,
  'prompt' | 'tools' | 'providerOptions' | 'maxOutputTokens'
>;

/**
 * True when the provider refused the request for its length (Anthropic's "prompt is too long",
 * OpenAI's `context_length_exceeded`, Gemini's token count over the maximum, a 413).
 */
export function isContextLengthError(error: unknown): boolean {
  const last = RetryError.isInstance(error) ? error.lastError : error;
  if (!APICallError.isInstance(last)) return false;
  if (last.statusCode === 413) return true;
  const said = `${last.message} ${last.responseBody ?? ''}`;
  return (
    (last.statusCode === 400 || last.statusCode === undefined) &&
    /prompt is too long|context[_ ]length|context window|maximum context|too many tokens|input is too long|input token count/i.test(
      said,
    )
  );
}

export interface AgentContextOptions {
  model: Model;
  settings: ContextSettings;
  system: System;
  tools: CallOptions['tools'];
  /** The messages up to the task's prompt (the earlier conversation, then the prompt). */
  pinned: number;
  emit: (event: EventBody) => void;
  signal: AbortSignal;
  /** Told what the summary model answered, when it did (kept with the run's model exchanges). */
  onSummary?: (text: string) => void;
}

/**
 * @example
 * const context = new AgentContext({ model, settings: { window: 200_000 }, system, tools, pinned: messages.length, emit, signal });
 * const { stream } = await context.send(messages, (call) => model.doStream({ ...settings, ...call }));
 */
export class AgentContext {
  /** Tokens of the system prompt and tools. */
  private readonly fixed: number;
  /** Where the task's prompt stands: the messages before it are the earlier conversation. */
  private promptAt: number;
  private summary: ModelMessage | undefined;
  private plan: ModelMessage | undefined;
  /** The provider's count of the last request's input, and how many messages it held. */
  private measuredAt: { tokens: number; messages: number } | undefined;
  private sent: number | undefined;
  private pending: number | undefined;

  constructor(private readonly options: AgentContextOptions) {
    this.fixed =
      estimateTokens(JSON.stringify(options.system ?? '')) +
      estimateTokens(JSON.stringify(options.tools ?? []));
    this.promptAt = Math.max(0, options.pinned - 1);
  }

  private get window(): number {
    return this.options.settings.window;
  }

  /** The most an answer may take. */
  get maxOutputTokens(): number {
    return Math.max(256, Math.min(MAX_OUTPUT_TOKENS, Math.floor(this.window * OUTPUT_SHARE)));
  }

  /**
   * Tokens of a request holding `messages`: the provider's count of the previous request plus an
   * estimate of the messages since, or an estimate of it all after a compaction.
   */
  estimate(messages: readonly ModelMessage[]): number {
    const measured = this.measuredAt;
    if (measured && measured.messages <= messages.length) {
      return measured.tokens + messagesTokens(messages.slice(measured.messages));
    }
    return this.fixed + messagesTokens(messages);
  }

  /** The provider's count of the input of the request just sent. */
  measured(inputTokens: number | undefined): void {
    if (inputTokens && this.pending !== undefined) {
      this.measuredAt = { tokens: inputTokens, messages: this.pending };
    }
  }

  /**
   * Sends one step's request through `call`: compacts `messages` (in place) when the request would
   * pass the threshold, prepares the call (with cache marks), and when the provider refuses it as
   * too long, compacts harder and sends it once more.
   */
  async send<T>(
    messages: ModelMessage[],
    call: (options: ContextCall) => PromiseLike<T>,
  ): Promise<T> {
    const compacting = this.options.settings.compact !== false;
    if (compacting && this.estimate(messages) > this.window * THRESHOLD) {
      await this.compact(messages, TARGET, false);
    }
    try {
      return await call(await this.prepare(messages));
    } catch (error) {
      if (!compacting || !isContextLengthError(error)) throw error;
      await this.compact(messages, HARD_TARGET, true);
      return await call(await this.prepare(messages));
    }
  }

  private async prepare(messages: ModelMessage[]): Promise<ContextCall> {
    const { model, settings, system, tools, signal } = this.options;
    const caching = settings.cache !== false;
    const marked = caching ? cacheMarks(model, messages, this.sent) : messages;
    const prompt = await convertToLanguageModelPrompt({
      prompt: { system, messages: marked },
      supportedUrls: await model.supportedUrls,
      download: undefined,
      abortSignal: signal,
    });
    this.sent = messages.length;
    this.pending = messages.length;
    const call = caching
      ? cacheCall(model, { prompt, tools, cacheKey: settings.cacheKey })
      : { prompt, tools };
    return { ...call, maxOutputTokens: this.maxOutputTokens };
  }

  /** Shortens `messages` in place toward `share` of the window, and reports it when it could. */
  private async compact(messages: ModelMessage[], share: number, retried: boolean): Promise<void> {
    const before = this.estimate(messages);
    const target = this.window * share;
    const promptAt = Math.min(this.promptAt, Math.max(messages.length - 1, 0));
    const head = messages.slice(0, promptAt);
    const prompt = messages.slice(promptAt, promptAt + 1);
    let steps = stepsOf(messages.slice(promptAt + 1));
    this.plan ??=
      steps[0]?.[0]?.role === 'assistant' && hasText(steps[0][0]) ? steps[0][0] : undefined;
    const total = () => this.fixed + messagesTokens([...head, ...prompt, ...steps.flat()]);

    let outputsShortened = 0;
    for (let i = 0; i < steps.length - 1 && total() > target; i++) {
      const { step, noted } = noteOutputs(steps[i]!);
      steps[i] = step;
      outputsShortened += noted;
    }

    let stepsSummarised = 0;
    let kept = head;
    if (total() > target) {
      const planStep = steps[0]?.[0] === this.plan ? steps.slice(0, 1) : [];
      const rest = steps.slice(planStep.length);
      const recent: ModelMessage[][] = [];
      let recentTokens = 0;
      for (let i = rest.length - 1; i >= 0; i--) {
        const tokens = messagesTokens(rest[i]!);
        if (recent.length > 0 && recentTokens + tokens > target / 2) break;
        recent.unshift(rest[i]!);
        recentTokens += tokens;
      }
      const older = rest.slice(0, rest.length - recent.length);
      const summarised = [...head, ...older.flat()];
      if (summarised.length > 0) {
        stepsSummarised = older.filter((step) => step[0] !== this.summary).length;
        const text = await this.summarise(summarised, target);
        this.summary = { role: 'user', content: SUMMARY_HEADER + text };
        steps = [...planStep, [this.summary], ...recent];
        kept = [];
      }
    }

    // Still too big (a huge recent output): cut the middle of long texts, oldest first.
    const size = () => this.fixed + messagesTokens([...kept, ...prompt, ...steps.flat()]);
    for (let i = 0; i < steps.length && size() > target; i++) {
      steps[i] = cutStep(steps[i]!, Math.max(400, Math.floor(target)));
    }

    const compacted = [...kept, ...prompt, ...steps.flat()];
    const changed =
      compacted.length !== messages.length || compacted.some((m, i) => m !== messages[i]);
    if (!changed) return;
    messages.splice(0, messages.length, ...compacted);
    this.promptAt = kept.length;
    this.measuredAt = undefined;
    this.sent = undefined;
    this.options.emit({
      type: 'context.compacted',
      tokensBefore: before,
      tokensAfter: this.estimate(messages),
      window: this.window,
      outputsShortened,
      stepsSummarised,
      ...(retried ? { retried: true } : {}),
    });
  }

  /** "What I did and learned" from `messages`, by the summary model, else without a model. */
  private async summarise(messages: ModelMessage[], target: number): Promise<string> {
    const { settings, signal, model } = this.options;
    const window = Math.min(settings.summaryWindow ?? settings.window, settings.window);
    const maxOutputTokens = Math.max(200, Math.min(2_000, Math.floor(target / 4)));
    const maxChars = Math.floor(window * 0.5 * 4);
    try {
      const result = await generateText({
        model: settings.summaryModel ?? model,
        system: SUMMARY_INSTRUCTIONS,
        prompt: transcriptOf(messages, { maxChars }),
        maxOutputTokens,
        maxRetries: 1,
        abortSignal: signal,
      });
      if (settings.summaryModelId) this.reportUsage(settings.summaryModelId, result.usage);
      this.options.onSummary?.(result.text);
      const text = result.text.trim();
      if (text) return text.slice(0, maxOutputTokens * 4);
    } catch {
      // Compaction never fails a run: the summary is then made of the steps' own words.
    }
    return plainSummary(messages, maxOutputTokens * 4);
  }

  private reportUsage(
    model: string,
    usage: { inputTokens: number | undefined; outputTokens: number | undefined },
  ): void {
    const tokens = { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 };
    this.options.emit({ type: 'usage', model, ...tokens, costUsd: costOf(model, tokens).usd });
  }
}

function hasText(message: ModelMessage): boolean {
  if (typeof message.content === 'string') return message.content.trim() !== '';
  return message.content.some((part) => part.type === 'text' && part.text.trim() !== '');
}
