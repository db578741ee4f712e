/**
 * @module agent/lucid-agent
 * The built-in agent `lucid`: a tool loop on the AI SDK's `streamText`. Text streams out as
 * `message.delta` events and is stored whole per step as `message.assistant`. Its model calls go
 * through Lucid's LLM gateway, which records each call's usage and cost on the task. The model
 * sees the task's earlier conversation before the prompt, and the user's follow-ups (the run's
 * inbox) are added as user messages before each model step. The loop ends when the model calls `finish`, answers without a tool call,
 * reaches the step limit, or the run is stopped. Failed model calls are retried with backoff on
 * 408/409/429/5xx (the SDK waits as `retry-after-ms` or `retry-after` ask when under a minute);
 * a failure that outlasts the retries fails the run with the provider's message.
 */
import {
  APICallError,
  hasToolCall,
  RetryError,
  stepCountIs,
  streamText,
  type LanguageModel,
  type ModelMessage,
} from 'ai';
import type { EventBody } from '@lucid/contracts';
import { costOf } from '../llm/cost.ts';
import type { Agent, AgentOutcome, AgentRunOptions } from './agent.ts';
import { systemPrompt } from './system-prompt.ts';
import { bindTools, FINISH } from './tools/index.ts';

export interface LucidAgentOptions {
  model: LanguageModel;
  /**
   * `provider/name`: when set, the agent reports each step's usage and cost itself, for a model
   * called directly rather than through the gateway (which records usage on its own).
   */
  modelId?: string;
  /** Retries of a failed model call (429, 5xx…), with exponential backoff. */
  maxRetries?: number;
}

/** The provider's own words from a failed call. */
export function providerMessage(error: unknown): string {
  const last = RetryError.isInstance(error) ? error.lastError : error;
  if (APICallError.isInstance(last)) {
    return `The model provider answered ${last.statusCode ?? 'an error'}: ${last.message}`;
  }
  return last instanceof Error ? last.message : String(last);
}

function usageEvent(
  model: string,
  usage: {
    inputTokens?: number | undefined;
    outputTokens?: number | undefined;
    inputTokenDetails: { cacheReadTokens?: number | undefined };
  },
): EventBody {
  const cached = usage.inputTokenDetails.cacheReadTokens;
  const tokens = {
    inputTokens: usage.inputTokens ?? 0,
    outputTokens: usage.outputTokens ?? 0,
    ...(cached ? { cachedInputTokens: cached } : {}),
  };
  return { type: 'usage', model, ...tokens, costUsd: costOf(model, tokens).usd };
}

/** A user message read from the inbox, and where it goes among the step's messages. */
interface Injected {
  at: number;
  message: ModelMessage;
}

/** The messages with each injected one put back at its place (`injected` is in order of place). */
function withInjected(messages: ModelMessage[], injected: Injected[]): ModelMessage[] {
  const out: ModelMessage[] = [];
  let next = 0;
  for (let i = 0; i <= messages.length; i += 1) {
    while (injected[next]?.at === i) out.push(injected[next++]!.message);
    if (i < messages.length) out.push(messages[i]!);
  }
  return out;
}

export class LucidAgent implements Agent {
  constructor(private readonly options: LucidAgentOptions) {}

  async run(run: AgentRunOptions): Promise<AgentOutcome> {
    const { emit, signal, limits } = run;
    const { model, modelId } = this.options;
    let summary: string | undefined;
    const tools = bindTools({
      sandbox: run.sandbox,
      shell: run.shell,
      emit,
      signal,
      secrets: run.secrets,
      finish: (text) => {
        summary = text;
      },
    });
    const system = await systemPrompt(run.sandbox);
    const readInbox = async (): Promise<ModelMessage[]> => {
      const texts = await run.inbox?.().catch(() => []);
      return (texts ?? []).map((text) => ({ role: 'user', content: text }));
    };
    let messages: ModelMessage[] = [
      ...(run.history ?? []).map(({ role, text }) => ({ role, content: text })),
      { role: 'user', content: run.prompt },
    ];

    let text = '';
    let lastText = '';
    let steps = 0;
    let lastReason: string | undefined;
    let failure: unknown;
    for (;;) {
      // Follow-ups read before a step go after the messages the step starts from; the SDK
      // rebuilds each step's messages from the prompt and responses, so they are put back each time.
      const injected: Injected[] = [];
      const result = streamText({
        model,
        system,
        messages,
        tools,
        stopWhen: [stepCountIs(limits.maxSteps - steps), hasToolCall(FINISH)],
        prepareStep: async ({ messages: current }) => {
          for (const message of await readInbox()) injected.push({ at: current.length, message });
          return injected.length > 0 ? { messages: withInjected(current, injected) } : {};
        },
        maxRetries: this.options.maxRetries ?? 3,
        abortSignal: signal,
        onError: () => {},
      });
      try {
        for await (const part of result.fullStream) {
          if (part.type === 'text-delta') {
            if (part.text) emit({ type: 'message.delta', text: part.text });
            text += part.text;
          } else if (part.type === 'finish-step') {
            steps += 1;
            lastReason = part.finishReason;
            if (text.trim()) emit({ type: 'message.assistant', text });
            if (text.trim()) lastText = text.trim();
            text = '';
            if (modelId) emit(usageEvent(modelId, part.usage));
          } else if (part.type === 'error') {
            failure = part.error;
          }
        }
      } catch (error) {
        failure ??= error;
      }
      if (signal.aborted || failure !== undefined || steps >= limits.maxSteps) break;
      // A follow-up that came as the model finished gets its answer too.
      const late = await readInbox();
      if (late.length === 0) break;
      const { messages: response } = await result.response;
      messages = [...withInjected([...messages, ...response], injected), ...late];
      summary = undefined;
    }

    if (signal.aborted) return { status: 'stopped', ...(summary ? { summary } : {}) };
    if (failure !== undefined) {
      return {
        status: 'failed',
        error: { code: 'model_failed', message: providerMessage(failure) },
      };
    }
    if (summary !== undefined) return { status: 'finished', summary };
    if (lastReason === 'tool-calls' && steps >= limits.maxSteps) {
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
