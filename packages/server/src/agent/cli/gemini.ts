/**
 * @module agent/cli/gemini
 * Google's Gemini CLI as a Lucid agent: `gemini -p <prompt> -o stream-json`, pinned. Its npm
 * package is JavaScript, so the runner installs it with a pinned Node.js from npm
 * (`node-<os>-<arch>`) into the same cache folder, and the sandbox needs no Node.js of its own.
 * It talks to the gateway's Gemini path (`GOOGLE_GEMINI_BASE_URL=<gateway>/gemini`) with the run
 * token as its `GEMINI_API_KEY`, in the process's environment only. Its settings
 * (`~/.gemini/settings.json` in its own HOME) choose API-key authentication, turn folder trust,
 * usage statistics, telemetry and update checks off, and cap the turns at the run's step limit;
 * `--approval-mode yolo` runs every tool without asking (the sandbox is the isolation).
 *
 * Stream (JSON lines): `init` (session, model), `message` (role, content; the assistant's text in
 * `delta` pieces), `tool_use` (tool_name, tool_id, parameters), `tool_result` (tool_id, status
 * success/error, output, error.message), `error` (severity, message; the run goes on), and a final
 * `result` (status success/error, error.message, stats).
 */
import type { EventBody } from '@lucid/contracts';
import type { AgentOutcome } from '../agent.ts';
import type { CliAgentDefinition, StreamMapper } from './cli-agent.ts';

export const GEMINI_CLI_VERSION = '0.61.0';
/** The Node.js the CLI runs on, from npm's `node-<os>-<arch>` packages. */
export const GEMINI_NODE_VERSION = '22.23.3';

interface GeminiLine {
  type?: string;
  role?: string;
  content?: string;
  delta?: boolean;
  tool_name?: string;
  parameters?: unknown;
  status?: string;
  output?: string;
  error?: { type?: string; message?: string };
  severity?: string;
  message?: string;
}

export function geminiMapper(): StreamMapper {
  let text = '';
  let lastText = '';
  let result: AgentOutcome | undefined;
  const flush = (events: EventBody[]) => {
    if (text.trim()) {
      lastText = text.trim();
      events.push({ type: 'message.assistant', text });
    }
    text = '';
  };
  return {
    line(raw) {
      const message = raw as GeminiLine;
      const events: EventBody[] = [];
      if (message.type === 'message' && message.role === 'assistant') {
        if (message.delta !== true) flush(events);
        text += message.content ?? '';
        if (message.delta !== true) flush(events);
      } else if (message.type === 'tool_use') {
        flush(events);
        const input = message.parameters;
        events.push({
          type: 'tool.call',
          tool: message.tool_name ?? 'tool',
          input:
            typeof input === 'object' && input !== null && !Array.isArray(input)
              ? (input as Record<string, unknown>)
              : {},
        });
      } else if (message.type === 'tool_result') {
        const output = message.output || message.error?.message || '';
        if (output) events.push({ type: 'tool.output', stream: 'stdout', chunk: output });
        events.push({ type: 'tool.result', ok: message.status === 'success' });
      } else if (message.type === 'result') {
        flush(events);
        result =
          message.status === 'success'
            ? { status: 'finished', ...(lastText ? { summary: lastText } : {}) }
            : {
                status: 'failed',
                error: {
                  code: 'agent_failed',
                  message: `gemini failed: ${message.error?.message ?? 'it reported an error'}`,
                },
              };
      }
      return events;
    },
    outcome: () => result,
  };
}

export const gemini: CliAgentDefinition = {
  name: 'gemini',
  version: GEMINI_CLI_VERSION,
  providers: ['gemini'],
  packages: ({ os, arch }) => [
    `@google/gemini-cli@${GEMINI_CLI_VERSION}`,
    `node-${os}-${arch}@${GEMINI_NODE_VERSION}`,
  ],
  invocation: (context) => {
    const model = context.model.slice(context.model.indexOf('/') + 1);
    const modules = `${context.installDir}/node_modules`;
    return {
      argv: [
        `${modules}/node-linux-${process.arch}/bin/node`,
        `${modules}/@google/gemini-cli/bundle/gemini.js`,
        '--prompt',
        context.prompt,
        '--output-format',
        'stream-json',
        '--approval-mode',
        'yolo',
        '--skip-trust',
        '--model',
        model,
      ],
      env: {
        GEMINI_API_KEY: context.apiKey,
        GOOGLE_GEMINI_BASE_URL: `${context.gatewayUrl}/gemini`,
        GEMINI_CLI_TRUST_WORKSPACE: 'true',
        NO_BROWSER: 'true',
      },
      files: [
        {
          path: `${context.home}/.gemini/settings.json`,
          content: `${JSON.stringify(
            {
              general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
              security: {
                auth: { selectedType: 'gemini-api-key' },
                folderTrust: { enabled: false },
              },
              privacy: { usageStatisticsEnabled: false },
              telemetry: { enabled: false },
              model: { maxSessionTurns: context.maxSteps },
              tools: { shell: { enableInteractiveShell: false } },
            },
            null,
            2,
          )}\n`,
        },
      ],
    };
  },
  mapper: geminiMapper,
};
