/**
 * @module agent/history
 * The built-in agent's memory in the AI SDK's own shape. A step is recorded as the model saw it:
 * its assistant message (text and tool calls) and the tool message holding every result, already
 * masked and cut to size. A later run gets the task's history back as `ModelMessage[]`: user
 * messages, other agents' answers, and those steps with their `tool-call` and `tool-result`
 * parts, which the SDK turns into each provider's format. Reasoning and provider metadata (item
 * ids, signatures) stay with the run that made them: they refer to that run's own calls.
 */
import type { AssistantModelMessage, ModelMessage, ToolModelMessage } from 'ai';
import type { HistoryItem, StepMessage } from '@lucid/contracts';

/**
 * The earlier task as model messages, oldest first.
 *
 * @example
 * const messages = [...historyMessages(run.history ?? []), { role: 'user', content: run.prompt }];
 */
export function historyMessages(history: readonly HistoryItem[]): ModelMessage[] {
  const messages: ModelMessage[] = [];
  for (const item of history) {
    if (item.role === 'step') messages.push(...item.messages.map(modelMessage));
    else messages.push({ role: item.role, content: item.text });
  }
  return messages;
}

function modelMessage(message: StepMessage): ModelMessage {
  if (message.role === 'tool') return message as ToolModelMessage;
  return {
    role: 'assistant',
    content: message.content.map((part) =>
      part.type === 'text' ? part : { ...part, input: part.input ?? {} },
    ),
  };
}

/**
 * One step as it is kept: the assistant's text and tool calls, and the tool results; reasoning
 * and provider metadata left out. Undefined when the step said and called nothing.
 *
 * @example
 * const step = stepMessages(assistant, results);
 * if (step) run.remember?.({ kind: 'step', messages: step });
 */
export function stepMessages(
  assistant: AssistantModelMessage | undefined,
  tool: ToolModelMessage | undefined,
): StepMessage[] | undefined {
  const content: Extract<StepMessage, { role: 'assistant' }>['content'] = [];
  for (const part of typeof assistant?.content === 'string'
    ? [{ type: 'text' as const, text: assistant.content }]
    : (assistant?.content ?? [])) {
    if (part.type === 'text' && part.text.length > 0) {
      content.push({ type: 'text', text: part.text });
    } else if (part.type === 'tool-call') {
      const { toolCallId, toolName, input } = part;
      content.push({ type: 'tool-call', toolCallId, toolName, input });
    }
  }
  const results: Extract<StepMessage, { role: 'tool' }>['content'] = [];
  for (const part of tool?.content ?? []) {
    if (part.type !== 'tool-result') continue;
    const { toolCallId, toolName, output } = part;
    if (output.type === 'text' || output.type === 'error-text' || output.type === 'json') {
      results.push({ type: 'tool-result', toolCallId, toolName, output });
    } else {
      results.push({
        type: 'tool-result',
        toolCallId,
        toolName,
        output: { type: 'text', value: JSON.stringify(output) },
      });
    }
  }
  // Whole steps only: a call stays with its result, or goes.
  const answered = new Set(results.map((result) => result.toolCallId));
  const kept = content.filter((part) => part.type === 'text' || answered.has(part.toolCallId));
  if (kept.length === 0) return undefined;
  const messages: StepMessage[] = [{ role: 'assistant', content: kept }];
  if (results.length > 0) messages.push({ role: 'tool', content: results });
  return messages;
}
