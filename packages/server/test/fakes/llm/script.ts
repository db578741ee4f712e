/**
 * @module Scripted model turns for the fake LLM server: what each model request answers, in order.
 */

/** One tool call a scripted turn asks for. */
export interface ScriptedToolCall {
  name: string;
  input: Record<string, unknown>;
  /** Provider-style id; generated in the protocol's own format when left out. */
  id?: string;
  /** Anthropic only: streamed as the call's input instead of `input` as JSON (e.g. JSON cut short). */
  rawInput?: string;
}

/**
 * Token counts a turn reports. `inputTokens` excludes cached input; the fake folds the cache counts into
 * each protocol's own convention (Anthropic lists them beside `input_tokens`, OpenAI includes them in
 * `prompt_tokens`/`input_tokens` and details the cached part), so every SDK reports the same totals.
 */
export interface ScriptedUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  /** Anthropic only (`cache_creation_input_tokens`); OpenAI counts these as ordinary input. */
  cacheWriteTokens?: number;
}

/** One model answer: text, tool calls (after the text), or both. */
export interface ScriptStep {
  text?: string;
  /**
   * How the text streams, piece by piece (joined, they are the text, which they give when `text`
   * is left out); word by word by default.
   */
  textPieces?: string[];
  /** Anthropic only: a thinking block with its signature, streamed before the text. */
  reasoning?: { text: string; signature: string };
  toolCalls?: ScriptedToolCall[];
  /** Omitted: estimated from the request and answer sizes (about four characters per token). */
  usage?: ScriptedUsage;
  /** Pause before each streamed event after the first: 20 gives about 50 tokens/s. */
  delayMs?: number;
  /**
   * The answer waits for this before it starts: a request held in flight until the test lets it
   * go. A client that hangs up meanwhile is recorded as having abandoned the request.
   */
  hold?: Promise<void>;
  /**
   * Which requests this step answers (given the parsed body); any by default. A request no queued
   * step accepts is answered with the fallback text, so steps meant for an agent's tool loop can
   * skip a client's side requests (a title, a summary) that offer no tools.
   */
  when?: (body: Record<string, unknown>) => boolean;
}

/**
 * True when a request offers the model tools (`tools` non-empty), in any of the three protocols.
 *
 * @example
 * fake.script([{ when: offersTools, toolCalls: [...] }]);
 */
export function offersTools(body: Record<string, unknown>): boolean {
  return Array.isArray(body.tools) && body.tools.length > 0;
}

/** The answer given once the script is used up. */
export const FALLBACK_STEP: ScriptStep = { text: 'done' };

/** Tool names and the finishing move of {@link shellTrajectory}. */
export interface ShellTrajectoryOptions {
  /** Name of the command tool; default `bash`. */
  shellTool?: string;
  /** When set, the last step calls this tool with `{ summary: finalText }` instead of answering in text. */
  finishTool?: string;
}

/**
 * The common agent trajectory: one command tool call per step, then a final answer.
 *
 * @example
 * fake.script(shellTrajectory([{ command: 'npm test' }], 'All tests pass.'));
 * // → bash {command:'npm test'}, then the text "All tests pass."
 */
export function shellTrajectory(
  commands: Array<{ command: string } & Record<string, unknown>>,
  finalText: string,
  options: ShellTrajectoryOptions = {},
): ScriptStep[] {
  const shellTool = options.shellTool ?? 'bash';
  const steps: ScriptStep[] = commands.map((input) => ({
    toolCalls: [{ name: shellTool, input: { ...input } }],
  }));
  steps.push(
    options.finishTool
      ? { toolCalls: [{ name: options.finishTool, input: { summary: finalText } }] }
      : { text: finalText },
  );
  return steps;
}

/**
 * Splits text into token-like pieces (a word with its leading whitespace), so that joined they give
 * the text back exactly.
 */
export function splitTokens(text: string): string[] {
  return text.match(/\s*\S+|\s+/g) ?? [];
}

/** The pieces a turn's text streams in: the script's own, else word by word. */
export function textPieces(turn: { text: string; textPieces?: string[] | undefined }): string[] {
  return turn.textPieces ?? splitTokens(turn.text);
}

/** Splits a serialised JSON value into short pieces, the way providers stream tool arguments. */
export function splitJson(json: string, size = 12): string[] {
  const pieces: string[] = [];
  for (let at = 0; at < json.length; at += size) pieces.push(json.slice(at, at + size));
  return pieces;
}

/**
 * Resolves a step's usage, estimating what the script left out. Without scripted usage, the input
 * is the request's estimate, of which `cache` says what the provider's cache read and wrote.
 */
export function resolveUsage(
  step: ScriptStep,
  requestBody: unknown,
  cache: { read: number; written: number } = { read: 0, written: 0 },
): Required<ScriptedUsage> {
  const answer =
    (step.text ?? '') + (step.toolCalls ?? []).map((call) => JSON.stringify(call.input)).join('');
  if (step.usage) {
    return {
      inputTokens: step.usage.inputTokens,
      outputTokens: step.usage.outputTokens,
      cacheReadTokens: step.usage.cacheReadTokens ?? 0,
      cacheWriteTokens: step.usage.cacheWriteTokens ?? 0,
    };
  }
  const total = requestTokens(requestBody);
  return {
    inputTokens: Math.max(0, total - cache.read - cache.written),
    outputTokens: estimateTokens(answer),
    cacheReadTokens: cache.read,
    cacheWriteTokens: cache.written,
  };
}

/** A request's input tokens as the fake counts them: four characters a token of its JSON body. */
export function requestTokens(requestBody: unknown): number {
  return estimateTokens(JSON.stringify(requestBody) ?? '');
}

/** Tokens of a text, as the fake counts them (about four characters a token). */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
