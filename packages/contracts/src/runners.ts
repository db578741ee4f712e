/**
 * @module runners
 * Runners execute runs. These are the shapes of the runner API (what `lucid runner` on another host
 * speaks) and of the runners list.
 */
import { z } from 'zod';
import { EventBody, RunStatus } from './events.ts';
import { Id, Timestamp } from './common.ts';
import { DRAFT_PIECE_MAX_CHARS } from './live.ts';
import { Plan } from './plan.ts';

/**
 * The agent's part of a run: what it is asked, with which model (`provider/name`), how many
 * model calls it may make, and where it reaches the model: Lucid's LLM gateway (`<server>/llm`),
 * called in the model's provider style with the run token as the key.
 */
/** One earlier turn of a task's conversation, as the agent shows it to its model. */
export const ConversationTurn = z.object({
  role: z.enum(['user', 'assistant']),
  text: z.string(),
});
export type ConversationTurn = z.infer<typeof ConversationTurn>;

/** A tool's answer as the model saw it (masked and cut to size), in the AI SDK's shape. */
const StepToolOutput = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), value: z.string() }),
  z.object({ type: z.literal('error-text'), value: z.string() }),
  z.object({ type: z.literal('json'), value: z.unknown() }),
]);

/**
 * One message of a built-in agent's step, in the AI SDK's `ModelMessage` shape: the assistant's
 * text and tool calls, or the tool results that answered them. The SDK turns these into each
 * provider's own format (Anthropic `tool_use`/`tool_result`, OpenAI `function_call`…).
 */
export const StepMessage = z.discriminatedUnion('role', [
  z.object({
    role: z.literal('assistant'),
    content: z.array(
      z.discriminatedUnion('type', [
        z.object({ type: z.literal('text'), text: z.string() }),
        z.object({
          type: z.literal('tool-call'),
          toolCallId: z.string(),
          toolName: z.string(),
          input: z.unknown(),
        }),
      ]),
    ),
  }),
  z.object({
    role: z.literal('tool'),
    content: z.array(
      z.object({
        type: z.literal('tool-result'),
        toolCallId: z.string(),
        toolName: z.string(),
        output: StepToolOutput,
      }),
    ),
  }),
]);
export type StepMessage = z.infer<typeof StepMessage>;

/**
 * One step of an earlier run of the built-in agent, whole: its assistant message and, when it
 * called tools, the message holding every result.
 */
export const AgentStepTurn = z.object({
  role: z.literal('step'),
  messages: z.array(StepMessage).min(1).max(2),
});
export type AgentStepTurn = z.infer<typeof AgentStepTurn>;

/** What a run is told of the task before its prompt: messages, and earlier agents' steps. */
export const HistoryItem = z.union([ConversationTurn, AgentStepTurn]);
export type HistoryItem = z.infer<typeof HistoryItem>;

/**
 * An earlier run on the task told in brief, for a CLI agent that cannot resume its own session:
 * the commands and tools it ran (with how each went), the files it changed, and how it ended.
 */
export const RunRecap = z.object({
  agent: z.string(),
  status: RunStatus,
  calls: z.array(z.object({ tool: z.string(), detail: z.string(), ok: z.boolean().nullable() })),
  files: z.array(z.string()),
  /** Its last answer, or why it failed. */
  result: z.string(),
});
export type RunRecap = z.infer<typeof RunRecap>;

/**
 * A file of the repository as the built-in agent's system prompt quotes it: trimmed and cut to its
 * bound (`cut` when the file went on).
 */
export const PromptFile = z.object({
  /** Its path in the repository: `AGENTS.md`, `CLAUDE.md`, `.lucid/instructions.md` or a README. */
  name: z.string().max(100),
  text: z.string().max(20_000),
  cut: z.boolean().optional(),
});
export type PromptFile = z.infer<typeof PromptFile>;

/**
 * One model request of the built-in agent as its loop built it, provider-neutral (the AI SDK's
 * `LanguageModelV3` call: the prompt's system and other messages, the tool definitions, the call's
 * settings), told as a change to the request before it, since each request repeats the one before:
 * its first `messages.from` messages, then `messages.add`; `tools` and `settings` only when they
 * changed (always in a run's first request).
 */
