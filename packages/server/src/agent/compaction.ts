/**
 * @module agent/compaction
 * The pieces of compacting an agent's conversation, each on plain messages: token estimates, the
 * steps a conversation is made of (an assistant message with the tool results that answer it is
 * one step, never split), a large tool output turned into a short note that says how to see it
 * again, the transcript of older steps a summary is written from, and the summary written without
 * a model when none answers. `agent/context.ts` decides when and how much.
 */
import type { AssistantModelMessage, ModelMessage, ToolModelMessage, ToolResultPart } from 'ai';

/** Tool outputs longer than this (characters) are replaced by a note in older steps. */
export const NOTE_MIN_CHARS = 1_200;

const sizes = new WeakMap<object, number>();

/**
 * Tokens of a text, estimated as one per four characters (the providers' own tokenizers are not
 * available to a runner; the provider's count of each request corrects the estimate as it goes).
 *
 * @example
 * estimateTokens('abcdefgh'); // → 2
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Tokens of one message as it goes over the wire (JSON), remembered per message object. */
export function messageTokens(message: ModelMessage): number {
  let tokens = sizes.get(message);
  if (tokens === undefined) {
    tokens = estimateTokens(JSON.stringify(message));
    sizes.set(message, tokens);
  }
  return tokens;
}

/** Tokens of several messages. */
export function messagesTokens(messages: readonly ModelMessage[]): number {
  return messages.reduce((sum, message) => sum + messageTokens(message), 0);
}

/**
 * The conversation after the task's prompt in steps: an assistant message and the tool
 * messages answering its calls form one step, a user message (a follow-up, a summary) another.
 *
 * @example
 * stepsOf([assistant, tool, user]); // → [[assistant, tool], [user]]
 */
export function stepsOf(messages: readonly ModelMessage[]): ModelMessage[][] {
  const steps: ModelMessage[][] = [];
  for (const message of messages) {
    const last = steps.at(-1);
    if (message.role === 'tool' && last) last.push(message);
    else steps.push([message]);
  }
  return steps;
}

/** The text of a tool result's output, when it is text. */
function outputText(part: ToolResultPart): string | undefined {
  const { output } = part;
  if (output.type === 'text' || output.type === 'error-text') return output.value;
  if (output.type === 'json' || output.type === 'error-json') return JSON.stringify(output.value);
  return undefined;
}

/** What a tool call did, in a few words: `npm test`, `read_file src/a.ts`. */
export function describeCall(toolName: string, input: unknown): string {
  const fields = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const shown = (value: unknown) => String(value).replace(/\s+/g, ' ').slice(0, 120);
  if (typeof fields.command === 'string') return `\`${shown(fields.command)}\``;
  const target = fields.path ?? fields.pattern ?? fields.query;
  if (target !== undefined) return `${toolName} \`${shown(target)}\``;
  return toolName;
}

const FAILURE = /\b(FAIL(?:ED)?|ERROR|Error|error|panic|not ok|AssertionError|Traceback)\b|✗|✕|×/;

/**
 * A short note in place of a long tool output: what ran, how long its output was, how it ended,
 * its first failure, and how to see it all again.
 *
 * @example
 * outputNote('`npm test`', longOutput);
 * // → '[output of `npm test`: 2,314 lines, exit 1, first failure: "FAIL src/a.test.ts"; compacted, run it again to see it all]'
 */
export function outputNote(call: string, output: string): string {
  const lines = output.split('\n');
  const exit = /\[exit code ([^\]]+)\]\s*$/.exec(output)?.[1];
  const failure = lines
    .find((line) => FAILURE.test(line))
    ?.trim()
    .slice(0, 200);
  const facts = [`${lines.length.toLocaleString('en-US')} lines`];
  if (exit !== undefined) facts.push(`exit ${exit}`);
  if (failure) facts.push(`first failure: ${JSON.stringify(failure)}`);
  return `[output of ${call}: ${facts.join(', ')}; compacted, run it again to see it all]`;
}

/** The tool calls of an assistant message, by id. */
function callsOf(message: ModelMessage | undefined): Map<string, string> {
  const calls = new Map<string, string>();
  if (message?.role !== 'assistant' || typeof message.content === 'string') return calls;
  for (const part of message.content) {
    if (part.type === 'tool-call') {
      calls.set(part.toolCallId, describeCall(part.toolName, part.input));
    }
  }
  return calls;
}

/**
 * The step with each tool output longer than {@link NOTE_MIN_CHARS} replaced by its note (new
 * message objects; the step given is left as it was), and how many were replaced.
 */
