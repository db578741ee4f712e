/**
 * @module agent/agent
 * The agent port: something that works on a prompt in a task's sandbox, reporting each step as
 * events, until it finishes, fails or is stopped. The built-in agent (agent/lucid-agent.ts) is one
 * implementation; CLI agents (agent/cli/) are others.
 */
import type {
  EventBody,
  HistoryItem,
  ModelExchange,
  Plan,
  PromptFile,
  RunAgent,
  RunRecap,
  StepMessage,
} from '@lucid/contracts';
import type { Sandbox, SandboxShell } from '../sandbox/driver.ts';

export interface AgentLimits {
  /** Model calls the agent may make; reaching it stops the run with `step_limit_reached`. */
  maxSteps: number;
}

export interface AgentRunOptions {
  prompt: string;
  /**
   * The task before the prompt, oldest first: user messages, answers, and the built-in agent's
   * earlier steps (tool calls and results), which the agent shows its model.
   */
  history?: HistoryItem[];
  /** A CLI agent's own session from the task's earlier run, to resume where the CLI can. */
  session?: string | undefined;
  /** The user's messages that session never read, oldest first: told with the prompt on resuming. */
  unseen?: string[];
  /** The task's earlier runs in brief, for a CLI agent that does not resume a session. */
  earlierRuns?: RunRecap[];
  /** Keeps what the run does for later runs on the task (masked on its way). */
  remember?: (memory: AgentMemory) => void;
  /**
   * The user's messages posted since the last call (already stored as events): the agent reads
   * them before each model step and answers them.
   */
  inbox?: () => Promise<string[]>;
  sandbox: Sandbox;
  /**
   * Settles once the workspace is ready: the built-in agent's tools wait for it, its model does
   * not. Absent: the workspace is ready already.
   */
  ready?: Promise<unknown>;
  /**
   * The repository's files the system prompt quotes, read by the server from its own copy; absent:
   * read from the workspace (once ready).
   */
  repository?: PromptFile[] | undefined;
  /** The sandbox's persistent shell (started again if a command ended it). */
  shell: () => Promise<SandboxShell>;
  emit: (event: EventBody) => void;
  /** Aborted when the run is cancelled, lost or over its time. */
  signal: AbortSignal;
  limits: AgentLimits;
  /** Values replaced by `[redacted]` in every tool output before the model or an event sees it. */
  secrets: string[];
  /** Patterns of commands the built-in agent's shell refuses (the workspace's safety policy). */
  refusedCommands?: readonly string[] | undefined;
  /**
   * Set for a planning run: the built-in agent gets read-only tools and `submit_plan`, whose plan
   * is handed here.
   */
  onPlan?: ((plan: Plan) => void) | undefined;
  /** The approved plan a coding run follows: the built-in agent ticks its steps. */
  plan?: Plan | undefined;
}

/**
 * What a run keeps: each step of the built-in agent as its model saw it (its assistant message,
 * then its tool results) for later runs, each of its model exchanges for the run's export and
 * replay, or the session id a CLI agent reported.
 */
export type AgentMemory =
  | { kind: 'step'; messages: StepMessage[] }
  | { kind: 'exchange'; exchange: ModelExchange }
  | { kind: 'session'; id: string };

export interface AgentOutcome {
  status: 'finished' | 'failed' | 'stopped';
  /** What the agent says it did. */
  summary?: string;
  error?: { code: string; message: string };
}

export interface Agent {
  run(options: AgentRunOptions): Promise<AgentOutcome>;
}

/** What a runner needs to run agents: how to make one for a run, and the secrets to mask. */
export interface AgentRuntime {
  /**
   * The agent for a run; it calls its model through Lucid's gateway with the run's token. A CLI
   * agent, running inside the sandbox, reaches the gateway at `sandboxGatewayUrl`. The task's id
   * keys the provider's prompt cache.
   */
  create(
    spec: RunAgent,
    runToken: string,
    where: {
      sandboxGatewayUrl: string;
      taskId?: string;
      /**
       * Told as each request to the model leaves (the built-in agent's; CLI agents' are not seen);
       * answers headers to send with it (the request's trace context), if any.
       */
      onModelRequest?: () => Record<string, string> | undefined;
    },
  ): Agent;
  /** Secrets the runner itself holds (provider keys); the run's token is added per run. */
  secrets: string[];
}
