/**
 * @module agent/cli/claude-code
 * Claude Code as a Lucid agent: `claude -p --output-format stream-json --verbose`, pinned. Its npm
 * package ships a native program per platform (`@anthropic-ai/claude-code-<os>-<arch>`), so the
 * runner installs that package alone and the sandbox needs no Node.js. It speaks the Anthropic
 * Messages API: `ANTHROPIC_BASE_URL` is the gateway's `/llm/anthropic`, `ANTHROPIC_API_KEY` the
 * run token. Its settings file turns off updates, telemetry and other traffic besides the model.
 *
 * Stream: `system` (init), `assistant` messages (text and `tool_use` blocks), `user` messages
 * carrying `tool_result` blocks, and one final `result` (`subtype` success, error_max_turns,
 * error_during_execution…; `result` is the last answer). Each line carries the `session_id`, which
 * a follow-up run resumes (`--resume <id>`) while the session's file is in the sandbox
 * (`~/.claude/projects/<folder>/<id>.jsonl`).
 */
import type { EventBody } from '@lucid/contracts';
import type { AgentOutcome } from '../agent.ts';
import { contentText, type CliAgentDefinition, type StreamMapper } from './cli-agent.ts';

export const CLAUDE_CODE_VERSION = '2.1.330';

/** No updates, telemetry, error reports or other calls than the model's. */
const QUIET = {
  DISABLE_AUTOUPDATER: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
};

interface ContentBlock {
  type?: string;
  text?: string;
  name?: string;
  input?: unknown;
  content?: unknown;
  is_error?: boolean;
}

interface ClaudeMessage {
  type?: string;
  session_id?: string;
  subtype?: string;
  is_error?: boolean;
  result?: string;
  errors?: unknown;
  message?: { content?: ContentBlock[] | string };
}

export function claudeCodeMapper(): StreamMapper {
  let outcome: AgentOutcome | undefined;
  let session: string | undefined;
  return {
    line(raw) {
      const message = raw as ClaudeMessage;
      if (typeof message.session_id === 'string') session = message.session_id;
      const events: EventBody[] = [];
      const content = Array.isArray(message.message?.content) ? message.message.content : [];
      if (message.type === 'assistant') {
        const text = content
          .filter((block) => block.type === 'text')
          .map((block) => block.text ?? '')
          .join('');
        if (text.trim()) events.push({ type: 'message.assistant', text });
        for (const block of content) {
          if (block.type !== 'tool_use') continue;
          const input = block.input;
          events.push({
            type: 'tool.call',
            tool: block.name ?? 'tool',
            input:
              typeof input === 'object' && input !== null && !Array.isArray(input)
                ? (input as Record<string, unknown>)
                : { value: input },
          });
        }
      } else if (message.type === 'user') {
        for (const block of content) {
          if (block.type !== 'tool_result') continue;
          const output = contentText(block.content);
          if (output) events.push({ type: 'tool.output', stream: 'stdout', chunk: output });
          events.push({ type: 'tool.result', ok: block.is_error !== true });
        }
      } else if (message.type === 'result') {
        outcome = resultOutcome(message);
      }
      return events;
    },
    outcome: () => outcome,
    session: () => session,
  };
}

function resultOutcome(message: ClaudeMessage): AgentOutcome {
  const summary = typeof message.result === 'string' ? message.result.trim() : '';
  if (message.subtype === 'success' && message.is_error !== true) {
    return { status: 'finished', ...(summary ? { summary } : {}) };
  }
  if (message.subtype === 'error_max_turns') {
    return {
      status: 'stopped',
      error: {
        code: 'step_limit_reached',
        message: 'Claude Code used all of its turns without finishing.',
      },
    };
  }
  const detail =
    summary || (Array.isArray(message.errors) ? message.errors.map(String).join('; ') : '');
  return {
    status: 'failed',
    error: {
      code: 'agent_failed',
      message: `Claude Code failed (${message.subtype ?? 'error'})${detail ? `: ${detail}` : '.'}`,
    },
  };
}

export const claudeCode: CliAgentDefinition = {
  name: 'claude-code',
  version: CLAUDE_CODE_VERSION,
  providers: ['anthropic'],
  packages: ({ os, arch }) => [`@anthropic-ai/claude-code-${os}-${arch}@${CLAUDE_CODE_VERSION}`],
  invocation: (context) => {
    const model = context.model.slice(context.model.indexOf('/') + 1);
    return {
      argv: [
        `${context.installDir}/node_modules/@anthropic-ai/claude-code-linux-${process.arch}/claude`,
        '-p',
        context.prompt,
        '--output-format',
        'stream-json',
        '--verbose',
        '--model',
        model,
        '--max-turns',
        String(context.maxSteps),
        '--dangerously-skip-permissions',
        ...(context.resume ? ['--resume', context.resume] : []),
      ],
      env: {
        ANTHROPIC_BASE_URL: `${context.gatewayUrl}/anthropic`,
        ANTHROPIC_API_KEY: context.apiKey,
        // The sandbox is the isolation: permission prompts have no one to answer them.
        IS_SANDBOX: '1',
        ...QUIET,
      },
      files: [
        {
          path: `${context.home}/.claude/settings.json`,
          content: `${JSON.stringify(
            {
              env: QUIET,
            },
            null,
            2,
          )}\n`,
        },
      ],
    };
  },
  mapper: claudeCodeMapper,
  sessions: {
    folder: (home) => `${home}/.claude/projects`,
    file: (id) => `${id}.jsonl`,
  },
};
