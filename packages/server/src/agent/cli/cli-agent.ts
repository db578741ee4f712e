/**
 * @module agent/cli/cli-agent
 * A coding-agent CLI (Claude Code, Cursor…) as a Lucid agent. Each CLI is a `CliAgentDefinition`:
 * the pinned npm packages the runner installs into its agent cache, the program in them, how to
 * call it non-interactively in /workspace with Lucid's LLM gateway as its provider and the run
 * token as its key, and how its JSON stream maps to Lucid's events. `CliAgent` writes the CLI's
 * configuration into a home folder of its own under /tmp (never the workspace), runs the program
 * in the sandbox, turns each line of its stdout into events, and takes the outcome from its final
 * result. The CLI never sees a provider key: the gateway forwards with the server's.
 *
 * A follow-up run resumes the CLI's own session where the CLI can (Claude Code `--resume`, Codex
 * `exec resume`) and its session files are still in the sandbox; the session id comes from the
 * CLI's stream and is kept with the run. Otherwise its prompt carries the conversation and a
 * recap of the earlier runs: the tools they ran, the files they changed, how they ended.
 */
import type { AgentName, EventBody, HistoryItem, RunRecap } from '@lucid/contracts';
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
  /** The CLI's own session to continue; its files are in `home`. */
  resume?: string | undefined;
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
  /** The CLI's session id, once its stream has told it (CLIs that can resume a session). */
  session?(): string | undefined;
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
  /**
   * Where the CLI keeps a session it can resume: a folder under its home, and the name of a
   * session's file there (a `find -name` pattern).
   */
  sessions?: { folder(home: string): string; file(id: string): string };
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
 * A CLI that does not resume its session starts afresh, so a follow-up's prompt carries the
 * conversation before it and what the earlier runs did.
 *
 * @example
 * withConversation('Now add a test', [{ role: 'user', text: 'Add hello.txt' }, { role: 'assistant', text: 'Done.' }]);
 */
export function withConversation(
  prompt: string,
  history: readonly HistoryItem[],
  earlierRuns: readonly RunRecap[] = [],
): string {
  const turns = history.flatMap((item) => {
    if (item.role !== 'step') return [`[${item.role}]\n${item.text}`];
    const text = item.messages
      .flatMap((message) => (message.role === 'assistant' ? message.content : []))
      .map((part) => (part.type === 'text' ? part.text : ''))
      .join('');
    return text.trim() ? [`[assistant]\n${text}`] : [];
  });
  const sections: string[] = [];
  if (turns.length > 0) {
    sections.push(
      `The conversation on this task so far (your earlier work is in the workspace):\n\n${turns.join('\n\n')}`,
    );
  }
  if (earlierRuns.length > 0) {
    sections.push(
      `What the earlier runs on this task did:\n\n${earlierRuns.map(recap).join('\n\n')}`,
    );
  }
  if (sections.length === 0) return prompt;
  return `${sections.join('\n\n')}\n\n[user, now]\n${prompt}`;
}

/**
 * A resumed session's prompt: the user's messages it never read (posted while the CLI worked),
 * then the new one.
 *
 * @example
 * withUnseen('Now add a test', ['Use tabs, please']);
 */
export function withUnseen(prompt: string, unseen: readonly string[]): string {
  if (unseen.length === 0) return prompt;
  const messages = unseen.map((text) => `[user]\n${text}`).join('\n\n');
  return `Messages sent while you worked, which you have not read yet:\n\n${messages}\n\n[user, now]\n${prompt}`;
}

function recap(run: RunRecap, index: number): string {
  const lines = [`Run ${index + 1} (${run.agent}, ${run.status}):`];
  for (const call of run.calls) {
    const how = call.ok === null ? 'no result' : call.ok ? 'ok' : 'failed';
    lines.push(`- ${call.tool}: ${call.detail} (${how})`);
  }
  if (run.files.length > 0) lines.push(`Files changed: ${run.files.join(', ')}`);
  if (run.result) lines.push(`Last result: ${run.result}`);
  return lines.join('\n');
}

/** Ids a CLI reported that may name its session's file. */
const SESSION_ID = /^[\w-]{1,128}$/;

/** Whether the CLI's files of the session are still in the sandbox (gone with a new sandbox). */
async function sessionKept(
  sandbox: Sandbox,
  definition: CliAgentDefinition,
  home: string,
  id: string,
): Promise<boolean> {
  if (!definition.sessions || !SESSION_ID.test(id)) return false;
  const found = await sandbox.exec([
    'find',
    definition.sessions.folder(home),
    '-name',
    definition.sessions.file(id),
    '-print',
    '-quit',
  ]);
  return found.exitCode === 0 && found.stdout.trim() !== '';
}

export class CliAgent implements Agent {
  constructor(private readonly options: CliAgentOptions) {}

  async run(run: AgentRunOptions): Promise<AgentOutcome> {
    const { definition } = this.options;
    const home = `/tmp/lucid-agent/${definition.name}`;
    const resume =
      run.session && (await sessionKept(run.sandbox, definition, home, run.session))
        ? run.session
        : undefined;
    const invocation = definition.invocation({
      prompt: resume
        ? withUnseen(run.prompt, run.unseen ?? [])
        : withConversation(run.prompt, run.history ?? [], run.earlierRuns ?? []),
      resume,
      model: this.options.model,
      gatewayUrl: this.options.gatewayUrl,
      apiKey: this.options.runToken,
      home,
      installDir: `${this.options.agentsDir ?? SANDBOX_AGENTS_DIR}/${installFolder(definition)}`,
      maxSteps: run.limits.maxSteps,
    });
    for (const file of invocation.files) await writeSandboxFile(run.sandbox, file);

    const mapper = definition.mapper();
    let session: string | undefined;
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
        const reported = mapper.session?.();
        if (reported && reported !== session) {
          session = reported;
          run.remember?.({ kind: 'session', id: reported });
        }
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