export const ExchangeRequest = z.object({
  messages: z.object({
    from: z.number().int().min(0),
    add: z.array(z.unknown()),
  }),
  tools: z.array(z.unknown()).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
});
export type ExchangeRequest = z.infer<typeof ExchangeRequest>;

/** A part of the model's answer, in the order it streamed, with the provider's metadata. */
export const AnswerPart = z.discriminatedUnion('type', [
  z.object({
    type: z.enum(['text', 'reasoning']),
    text: z.string(),
    providerMetadata: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({
    type: z.literal('tool-call'),
    toolCallId: z.string(),
    toolName: z.string(),
    /** The input as the model sent it (JSON text, or not). */
    input: z.string(),
    providerMetadata: z.record(z.string(), z.unknown()).optional(),
  }),
]);
export type AnswerPart = z.infer<typeof AnswerPart>;

/**
 * What the built-in agent was given at its start, kept with its first request so that a replay
 * gives the loop the same: the prompt, the task before it, the repository files its system prompt
 * quotes, its model (the provider's id for the AI SDK, e.g. `anthropic.messages`), context and
 * step limit.
 */
export const ExchangeInput = z.object({
  prompt: z.string(),
  history: z.array(HistoryItem),
  repository: z.array(PromptFile),
  model: z.object({ provider: z.string(), modelId: z.string(), name: z.string() }),
  context: z.object({
    window: z.number().int().positive(),
    summaryWindow: z.number().int().positive().optional(),
    cacheKey: z.string().optional(),
    compact: z.boolean().optional(),
    cache: z.boolean().optional(),
  }),
  maxSteps: z.number().int().positive(),
});
export type ExchangeInput = z.infer<typeof ExchangeInput>;

/**
 * One model exchange of the built-in agent: the user's follow-ups it read just before (its inbox),
 * the request, the answer (its parts, the provider's usage, or the error the call ended with), and
 * the tool results it then got, masked and cut as the model saw them.
 */
export const ModelExchange = z.object({
  input: ExchangeInput.optional(),
  inbox: z.array(z.string()),
  /** What the summary model answered when the request's compaction summarised older steps. */
  summaries: z.array(z.string()).optional(),
  request: ExchangeRequest,
  answer: z.object({
    parts: z.array(AnswerPart),
    usage: z.unknown().optional(),
    error: z.string().optional(),
  }),
  results: z.array(
    z.object({ toolCallId: z.string(), toolName: z.string(), output: StepToolOutput }),
  ),
});
export type ModelExchange = z.infer<typeof ModelExchange>;

/**
 * What a run keeps: a step of the built-in agent (`afterSeq`: the last user message it had read)
 * for later runs, a model exchange of it for its export and replay, or the session id a CLI agent
 * reported.
 */
export const RunMemoryBody = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('step'),
    step: z.number().int().min(1),
    afterSeq: z.number().int().min(0),
    messages: z.array(StepMessage).min(1).max(2),
  }),
  z.object({
    kind: z.literal('exchange'),
    step: z.number().int().min(1),
    afterSeq: z.number().int().min(0),
    exchange: ModelExchange,
  }),
  z.object({ kind: z.literal('session'), id: z.string().min(1).max(200) }),
]);
export type RunMemoryBody = z.infer<typeof RunMemoryBody>;

/**
 * What the built-in agent's first prompt needs from the repository, read by the server from its
 * own copy at `commit` (the task's branch head when the branch exists, else its base branch's;
 * null in an empty repository), so the first model request leaves while the workspace is made ready.
 */
export const PromptRepository = z.object({
  commit: z.string().nullable(),
  files: z.array(PromptFile).max(8),
});
export type PromptRepository = z.infer<typeof PromptRepository>;

