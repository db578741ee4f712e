/**
 * @module agent/cli/cli-agent
 * A coding-agent CLI (Claude Code, Cursor…) as a Lucid agent. Each CLI is a `CliAgentDefinition`:
 * the pinned npm packages the runner installs into its agent cache, the program in them, how to
 * call it non-interactively in /workspace with Lucid's LLM gateway as its provider and the run
 * token as its key, and how its JSON stream maps to Lucid's events. `CliAgent` writes the CLI's
 * configuration into a home folder of its own under /tmp (never the workspace), runs the program
 * in the sandbox, turns each line of its stdout into events, and takes the outcome from its final
 * result. The CLI never sees a provider key: the gateway forwards with the server's.
 */
import type { AgentName, ConversationTurn, EventBody } from '@lucid/contracts';
import type { Sandbox } from '../../sandbox/driver.ts';
import type { Agent, AgentOutcome, AgentRunOptions } from '../agent.ts';

/** Where the runner's agent cache appears inside sandboxes (read-only). */
export const SANDBOX_AGENTS_DIR = '/opt/lucid/agents';

/** What a CLI needs to know to run once. */
export interface CliRunContext {
  prompt: string;
  /** `provider/name` as the task asked. */
  model: string;
  /** The gateway as the sandbox reaches it: `<url>/llm`. */
  gatewayUrl: string;
  /** The run token: the CLI's API key at the gateway. */
  apiKey: string;
  /** The CLI's own HOME inside the sandbox. */
  home: string;
  /** The installed package folder inside the sandbox. */
  installDir: string;
  maxSteps: number;
}

/** How to start the CLI: its argv, environment and configuration files (absolute sandbox paths). */
export interface CliInvocation {
  argv: string[];
  env: Record<string, string>;
  files: Array<{ path: string; content: string }>;
}

/** Turns a CLI's JSON lines into events; remembers the final result. */
export interface StreamMapper {
  /** The events one parsed line stands for (often none). */
  line(message: unknown): EventBody[];
  /**
   * The outcome its final result gave, once it has come; CLIs without a final result line decide
   * from the exit code.
   */
  outcome(exitCode: number | null): AgentOutcome | undefined;
}

export interface CliAgentDefinition {
  name: Exclude<AgentName, 'lucid'>;
  version: string;
  /** Model providers the CLI can speak to (the first part of `provider/name`). */
  providers: readonly string[];
  /** npm packages, pinned, installed together into `<cache>/<name>@<version>`. */
  packages(platform: { os: string; arch: string }): string[];
  invocation(context: CliRunContext): CliInvocation;
  mapper(): StreamMapper;
}

export interface CliAgentOptions {
  definition: CliAgentDefinition;
  model: string;
  gatewayUrl: string;
  runToken: string;
  /** The agent cache as sandboxes see it; {@link SANDBOX_AGENTS_DIR} by default. */
  agentsDir?: string;
}

/** Cache folder of one CLI version, relative to the cache. */
export function installFolder(definition: CliAgentDefinition): string {
  return `${definition.name}@${definition.version}`;
}

const MAX_STDOUT_BYTES = 64 * 1024 * 1024;
const STDERR_TAIL = 2_000;

/**
 * A CLI starts each run afresh, so a follow-up's prompt carries the conversation before it.
 *
 * @example
 * withConversation('Now add a test', [{ role: 'user', text: 'Add hello.txt' }, { role: 'assistant', text: 'Done.' }]);
 */
export function withConversation(prompt: string, history: ConversationTurn[]): string {
  if (history.length === 0) return prompt;
  const turns = history.map(({ role, text }) => `[${role}]\n${text}`).join('\n\n');
  return `The conversation on this task so far (your earlier work is in the workspace):\n\n${turns}\n\n[user, now]\n${prompt}`;
}

export class CliAgent implements Agent {
  constructor(private readonly options: CliAgentOptions) {}

  async run(run: AgentRunOptions): Promise<AgentOutcome> {
    const { definition } = this.options;
    const home = `/tmp/lucid-agent/${definition.name}`;
    const invocation = definition.invocation({
      prompt: withConversation(run.prompt, run.history ?? []),
      model: this.options.model,
      gatewayUrl: this.options.gatewayUrl,
      apiKey: this.options.runToken,
      home,
      installDir: `${this.options.agentsDir ?? SANDBOX_AGENTS_DIR}/${installFolder(definition)}`,
      maxSteps: run.limits.maxSteps,
    });
    for (const file of invocation.files) await writeSandboxFile(run.sandbox, file);

    const mapper = definition.mapper();
    let pending = '';
    let stderr = '';
    const consume = (text: string) => {
      for (const raw of text.split('\n')) {
        const line = raw.trim();
        if (!line.startsWith('{')) continue;
        let message: unknown;
        try {
          message = JSON.parse(line);
        } catch {
          continue;
        }
        for (const event of mapper.line(message)) run.emit(event);
      }
    };
    const result = await run.sandbox.exec(invocation.argv, {
      cwd: '/workspace',
      env: { HOME: home, ...invocation.env },
      signal: run.signal,
      maxOutputBytes: MAX_STDOUT_BYTES,
      onOutput: (stream, chunk) => {
        if (stream === 'stderr') {
          stderr = (stderr + chunk).slice(-STDERR_TAIL);
          return;
        }
        const text = pending + chunk;
        const end = text.lastIndexOf('\n');
        pending = end < 0 ? text : text.slice(end + 1);
        if (end >= 0) consume(text.slice(0, end));
      },
    });
    if (pending) consume(pending);

    if (run.signal.aborted) return { status: 'stopped' };
    const outcome = mapper.outcome(result.exitCode);
    if (outcome) return outcome;
    const why = stderr.trim() || `it exited with code ${result.exitCode ?? 'none (killed)'}`;
    return {
      status: 'failed',
      error: {
        code: 'agent_failed',
        message: `${definition.name} ${definition.version} ended without a result: ${why}`,
      },
    };
  }
}

async function writeSandboxFile(
  sandbox: Sandbox,
  file: { path: string; content: string },
): Promise<void> {
  const written = await sandbox.exec(
    ['bash', '-c', 'mkdir -p "$(dirname "$1")" && umask 077 && cat > "$1"', 'write', file.path],
    { stdin: file.content },
  );
  if (written.exitCode !== 0) {
    throw new Error(`Could not write ${file.path} in the sandbox: ${written.stderr.trim()}`);
  }
}

/** The text of a tool result's content, whether a string or content blocks. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content === undefined ? '' : JSON.stringify(content);
  return content
    .map((block: unknown) =>
      typeof block === 'object' && block !== null && 'text' in block
        ? String((block as { text: unknown }).text)
        : '',
    )
    .join('');
}
