/**
 * @module bench/agent-overhead/agent-run
 * One run of the built-in agent through its port (`LucidAgent.run`), in a given sandbox, against
 * the scripted fake model, with an `emit` that masks and collects events as the runner's does. It
 * times the run as a whole, every model request at the fake, and every command at the shell the
 * agent is given, and splits the run into steps: a step goes from the end of one model answer to
 * the arrival of the next request (the agent's handling of the answer, the tool, and the next
 * request), so Lucid's own share of a step is that gap less the command in it.
 */
import type { LanguageModel } from 'ai';
import type { EventBody } from '@lucid/contracts';
import { LucidAgent } from '../../packages/server/src/agent/lucid-agent.ts';
import { maskDeep } from '../../packages/server/src/secrets/masking.ts';
import type { Sandbox, SandboxShell } from '../../packages/server/src/sandbox/driver.ts';
import { shellTrajectory, type FakeLlm } from '../../packages/server/test/fakes/llm/index.ts';
import type { ModelTiming } from './model-timing.ts';

export interface AgentRunTimes {
  /** `run()` called until it resolved. */
  wallMs: number;
  /** Each model request, at the fake (arrival to response written). */
  modelMs: number[];
  /** Each `shell.run` of the bash tool, at the shell the agent was given. */
  commandMs: number[];
  /** Lucid's own time in each step between two model requests (gap less the command). */
  ownStepMs: number[];
  /** `run()` called until the first model request arrived (system prompt, tools, request). */
  startMs: number;
  /** The last answer written until `run()` resolved. */
  endMs: number;
  events: number;
}

export interface AgentRunSetup {
  model: LanguageModel;
  modelId: string;
  llm: FakeLlm;
  timing: ModelTiming;
  sandbox: Sandbox;
  commands: readonly string[];
  /** Masked in every event, as the runner masks the run token and the provider keys. */
  secrets: string[];
}

/** Wraps a shell so each `run` is timed. */
function timedShell(shell: SandboxShell, spans: number[]): SandboxShell {
  return {
    run: async (command, options) => {
      const started = performance.now();
      try {
        return await shell.run(command, options);
      } finally {
        spans.push(performance.now() - started);
      }
    },
    close: () => shell.close(),
  };
}

export async function runAgentOnce(setup: AgentRunSetup): Promise<AgentRunTimes> {
  const { llm, timing, sandbox, commands, secrets } = setup;
  llm.reset();
  llm.script(
    shellTrajectory(
      commands.map((command) => ({ command })),
      'All commands ran.',
    ),
  );
  timing.clear();
  const commandMs: number[] = [];
  const events: EventBody[] = [];
  const agent = new LucidAgent({ model: setup.model, modelId: setup.modelId, maxRetries: 0 });
  const started = performance.now();
  const outcome = await agent.run({
    prompt: 'Run the commands.',
    sandbox,
    shell: async () => timedShell(await sandbox.shell(), commandMs),
    emit: (event) => void events.push(maskDeep(event, secrets)),
    signal: new AbortController().signal,
    limits: { maxSteps: commands.length + 10 },
    secrets,
  });
  const ended = performance.now();

  const spans = timing.spans.filter((span) => span.path === '/v1/messages');
  const failed = events.filter((event) => event.type === 'tool.result' && !event.ok).length;
  if (outcome.status !== 'finished' || spans.length !== commands.length + 1 || failed > 0) {
    throw new Error(
      `the agent run went wrong: ${outcome.status} ${outcome.error?.message ?? ''}, ` +
        `${spans.length} model requests, ${failed} failed tools`,
    );
  }
  if (commandMs.length !== commands.length) {
    throw new Error(`${commandMs.length} commands ran, ${commands.length} expected`);
  }
  const ownStepMs = commandMs.map((command, i) => {
    const answered = spans[i]!.ended;
    const next = spans[i + 1]!.arrived;
    return next - answered - command;
  });
  return {
    wallMs: ended - started,
    modelMs: spans.map((span) => span.ended - span.arrived),
    commandMs,
    ownStepMs,
    startMs: spans[0]!.arrived - started,
    endMs: ended - spans[spans.length - 1]!.ended,
    events: events.length,
  };
}