export const RunAgent = z.object({
  /** `lucid`, or a CLI agent the runner runs inside the sandbox (see AgentName). */
  name: z.enum(['lucid', 'claude-code', 'codex', 'gemini', 'opencode', 'cursor']),
  prompt: z.string(),
  /**
   * The task before this run's prompt, oldest first and bounded (the oldest dropped first, whole
   * steps only): user messages, answers, and the built-in agent's earlier steps.
   */
  history: z.array(HistoryItem).default([]),
  /** The CLI's own session from the task's latest earlier run of this agent, to resume. */
  session: z.string().optional(),
  /** The user's messages after that session's prompt, before this one: the session never read them. */
  unseen: z.array(z.string()).default([]),
  /** The task's earlier agent runs in brief, oldest first (CLI agents, when not resuming). */
  earlierRuns: z.array(RunRecap).default([]),
  /** Sequence number of the `message.user` event holding the prompt; later ones are follow-ups. */
  promptSeq: z.number().int().min(0).default(0),
  model: z.string(),
  maxSteps: z.number().int().positive(),
  gatewayUrl: z.string(),
  /**
   * The model's context window and the model that summarises older steps when the agent compacts
   * its conversation; absent from older servers (the runner then reads the model table).
   */
  context: z
    .object({
      window: z.number().int().positive(),
      summaryModel: z.string(),
      summaryWindow: z.number().int().positive(),
    })
    .optional(),
  /**
   * The repository's files the system prompt quotes, from Lucid's copy; absent from older servers
   * (the runner then reads them from the workspace once it is ready).
   */
  repository: PromptRepository.optional(),
  /**
   * Patterns of shell commands the built-in agent refuses, from its workspace's safety policy
   * (`*` any text); absent: none.
   */
  refusedCommands: z.array(z.string()).optional(),
  /**
   * The repository's check command, run in the workspace once the agent's work is committed and
   * pushed; its outcome is a `check.result` event. Absent: the repository has none.
   */
  checkCommand: z.string().optional(),
  /**
   * `plan`: the built-in agent reads the repository with read-only tools and submits a plan
   * (nothing is committed or pushed); `code` (absent from older servers): it works on the prompt.
   */
  mode: z.enum(['code', 'plan']).default('code'),
  /** The approved plan a coding run follows: the built-in agent ticks its steps (`plan.step`). */
  plan: Plan.optional(),
});
export type RunAgent = z.infer<typeof RunAgent>;

/** What a runner gets when it claims a run: everything it needs, and nothing secret but the run token. */
export const ClaimedRun = z.object({
  run: z.object({
    id: Id,
    taskId: Id,
    attempt: z.number().int(),
    commands: z.array(z.string()),
    /** Set when the built-in agent does the run, in place of the commands. */
    agent: RunAgent.optional(),
  }),
  task: z.object({
    id: Id,
    repoId: Id,
    branch: z.string(),
    baseBranch: z.string(),
    sandboxId: z.string().nullable(),
    /** The commit holding the workspace as the reaper left it; restored when no sandbox is live. */
    snapshot: z.string().nullable(),
    /**
     * The commits of the task's branch and of its base branch in Lucid's copy (null: no such
     * branch). A workspace already holding them sets its remote branches to them and fetches
     * nothing; absent from older servers (the workspace then fetches).
     */
    heads: z.object({ branch: z.string().nullable(), base: z.string().nullable() }).optional(),
  }),
  git: z.object({
    /** Clone URL as the sandbox reaches Lucid. */
    cloneUrl: z.string(),
    /** Reads this repository, pushes only to the task's branch; expires with the run. */
    token: z.string(),
  }),
  /** The server's terms: renew the lease well within `leaseMs`; stop after `maxRuntimeMs`. */
  limits: z.object({
    leaseMs: z.number().int().positive(),
    maxRuntimeMs: z.number().int().positive(),
  }),
  /**
   * How long Lucid held the claim request before claiming (a long poll waits for a run to be
   * queued): the lease began at least this long after the runner asked.
   */
  waitedMs: z.number().int().nonnegative().default(0),
  /**
   * The run's trace, when the server traces runs: its root span as a W3C `traceparent`, under
   * which the runner's spans (sandbox, workspace, model and tool calls, commit, push) go.
   */
  trace: z.object({ parent: z.string().max(100) }).optional(),
});
export type ClaimedRun = z.infer<typeof ClaimedRun>;

/** The longest a claim request may wait for a run to be queued (a long poll). */
export const CLAIM_WAIT_MAX_MS = 25_000;

