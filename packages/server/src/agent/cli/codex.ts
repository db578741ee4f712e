/**
 * @module agent/cli/codex
 * OpenAI's Codex CLI as a Lucid agent: `codex exec --json`, pinned. Its npm package ships a static
 * native program per platform (`@openai/codex@<version>-<os>-<arch>`), installed alone. Its
 * `config.toml` (under its own `CODEX_HOME`) names one model provider, `lucid`, at the gateway's
 * `/llm/openai/v1` speaking the Responses API, whose key is read from `LUCID_RUN_TOKEN`: the run
 * token lives in the process's environment, never in a file. Codex's own sandbox is off (the
 * Lucid sandbox is the isolation) and it never asks for approval.
 *
 * Stream (JSON lines): `thread.started`, `turn.started`, `item.started`/`item.completed` with
 * items `command_execution` (command, aggregated_output, exit_code), `file_change`,
 * `agent_message` (text), `reasoning`, `error` (a warning; the turn goes on), then
 * `turn.completed` (usage) or `turn.failed` / `error` (message). `thread.started` names the
 * session (`thread_id`), which a follow-up run resumes (`codex exec resume <id> <prompt>`) while its
 * file is in the sandbox (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-…-<id>.jsonl`).
 */
import type { EventBody } from '@lucid/contracts';
import type { AgentOutcome } from '../agent.ts';
import type { CliAgentDefinition, StreamMapper } from './cli-agent.ts';

export const CODEX_VERSION = '0.169.0';

const TARGETS: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' };

interface CodexItem {
  id?: string;
  type?: string;
  text?: string;
  command?: string;
  aggregated_output?: string;
  exit_code?: number | null;
  status?: string;
  changes?: Array<{ path?: string; kind?: string }>;
  message?: string;
}

interface CodexLine {
  type?: string;
  thread_id?: string;
  item?: CodexItem;
  message?: string;
  error?: { message?: string };
}

export function codexMapper(): StreamMapper {
  let outcome: AgentOutcome | undefined;
  let session: string | undefined;
  let lastMessage = '';
  const called = new Set<string>();
  const call = (item: CodexItem): EventBody | undefined => {
    if (item.id && called.has(item.id)) return undefined;
    if (item.id) called.add(item.id);
    if (item.type === 'command_execution') {
      return { type: 'tool.call', tool: 'bash', input: { command: item.command ?? '' } };
    }
    return { type: 'tool.call', tool: 'apply_patch', input: { changes: item.changes ?? [] } };
  };
  return {
    line(raw) {
      const message = raw as CodexLine;
      if (message.type === 'thread.started' && typeof message.thread_id === 'string') {
        session = message.thread_id;
      }
      const item = message.item;
      const events: EventBody[] = [];
      const tool = item?.type === 'command_execution' || item?.type === 'file_change';
      if (message.type === 'item.started' && item && tool) {
        const event = call(item);
        if (event) events.push(event);
      } else if (message.type === 'item.completed' && item) {
        if (tool) {
          const event = call(item);
          if (event) events.push(event);
        }
        if (item.type === 'command_execution') {
          if (item.aggregated_output) {
            events.push({ type: 'tool.output', stream: 'stdout', chunk: item.aggregated_output });
          }
          events.push({
            type: 'tool.result',
            ok: item.exit_code === 0,
            exitCode: item.exit_code ?? null,
          });
        } else if (item.type === 'file_change') {
          events.push({ type: 'tool.result', ok: item.status !== 'failed' });
        } else if (item.type === 'agent_message' && item.text?.trim()) {
          lastMessage = item.text.trim();
          events.push({ type: 'message.assistant', text: item.text });
        }
      } else if (message.type === 'turn.completed') {
        outcome = { status: 'finished', ...(lastMessage ? { summary: lastMessage } : {}) };
      } else if (message.type === 'turn.failed' || message.type === 'error') {
        const why = message.error?.message ?? message.message ?? 'it reported an error';
        outcome = {
          status: 'failed',
          error: { code: 'agent_failed', message: `Codex failed: ${why}` },
        };
      }
      return events;
    },
    outcome: () => outcome,
    session: () => session,
  };
}

/** A TOML basic string. */
function toml(value: string): string {
  return JSON.stringify(value);
}

export const codex: CliAgentDefinition = {
  name: 'codex',
  version: CODEX_VERSION,
  providers: ['openai'],
  packages: ({ os, arch }) => [`@openai/codex@${CODEX_VERSION}-${os}-${arch}`],
  invocation: (context) => {
    const model = context.model.slice(context.model.indexOf('/') + 1);
    const target = `${TARGETS[process.arch] ?? process.arch}-unknown-linux-musl`;
    const codexHome = `${context.home}/.codex`;
    return {
      argv: [
        `${context.installDir}/node_modules/@openai/codex/vendor/${target}/bin/codex`,
        'exec',
        ...(context.resume ? ['resume'] : []),
        '--json',
        '--skip-git-repo-check',
        '--dangerously-bypass-approvals-and-sandbox',
        '--model',
        model,
        ...(context.resume ? [context.resume] : []),
        context.prompt,
      ],
      env: { CODEX_HOME: codexHome, LUCID_RUN_TOKEN: context.apiKey },
      files: [
        {
          path: `${codexHome}/config.toml`,
          content: [
            `model = ${toml(model)}`,
            'model_provider = "lucid"',
            'approval_policy = "never"',
            'sandbox_mode = "danger-full-access"',
            'check_for_update_on_startup = false',
            '',
            '[model_providers.lucid]',
            'name = "Lucid"',
            `base_url = ${toml(`${context.gatewayUrl}/openai/v1`)}`,
            'env_key = "LUCID_RUN_TOKEN"',
            'wire_api = "responses"',
            '',
            '[analytics]',
            'enabled = false',
            '',
          ].join('\n'),
        },
      ],
    };
  },
  mapper: codexMapper,
  sessions: {
    folder: (home) => `${home}/.codex/sessions`,
    file: (id) => `rollout-*-${id}.jsonl`,
  },
};
