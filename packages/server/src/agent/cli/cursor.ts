/**
 * @module agent/cli/cursor
 * Cursor's CLI (`cursor-agent -p --output-format stream-json`): the mapping of its stream to
 * Lucid's events. Cursor ships its CLI only from its own download site, not through npm, so no
 * runner installs it yet and the agent is not offered; the mapping is ready for when it is.
 *
 * Stream (NDJSON; the envelope as Cursor documents it, the per-tool result fields as published
 * streams show them, so unknown fields are tolerated): `system` (init: model, cwd, session), `user` (the
 * prompt), `assistant` (message.content text blocks), `tool_call` with subtype `started` or
 * `completed`, a `call_id`, and `tool_call` holding one key: `<kind>ToolCall` (`shellToolCall`,
 * `readToolCall`, `writeToolCall`, `editToolCall`…, each with `args` and, when completed,
 * `result.success` or `result.error`/`result.failure`) or `function` (`name`, JSON `arguments`);
 * the last line is `result` (`subtype` success, `is_error`, `result` = the whole answer). A run
 * that fails exits non-zero with its message on stderr and no result line.
 */
import type { EventBody } from '@lucid/contracts';
import type { AgentOutcome } from '../agent.ts';
import type { StreamMapper } from './cli-agent.ts';

interface CursorToolCall {
  args?: unknown;
  arguments?: unknown;
  name?: string;
  result?: {
    success?: Record<string, unknown>;
    error?: Record<string, unknown> | string;
    failure?: Record<string, unknown> | string;
  };
}

interface CursorLine {
  type?: string;
  subtype?: string;
  is_error?: boolean;
  result?: string;
  call_id?: string;
  message?: { content?: Array<{ type?: string; text?: string }> };
  tool_call?: Record<string, CursorToolCall>;
}

function objectOf(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') {
    try {
      return objectOf(JSON.parse(value));
    } catch {
      return { value };
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** The tool's name and its call, from `{ shellToolCall: … }` or `{ function: … }`. */
function toolOf(line: CursorLine): { tool: string; call: CursorToolCall } | undefined {
  const [key, call] = Object.entries(line.tool_call ?? {})[0] ?? [];
  if (!key || !call) return undefined;
  if (key === 'function') return { tool: call.name ?? 'function', call };
  return { tool: key.replace(/ToolCall$/, ''), call };
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function cursorMapper(): StreamMapper {
  let outcome: AgentOutcome | undefined;
  const started = new Set<string>();
  return {
    line(raw) {
      const line = raw as CursorLine;
      const events: EventBody[] = [];
      if (line.type === 'assistant') {
        const said = (line.message?.content ?? [])
          .filter((block) => block.type === 'text')
          .map((block) => block.text ?? '')
          .join('');
        if (said.trim()) events.push({ type: 'message.assistant', text: said });
      } else if (line.type === 'tool_call') {
        const found = toolOf(line);
        if (!found) return events;
        const { tool, call } = found;
        const id = line.call_id ?? '';
        if (!started.has(id)) {
          started.add(id);
          events.push({ type: 'tool.call', tool, input: objectOf(call.args ?? call.arguments) });
        }
        if (line.subtype !== 'completed') return events;
        const success = call.result?.success;
        const failure = call.result?.error ?? call.result?.failure;
        if (success) {
          const exitCode = typeof success.exitCode === 'number' ? success.exitCode : undefined;
          const stdout = text(success.stdout ?? success.content ?? success.output);
          const stderr = text(success.stderr);
          if (stdout) events.push({ type: 'tool.output', stream: 'stdout', chunk: stdout });
          if (stderr) events.push({ type: 'tool.output', stream: 'stderr', chunk: stderr });
          events.push({
            type: 'tool.result',
            ok: exitCode === undefined || exitCode === 0,
            ...(exitCode === undefined ? {} : { exitCode }),
          });
        } else {
          const detail = objectOf(failure);
          const message = text(detail.stderr ?? detail.message ?? detail.error ?? failure);
          if (message) events.push({ type: 'tool.output', stream: 'stderr', chunk: message });
          const exitCode = typeof detail.exitCode === 'number' ? detail.exitCode : undefined;
          events.push({
            type: 'tool.result',
            ok: false,
            ...(exitCode === undefined ? {} : { exitCode }),
          });
        }
      } else if (line.type === 'result') {
        const summary = (line.result ?? '').trim();
        outcome =
          line.subtype === 'success' && line.is_error !== true
            ? { status: 'finished', ...(summary ? { summary } : {}) }
            : {
                status: 'failed',
                error: {
                  code: 'agent_failed',
                  message: `Cursor failed (${line.subtype ?? 'error'})${summary ? `: ${summary}` : '.'}`,
                },
              };
      }
      return events;
    },
    outcome: () => outcome,
  };
}