/**
 * Asks for a run; with `waitMs`, the server holds the request until a run is queued for this
 * runner (answered the moment one is) or that long has passed (then 204).
 */
export const ClaimBody = z.object({
  waitMs: z.number().int().min(0).max(CLAIM_WAIT_MAX_MS).optional(),
});
export type ClaimBody = z.infer<typeof ClaimBody>;

export const LeaseAnswer = z.object({ lost: z.boolean(), cancelRequested: z.boolean() });
export type LeaseAnswer = z.infer<typeof LeaseAnswer>;

/** Asks for the follow-ups posted to a run's task after sequence number `after`. */
export const InboxBody = z.object({ after: z.number().int().min(0) });

/** User messages posted while the run works, oldest first: the agent reads them at its next step. */
export const InboxAnswer = z.object({
  messages: z.array(z.object({ seq: z.number().int().positive(), text: z.string() })),
});
export type InboxMessage = z.infer<typeof InboxAnswer>['messages'][number];

export const AppendEventsBody = z.object({
  events: z.array(EventBody).min(1).max(500),
  retried: z
    .boolean()
    .optional()
    .describe(
      "The same events sent again, the first sending having had no answer: stored only when the run's newest events are not these already.",
    ),
});

/**
 * A piece of the answer a run's agent is writing: `offset` is where it starts in that answer; at
 * most {@link DRAFT_PIECE_MAX_CHARS} characters.
 */
export const RunDraftBody = z.object({
  offset: z.number().int().min(0),
  text: z.string().min(1).max(DRAFT_PIECE_MAX_CHARS),
});

export const AttachSandboxBody = z.object({ sandboxId: z.string().min(1).max(200) });

/**
 * The steps from a run's queueing to its work's first step, in order: queued (the run stored),
 * claimed (by a runner), sandbox ready, workspace ready (the repository cloned, fetched or
 * restored), first model request sent (an agent run), first tool call.
 */
export const RunPhase = z.enum([
  'queued',
  'claimed',
  'sandboxReady',
  'workspaceReady',
  'modelRequestSent',
  'firstToolCall',
]);
export type RunPhase = z.infer<typeof RunPhase>;

/** When the runner saw each of its steps of a run (milliseconds since the epoch, its clock). */
export const RunnerPhases = z.object({
  sandboxReady: z.number().int().positive().optional(),
  workspaceReady: z.number().int().positive().optional(),
  modelRequestSent: z.number().int().positive().optional(),
  firstToolCall: z.number().int().positive().optional(),
});
export type RunnerPhases = z.infer<typeof RunnerPhases>;

/**
 * A run's phases as they happened, ordered by time; `ms` runs from the phase before (0 for the
 * first), so the `ms` add up to the time from `queued` to the last phase. The workspace and the
 * first model request overlap: either may come first.
 */
export const RunPhases = z.array(z.object({ phase: RunPhase, at: Timestamp, ms: z.number() }));
export type RunPhases = z.infer<typeof RunPhases>;

export const FinishRunBody = z.object({
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  exitCode: z.number().int().nullable().optional(),
  errorCode: z.string().max(100).optional(),
  errorMessage: z.string().max(4000).optional(),
  /**
   * A succeeded agent run that left no commit beyond the base branch: nothing was pushed, and the
   * task goes back to To Do rather than to review.
   */
  noChanges: z.boolean().optional(),
  /** When the runner reached each step of the run's start. */
  phases: RunnerPhases.optional(),
});
export type FinishRunBody = z.infer<typeof FinishRunBody>;

export const RunnerHeartbeatBody = z.object({
  capacity: z.number().int().min(0).max(1000),
});

/** Lucid's answer to a heartbeat: who the runner is (its sandboxes carry this id as a label). */
export const RunnerHeartbeatAnswer = z.object({ runnerId: Id });
export type RunnerHeartbeatAnswer = z.infer<typeof RunnerHeartbeatAnswer>;

/** Sandboxes a runner holds, by id (at most 1000 at once). */
export const SandboxIdsBody = z.object({
  sandboxIds: z.array(z.string().min(1).max(200)).max(1000),
});