export function noteOutputs(step: ModelMessage[]): { step: ModelMessage[]; noted: number } {
  const calls = callsOf(step[0]);
  let noted = 0;
  const result = step.map((message): ModelMessage => {
    if (message.role !== 'tool') return message;
    let changed = false;
    const content = message.content.map((part) => {
      if (part.type !== 'tool-result') return part;
      const text = outputText(part);
      if (text === undefined || text.length <= NOTE_MIN_CHARS) return part;
      changed = true;
      noted += 1;
      const note = outputNote(calls.get(part.toolCallId) ?? part.toolName, text);
      return { ...part, output: { type: 'text' as const, value: note } };
    });
    return changed ? ({ ...message, content } as ToolModelMessage) : message;
  });
  return { step: result, noted };
}

/**
 * The step with every text longer than `maxChars` cut in its middle (tool outputs, assistant and
 * user texts), for a conversation still too big once older steps are gone.
 */
export function cutStep(step: ModelMessage[], maxChars: number): ModelMessage[] {
  const cut = (text: string) =>
    text.length <= maxChars
      ? text
      : `${text.slice(0, maxChars / 2)}\n[… ${text.length - maxChars} characters compacted …]\n${text.slice(-maxChars / 2)}`;
  return step.map((message): ModelMessage => {
    if (typeof message.content === 'string') {
      return message.content.length <= maxChars
        ? message
        : ({ ...message, content: cut(message.content) } as ModelMessage);
    }
    if (message.role === 'tool') {
      const content = message.content.map((part) => {
        const text = part.type === 'tool-result' ? outputText(part) : undefined;
        if (part.type !== 'tool-result' || text === undefined || text.length <= maxChars) {
          return part;
        }
        return { ...part, output: { type: 'text' as const, value: cut(text) } };
      });
      return sameParts(content, message.content)
        ? message
        : ({ ...message, content } as ToolModelMessage);
    }
    if (message.role === 'assistant') {
      const content = message.content.map((part) =>
        part.type === 'text' && part.text.length > maxChars
          ? { ...part, text: cut(part.text) }
          : part,
      );
      return sameParts(content, message.content)
        ? message
        : ({ ...message, content } as AssistantModelMessage);
    }
    return message;
  });
}

const sameParts = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length && a.every((part, i) => part === b[i]);

/**
 * The messages as plain text for the summary model: who said what, each call with its input and
 * its result (cut to `perOutput` characters), the newest end kept when the whole passes `maxChars`.
 */
export function transcriptOf(
  messages: readonly ModelMessage[],
  { perOutput = 1_500, maxChars }: { perOutput?: number; maxChars: number },
): string {
  const lines: string[] = [];
  const short = (text: string) =>
    text.length <= perOutput ? text : `${text.slice(0, perOutput)} […]`;
  for (const message of messages) {
    if (typeof message.content === 'string') {
      lines.push(`${message.role === 'user' ? 'User' : 'Assistant'}: ${message.content}`);
      continue;
    }
    for (const part of message.content) {
      if (part.type === 'text') {
        lines.push(`${message.role === 'user' ? 'User' : 'Assistant'}: ${part.text}`);
      } else if (part.type === 'tool-call') {
        lines.push(`Assistant called ${part.toolName}: ${JSON.stringify(part.input)}`);
      } else if (part.type === 'tool-result') {
        lines.push(`Result of ${part.toolName}: ${short(outputText(part) ?? '')}`);
      }
    }
  }
  const text = lines.join('\n');
  return text.length <= maxChars ? text : `[…]\n${text.slice(-maxChars)}`;
}

/**
 * A summary made without a model (when the summary model fails): the user's messages and the
 * calls made, one line each, the newest kept when they pass `maxChars`.
 */
export function plainSummary(messages: readonly ModelMessage[], maxChars: number): string {
  const lines: string[] = [];
  for (const message of messages) {
    if (typeof message.content === 'string') {
      if (message.role === 'user') lines.push(`- The user said: ${message.content.slice(0, 300)}`);
      continue;
    }
    for (const part of message.content) {
      if (part.type === 'tool-call') {
        lines.push(`- I ran ${describeCall(part.toolName, part.input)}`);
      } else if (part.type === 'text' && message.role === 'user') {
        lines.push(`- The user said: ${part.text.slice(0, 300)}`);
      }
    }
  }
  const text = lines.join('\n');
  return text.length <= maxChars ? text : text.slice(-maxChars);
}
