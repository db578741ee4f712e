/**
 * @module agent/cli/opencode
 * opencode as a Lucid agent: `opencode run --format json`, pinned. Its npm package ships a native
 * program per platform (`opencode-<os>-<arch>`), installed alone. Its config (`OPENCODE_CONFIG`)
 * declares one provider, `lucid`, on the AI SDK's OpenAI-compatible client at the gateway's Chat
 * Completions path (`/llm/openai-compatible/v1`, or `/llm/openai/v1` for `openai-chat/…` models),
 * its key read from `LUCID_RUN_TOKEN`; every permission is allowed (the sandbox is the
 * isolation), updates, sharing, plugins and the models.dev download are off.
 *
 * Stream (JSON lines, each with a `part`): `step_start`, `text` (part.text), `tool_use` (part.tool,
 * part.state: input, output, metadata.exit, status completed/error), `step_finish` (reason,
 * tokens), `error` (error.data.message or error.name). There is no final result line: the run
 * finished when the program exits 0 without an error.
 */
import type { EventBody } from '@lucid/contracts';
import type { AgentOutcome } from '../agent.ts';
import type { CliAgentDefinition, StreamMapper } from './cli-agent.ts';

export const OPENCODE_VERSION = '1.18.33';

interface OpencodeLine {
  type?: string;
  part?: {
    text?: string;
    tool?: string;
    state?: {
      status?: string;
      input?: unknown;
      output?: string;
      error?: string;
      metadata?: { exit?: number | null };
    };
  };
  error?: { name?: string; data?: { message?: string } };
}

export function opencodeMapper(): StreamMapper {
  let error: string | undefined;
  let lastText = '';
  return {
    line(raw) {
      const message = raw as OpencodeLine;
      const events: EventBody[] = [];
      const part = message.part;
      if (message.type === 'text' && part?.text?.trim()) {
        lastText = part.text.trim();
        events.push({ type: 'message.assistant', text: part.text });
      } else if (message.type === 'tool_use' && part?.state) {
        const { state } = part;
        const input = state.input;
        events.push({
          type: 'tool.call',
          tool: part.tool ?? 'tool',
          input:
            typeof input === 'object' && input !== null && !Array.isArray(input)
              ? (input as Record<string, unknown>)
              : {},
        });
        const output = state.output ?? state.error ?? '';
        if (output) events.push({ type: 'tool.output', stream: 'stdout', chunk: output });
        const exit = state.metadata?.exit;
        events.push({
          type: 'tool.result',
          ok: state.status === 'completed' && (exit === undefined || exit === null || exit === 0),
          ...(typeof exit === 'number' ? { exitCode: exit } : {}),
        });
      } else if (message.type === 'error') {
        error = message.error?.data?.message ?? message.error?.name ?? 'it reported an error';
      }
      return events;
    },
    outcome(exitCode): AgentOutcome | undefined {
      if (error !== undefined) {
        return {
          status: 'failed',
          error: { code: 'agent_failed', message: `opencode failed: ${error}` },
        };
      }
      if (exitCode !== 0) return undefined;
      return { status: 'finished', ...(lastText ? { summary: lastText } : {}) };
    },
  };
}

export const opencode: CliAgentDefinition = {
  name: 'opencode',
  version: OPENCODE_VERSION,
  providers: ['openai-compatible', 'openai-chat'],
  packages: ({ os, arch }) => [`opencode-${os}-${arch}@${OPENCODE_VERSION}`],
  invocation: (context) => {
    const slash = context.model.indexOf('/');
    const provider = context.model.slice(0, slash);
    const model = context.model.slice(slash + 1);
    const path = provider === 'openai-chat' ? 'openai' : 'openai-compatible';
    const config = `${context.home}/.config/opencode/opencode.json`;
    return {
      argv: [
        `${context.installDir}/node_modules/opencode-linux-${process.arch}/bin/opencode`,
        'run',
        '--format',
        'json',
        '--pure',
        '--auto',
        '--model',
        `lucid/${model}`,
        context.prompt,
      ],
      env: {
        OPENCODE_CONFIG: config,
        OPENCODE_DISABLE_MODELS_FETCH: '1',
        OPENCODE_DISABLE_AUTOUPDATE: '1',
        LUCID_RUN_TOKEN: context.apiKey,
      },
      files: [
        {
          path: config,
          content: `${JSON.stringify(
            {
              $schema: 'https://opencode.ai/config.json',
              autoupdate: false,
              share: 'disabled',
              permission: { '*': 'allow' },
              provider: {
                lucid: {
                  npm: '@ai-sdk/openai-compatible',
                  name: 'Lucid',
                  options: {
                    baseURL: `${context.gatewayUrl}/${path}/v1`,
                    apiKey: '{env:LUCID_RUN_TOKEN}',
                  },
                  models: { [model]: { name: model } },
                },
              },
              model: `lucid/${model}`,
              small_model: `lucid/${model}`,
            },
            null,
            2,
          )}\n`,
        },
      ],
    };
  },
  mapper: opencodeMapper,
};