/** Which of the sandboxes asked about a task still uses: sandbox id → task id. */
export const SandboxTasksAnswer = z.object({ tasks: z.record(z.string(), Id) });
export type SandboxTasksAnswer = z.infer<typeof SandboxTasksAnswer>;

/** Runners named by sandboxes a runner found on its sandbox engine (at most 1000 at once). */
export const RunnerIdsBody = z.object({
  runnerIds: z.array(z.string().min(1).max(200)).max(1000),
});

/**
 * Which of the runners asked about are gone (removed, or offline for a day, and holding no run):
 * the sandboxes they left may be removed. A runner this server never knew is never gone.
 */
export const GoneRunnersAnswer = z.object({ gone: z.array(z.string()) });
export type GoneRunnersAnswer = z.infer<typeof GoneRunnersAnswer>;

export const SnapshotGrantBody = z.object({ sandboxId: z.string().min(1).max(200) });

/**
 * Where to push a task's workspace snapshot, with a token that may push only the task's branch and
 * its snapshot ref; `grant` is null when the task no longer uses that sandbox (nothing to keep).
 */
export const SnapshotGrantAnswer = z.object({
  grant: z.object({ cloneUrl: z.string(), token: z.string(), ref: z.string() }).nullable(),
});
export type SnapshotGrant = NonNullable<z.infer<typeof SnapshotGrantAnswer>['grant']>;

export const RecordSnapshotBody = z.object({
  sandboxId: z.string().min(1).max(200),
  /** The snapshot commit; null when the sandbox held no repository to keep. */
  sha: z
    .string()
    .regex(/^[0-9a-f]{40,64}$/)
    .nullable(),
});
export type RecordSnapshotBody = z.infer<typeof RecordSnapshotBody>;

export const Runner = z
  .object({
    id: Id,
    name: z.string(),
    kind: z.enum(['in_process', 'remote']),
    status: z.enum(['idle', 'busy', 'offline']),
    capacity: z.number().int(),
    /** The runs it is running that the viewer may see (an instance admin: all of them). */
    currentRuns: z.array(Id),
    lastHeartbeatAt: Timestamp.nullable(),
  })
  .meta({ id: 'Runner' });
export type Runner = z.infer<typeof Runner>;

/** The runners taken together: what the runner panel shows above the list. */
export const RunnerPool = z
  .object({
    /** Runs at once the online runners listed take, together. */
    slots: z.number().int().min(0),
    /** Runs running now (those the viewer may see). */
    busy: z.number().int().min(0),
    /** Runs waiting for a free slot (those the viewer may see). */
    queuedRuns: z.number().int().min(0),
    /** Ready sandboxes in the warm pool of this server's own runner (0 without one). */
    warmSandboxes: z.number().int().min(0),
  })
  .meta({ id: 'RunnerPool' });
export type RunnerPool = z.infer<typeof RunnerPool>;

/**
 * The runners the viewer may see: an instance admin every one; anyone else the servers' own
 * runners, the runners they added and those running their workspaces' tasks.
 */
export const RunnerList = z.object({ runners: z.array(Runner), pool: RunnerPool });

export const ScaleRunnerBody = z.object({ slots: z.number().int().min(0).max(64) });

export const CreateRunnerTokenBody = z.object({ name: z.string().trim().min(1).max(100) });
export const CreatedRunnerToken = z.object({ id: Id, name: z.string(), token: z.string() });

export const Run = z
  .object({
    id: Id,
    taskId: Id,
    status: RunStatus,
    attempt: z.number().int(),
    runnerId: z.string().nullable(),
    sandboxId: z.string().nullable(),
    exitCode: z.number().int().nullable(),
    errorCode: z.string().nullable(),
    errorMessage: z.string().nullable(),
    createdAt: Timestamp,
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
    /** From queued to the first tool call, as far as the run got (its runner's steps once it ended). */
    phases: RunPhases,
    /** The run's OpenTelemetry trace id (32 hex digits), when the server traces runs. */
    traceId: z.string().optional(),
  })
  .meta({ id: 'Run' });
export type Run = z.infer<typeof Run>;
