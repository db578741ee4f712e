/**
 * @module tasks
 * Tasks: work on a repository, done in runs, recorded as events.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.ts';
import { TaskStatus } from './events.ts';
import { Plan, PlanMode, UsagePhase } from './plan.ts';
import { Run } from './runners.ts';

/** Who keeps a best-of-N task's attempt: Lucid, the top-ranked one (`auto`), or the user. */
export const KeepMode = z.enum(['auto', 'choose']);
export type KeepMode = z.infer<typeof KeepMode>;

export const Task = z
  .object({
    id: Id,
    workspaceId: Id,
    repoId: Id,
    title: z.string(),
    prompt: z.string(),
    status: TaskStatus,
    branch: z.string(),
    baseBranch: z.string(),
    lastSeq: z.number().int(),
    /** Who works on it: the agent of its newest run (`lucid` or a CLI agent); null before any. */
    agent: z.string().nullable(),
    /** The model of its newest agent run, `provider/name`. */
    model: z.string().nullable(),
    /** The pull or merge request opened for its branch, once there is one. */
    prUrl: z.string().nullable(),
    /** The pull or merge request's number on its forge. */
    prNumber: z.number().int().nullable(),
    /** Where the task came from: a chat, a board card, a forge webhook, the API. */
    source: z.enum(['chat', 'board', 'notion', 'webhook', 'api', 'eval']),
    /** Why its last result was rejected; given to its next run, cleared when it is approved. */
    reviewNote: z.string().nullable(),
    /** How many attempts a best-of-N task asked for; null for a task of one. */
    attempts: z.number().int().nullable(),
    /** A best-of-N task's keeping: the top-ranked attempt by itself (`auto`) or the user's choice. */
    keep: KeepMode.nullable(),
    /** The attempt whose branch became the task's; null until one is kept. */
    keptAttemptId: Id.nullable(),
    /** For an attempt: the best-of-N task it belongs to (attempts are not on the board). */
    attemptOf: Id.nullable(),
    /** Whether it plans before coding, and whether a person approves the plan (`off`: no plan). */
    planMode: PlanMode,
    /** Its latest plan: proposed (while `plan_review`) or approved; null before any. */
    plan: Plan.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Task' });
export type Task = z.infer<typeof Task>;

/**
 * What a task's runs have taken so far, summed over them: the time they worked and the model
 * calls they made through the gateway (tokens and cost in US dollars).
 */
export const TaskTotals = z.object({
  runs: z.number().int().min(0),
  /** From each ended run's start to its end; the run now running adds the time since `runningSince`. */
  elapsedMs: z.number().int().min(0),
  /** When the run now running started (a page counts on from it); null while none runs. */
  runningSince: Timestamp.nullable(),
  /** All input tokens, cached ones included. */
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  cachedInputTokens: z.number().int().min(0),
  costUsd: z.number().min(0),
  /**
   * What the cached input tokens would have cost more at the models' full input price, less what
   * writing to the cache cost above it (0 when the writes cost more).
   */
  cacheSavingsUsd: z.number().min(0),
  /** What its model calls cost, by what they were for (the title's call included). */
  costByPhase: z.record(UsagePhase, z.number().min(0)),
});
export type TaskTotals = z.infer<typeof TaskTotals>;

/** One task as `GET /api/v1/tasks/{id}` answers it: with the totals of its runs. */
export const TaskDetail = Task.extend({ totals: TaskTotals }).meta({ id: 'TaskDetail' });
export type TaskDetail = z.infer<typeof TaskDetail>;

/** The agents Lucid can run: its own, and CLI agents inside the same sandboxes. */
export const AgentName = z.enum(['lucid', 'claude-code', 'codex', 'gemini', 'opencode', 'cursor']);
export type AgentName = z.infer<typeof AgentName>;

/** A model as `provider/name` (see GET /api/v1/models). */
const ModelRef = z.string().trim().min(3).max(200);

/** An agent as this server offers it: whether tasks may ask for it, and the models it speaks. */
export const AgentInfo = z
  .object({
    name: AgentName,
    /** True when this server's runners run it; tasks asking for another are refused. */
    available: z.boolean(),
    /** Model providers it speaks (the first part of `provider/name`); null: every one. */
    providers: z.array(z.string()).nullable(),
    /** The pinned CLI version; null for the built-in agent. */
    version: z.string().nullable(),
  })
  .meta({ id: 'Agent' });
export type AgentInfo = z.infer<typeof AgentInfo>;

export const AgentList = z.object({ agents: z.array(AgentInfo) });

/** The longest prompt a task accepts, in characters. */
export const PROMPT_MAX_CHARS = 100_000;

export const CreateTaskBody = z.object({
  repoId: Id,
  prompt: z.string().trim().min(1).max(PROMPT_MAX_CHARS),
  title: z.string().trim().min(1).max(200).optional(),
  baseBranch: z.string().trim().min(1).max(200).optional(),
  commands: z
    .array(z.string().min(1).max(100_000))
    .max(100)
    .optional()
    .describe(
      'Shell commands the run executes in the task sandbox, in order. Without them the built-in agent works on the prompt.',
    ),
  model: ModelRef.optional().describe(
    'The model the agent uses, as provider/name (see GET /api/v1/models); the default otherwise.',
  ),
  agent: AgentName.default('lucid').describe('Which agent works on the task.'),
  start: z.boolean().default(true),
  attempts: z
    .number()
    .int()
    .min(2)
    .max(5)
    .optional()
    .describe(
      'Best-of-N: this many attempts, each in its own sandbox on its own branch, in parallel; ranked by checks passed, then diff size, then cost.',
    ),
  attemptSpecs: z
    .array(z.object({ agent: AgentName.optional(), model: ModelRef.optional() }))
    .min(1)
    .max(5)
    .optional()
    .describe(
      "Per attempt, in order, the agent and model it uses (the task's own otherwise); needs attempts.",
    ),
  keep: KeepMode.optional().describe(
    'With attempts: auto keeps the top-ranked attempt by itself; choose (the default) waits for the user.',
  ),
  planMode: PlanMode.optional().describe(
    "Plan before coding: review (a person approves the plan), auto (coding follows at once) or off; the workspace's default otherwise.",
  ),
  source: z
    .enum(['chat', 'board', 'api'])
    .default('api')
    .describe('Where the task comes from: a chat, a board card, or the API.'),
});
export type CreateTaskBody = z.infer<typeof CreateTaskBody>;

export const QueueRunBody = z.object({
  commands: z
    .array(z.string().min(1).max(100_000))
    .max(100)
    .default([])
    .describe('Shell commands the run executes in the task sandbox, in order.'),
});
export type QueueRunBody = z.infer<typeof QueueRunBody>;

export const CreatedTask = z.object({ task: Task, run: Run.nullable() });

export const RunList = z.object({ runs: z.array(Run) });

export const EventsQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

/** One line of the conversations list: the task and the repository it is on. */
export const TaskSummary = Task.extend({ repoName: z.string() }).meta({
  id: 'TaskSummary',
});
export type TaskSummary = z.infer<typeof TaskSummary>;

export const TaskListQuery = z.object({
  repoId: Id.optional(),
  workspaceId: Id.optional().describe("Only this workspace's tasks."),
  status: TaskStatus.optional(),
  /** Matches the title or the prompt, case-insensitively. */
  q: z.string().trim().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type TaskListQuery = z.infer<typeof TaskListQuery>;

/** Tasks the caller can see, most recently updated first. */
/** A line of the tasks list, naming the workspace too. */
export const TaskListEntry = TaskSummary.extend({ workspaceName: z.string() }).meta({
  id: 'TaskListEntry',
});
export type TaskListEntry = z.infer<typeof TaskListEntry>;

export const TaskList = z.object({ tasks: z.array(TaskListEntry) });
export type TaskList = z.infer<typeof TaskList>;

/**
 * A change to a task: its title at any time; its prompt, agent and model only while it is to do
 * and has never run. At least one field.
 */
export const UpdateTaskBody = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    prompt: z.string().trim().min(1).max(100_000).optional(),
    agent: AgentName.optional().describe('Which agent works on the task.'),
    model: ModelRef.optional().describe(
      'The model the agent uses, as provider/name (see GET /api/v1/models).',
    ),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    message: 'Give at least one of title, prompt, agent or model to change.',
  });
export type UpdateTaskBody = z.infer<typeof UpdateTaskBody>;

/** A follow-up from the user to the agent. */
export const PostMessageBody = z.object({ text: z.string().trim().min(1).max(100_000) });
export type PostMessageBody = z.infer<typeof PostMessageBody>;

/**
 * Where a follow-up went: to the running agent, which reads it at its next step (`run` null), or
 * to a new run on the same branch and sandbox.
 */
export const PostedMessage = z.object({
  seq: z.number().int().positive(),
  delivery: z.enum(['next_step', 'new_run']),
  run: Run.nullable(),
});
export type PostedMessage = z.infer<typeof PostedMessage>;

/** Where a workspace view was read: the live sandbox, or the task branch when it has none. */
export const WorkspaceSource = z.enum(['sandbox', 'branch']);
export type WorkspaceSource = z.infer<typeof WorkspaceSource>;

export const FilesQuery = z.object({
  /** A directory relative to the repository root; the root when empty. */
  path: z.string().max(4096).default(''),
});

export const FileEntry = z.object({
  /** Relative to the repository root, with `/` separators. */
  path: z.string(),
  name: z.string(),
  type: z.enum(['file', 'dir']),
});
export type FileEntry = z.infer<typeof FileEntry>;

/** A directory's entries, directories first, then by name. */
export const FileList = z.object({
  source: WorkspaceSource,
  path: z.string(),
  entries: z.array(FileEntry),
});
export type FileList = z.infer<typeof FileList>;

export const FileContentQuery = z.object({ path: z.string().min(1).max(4096) });

export const FileContent = z.object({
  source: WorkspaceSource,
  path: z.string(),
  /** UTF-8 text; empty when the file is binary. */
  content: z.string(),
  size: z.number().int().min(0),
  binary: z.boolean(),
  /** True when the file is larger than what is returned (the first 1 MiB). */
  truncated: z.boolean(),
});
export type FileContent = z.infer<typeof FileContent>;

/** The task's changes against its base branch, as a unified diff (committed or not). */
export const TaskDiff = z.object({
  source: WorkspaceSource,
  base: z.string(),
  diff: z.string(),
  truncated: z.boolean(),
});
export type TaskDiff = z.infer<typeof TaskDiff>;
