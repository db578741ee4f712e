/**
 * @module db/schema
 * The Drizzle schema of everything Lucid stores. SQL migrations are generated from it with
 * `npm run db:generate -w @lucid/server` and applied at start.
 *
 * The first four tables belong to better-auth (accounts and sessions); the rest are Lucid's own.
 */
import { sql } from 'drizzle-orm';
import {
  RunStatus,
  TaskStatus,
  type ModelExchange,
  type RunnerPhases,
  type StepMessage,
  PlanMode,
  UsagePhase,
  type Plan,
} from '@lucid/contracts';
import {
  bigint,
  boolean,
  type AnyPgColumn,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** The status lists, as the contracts define them (Drizzle wants non-empty tuples). */
const taskStatuses = TaskStatus.options as [TaskStatus, ...TaskStatus[]];
const runStatuses = RunStatus.options as [RunStatus, ...RunStatus[]];
const planModes = PlanMode.options as [PlanMode, ...PlanMode[]];
const usagePhases = UsagePhase.options as [UsagePhase, ...UsagePhase[]];

const createdAt = () =>
  timestamp('created_at', { withTimezone: true })
    .notNull()
    .default(sql`now()`);
const updatedAt = () =>
  timestamp('updated_at', { withTimezone: true })
    .notNull()
    .default(sql`now()`);

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').notNull().unique(),
  emailVerified: boolean('email_verified').notNull().default(false),
  image: text('image'),
  /** `admin` manages the instance (its runners); the first user to sign up is one. */
  role: text('role', { enum: ['admin', 'user'] })
    .notNull()
    .default('user'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    token: text('token').notNull().unique(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    ipAddress: text('ip_address'),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const accounts = pgTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    providerId: text('provider_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accessToken: text('access_token'),
    refreshToken: text('refresh_token'),
    idToken: text('id_token'),
    accessTokenExpiresAt: timestamp('access_token_expires_at', { withTimezone: true }),
    refreshTokenExpiresAt: timestamp('refresh_token_expires_at', { withTimezone: true }),
    scope: text('scope'),
    password: text('password'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('accounts_user_idx').on(t.userId)],
);

export const verifications = pgTable('verifications', {
  id: text('id').primaryKey(),
  identifier: text('identifier').notNull(),
  value: text('value').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** A workspace owns repositories (and later tasks). Every user has a personal one. */
export const workspaces = pgTable('workspaces', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
  personal: boolean('personal').notNull().default(false),
  /** The plan mode of its new tasks that name none (`review`, `auto`, `off`). */
  planMode: text('plan_mode', { enum: planModes }).notNull().default('off'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * A workspace's own quotas, set by its owner; a null column takes the server's default
 * (`LUCID_WORKSPACE_*`), and 0 is no limit.
 */
export const workspaceQuotas = pgTable('workspace_quotas', {
  workspaceId: text('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  tasksPerDay: integer('tasks_per_day'),
  concurrentRuns: integer('concurrent_runs'),
  monthlyBudgetUsd: doublePrecision('monthly_budget_usd'),
  updatedAt: updatedAt(),
});

/**
 * A workspace's safety policy, set by its owner or an admin: the paths the agent's work may not
 * touch, the most files one change may touch (null: no limit), and the shell commands the built-in
 * agent refuses. No row: no policy.
 */
export const workspaceSafetyPolicies = pgTable('workspace_safety_policies', {
  workspaceId: text('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  protectedPaths: jsonb('protected_paths').$type<string[]>().notNull().default([]),
  maxFilesChanged: integer('max_files_changed'),
  refusedCommands: jsonb('refused_commands').$type<string[]>().notNull().default([]),
  updatedAt: updatedAt(),
});

export const workspaceMembers = pgTable(
  'workspace_members',
  {
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'admin', 'member', 'viewer'] }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.userId] }),
    index('workspace_members_user_idx').on(t.userId),
  ],
);

/**
 * A repository. Its bare git repo lives at `<dataDir>/git/<id>.git` (derived, not stored).
 * `provider` is `local` for repos pushed into Lucid; forges add `github` and `gitlab`.
 */
export const repositories = pgTable(
  'repositories',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    provider: text('provider', { enum: ['local', 'github', 'gitlab'] })
      .notNull()
      .default('local'),
    /** The forge repository's web URL, for a repository mirrored from GitHub or GitLab. */
    upstreamUrl: text('upstream_url'),
    /** `owner/name` on GitHub, the project's `path_with_namespace` on GitLab. */
    upstreamFullName: text('upstream_full_name'),
    /** The user whose forge connection fetches, pushes and opens pull requests for it. */
    upstreamUserId: text('upstream_user_id').references(() => users.id, { onDelete: 'set null' }),
    /** When the mirror was last fetched from upstream, and the default branch's sha then. */
    lastSyncedAt: timestamp('last_synced_at', { withTimezone: true }),
    lastSyncedSha: text('last_synced_sha'),
    defaultBranch: text('default_branch').notNull(),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    lastPushedAt: timestamp('last_pushed_at', { withTimezone: true }),
    /**
     * The secret this repository's forge webhook is signed with (GitHub) or carries (GitLab),
     * sealed with ENCRYPTION_KEY; a delivery is accepted for this repository only.
     */
    sealedWebhookSecret: text('sealed_webhook_secret'),
    /** Run in a task's workspace after each agent run (e.g. `npm test`); null: none. */
    checkCommand: text('check_command'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('repositories_workspace_name_idx').on(t.workspaceId, sql`lower(${t.name})`)],
);

/**
 * Invitations to sign up (and, with a workspace, to join it with a role). Only a SHA-256 hash of
 * the secret in the link is stored; an invitation is used once and expires.
 */
export const invitations = pgTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    /** When set, only this address may use it (compared case-insensitively). */
    email: text('email'),
    /** The workspace it lets its user join, with `role`; null for an invitation to the instance. */
    workspaceId: text('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'admin', 'member', 'viewer'] }),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    acceptedBy: text('accepted_by').references(() => users.id, { onDelete: 'set null' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('invitations_workspace_idx').on(t.workspaceId)],
);

/** Personal API tokens. Only a SHA-256 hash of the secret is stored. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    prefix: text('prefix').notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);

/**
 * Users' own model provider keys, sealed with ENCRYPTION_KEY (`secrets/secret-box.ts`); only the
 * hint (last characters) is readable. One key per user and provider.
 */
export const providerKeys = pgTable(
  'provider_keys',
  {
    id: text('id').primaryKey(),
    /** The user whose own key it is; null for a workspace's key. */
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** The workspace whose key it is, for its members' tasks; null for a user's own. */
    workspaceId: text('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    provider: text('provider', {
      enum: ['anthropic', 'openai', 'openai-compatible', 'gemini'],
    }).notNull(),
    sealedKey: text('sealed_key').notNull(),
    hint: text('hint').notNull(),
    /** openai-compatible only: the server the key is for; OPENAI_COMPATIBLE_BASE_URL when null. */
    baseUrl: text('base_url'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('provider_keys_user_provider_idx').on(t.userId, t.provider),
    uniqueIndex('provider_keys_workspace_provider_idx').on(t.workspaceId, t.provider),
    check('provider_keys_one_owner', sql`(${t.userId} is null) <> (${t.workspaceId} is null)`),
  ],
);

/**
 * A connection to a forge (GitHub, GitLab) of a user or of a workspace: its tokens sealed with
 * ENCRYPTION_KEY, and the account they belong to. One per owner and provider.
 */
export const connections = pgTable(
  'connections',
  {
    id: text('id').primaryKey(),
    /** The user whose own connection it is; null for a workspace's. */
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** The workspace whose connection it is, for its members' tasks; null for a user's own. */
    workspaceId: text('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    provider: text('provider', { enum: ['github', 'gitlab'] }).notNull(),
    method: text('method', { enum: ['oauth', 'token'] }).notNull(),
    sealedAccessToken: text('sealed_access_token').notNull(),
    sealedRefreshToken: text('sealed_refresh_token'),
    /** When the access token expires (GitLab's OAuth tokens do); null when it does not. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    accountId: text('account_id').notNull(),
    login: text('login').notNull(),
    name: text('name'),
    avatarUrl: text('avatar_url'),
    scopes: jsonb('scopes').$type<string[]>().notNull().default([]),
    /** The forge's web address when connected (GITHUB_URL or GITLAB_URL). */
    baseUrl: text('base_url').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('connections_user_provider_idx').on(t.userId, t.provider),
    uniqueIndex('connections_workspace_provider_idx').on(t.workspaceId, t.provider),
    check('connections_one_owner', sql`(${t.userId} is null) <> (${t.workspaceId} is null)`),
  ],
);

/**
 * An OAuth authorization under way: the `state` sent to the provider, the PKCE verifier, and who
 * asked. Used once, within ten minutes.
 */
export const oauthStates = pgTable('oauth_states', {
  state: text('state').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  provider: text('provider', { enum: ['github', 'gitlab', 'notion'] }).notNull(),
  codeVerifier: text('code_verifier').notNull(),
  /** Where to send the browser once connected (a path on this server). */
  returnTo: text('return_to').notNull().default('/settings'),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  createdAt: createdAt(),
});

/** Webhook deliveries already handled, by the provider's delivery id, so a replay is ignored. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    provider: text('provider', { enum: ['github', 'gitlab'] }).notNull(),
    deliveryId: text('delivery_id').notNull(),
    event: text('event').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true })
      .notNull()
      .default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.provider, t.deliveryId] })],
);

/**
 * Who did what, when, from where. Written for every state change. Actor ids are kept as plain
 * text, not foreign keys, so the trail outlives what it speaks of.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id'),
    actorUserId: text('actor_user_id'),
    actorTokenId: text('actor_token_id'),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id'),
    ip: text('ip'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    at: timestamp('at', { withTimezone: true })
      .notNull()
      .default(sql`now()`),
  },
  (t) => [
    index('audit_log_actor_idx').on(t.actorUserId, t.at),
    index('audit_log_workspace_idx').on(t.workspaceId, t.at),
  ],
);

/**
 * A unit of work on a repository: a chat, a board card, a webhook's request. Its history is the
 * event log; its work happens in runs. `lastSeq` is the sequence number of its newest event.
 */
export const tasks = pgTable(
  'tasks',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    repoId: text('repo_id')
      .notNull()
      .references(() => repositories.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    prompt: text('prompt').notNull(),
    status: text('status', { enum: taskStatuses }).notNull().default('todo'),
    source: text('source', { enum: ['chat', 'board', 'notion', 'webhook', 'api', 'eval'] })
      .notNull()
      .default('api'),
    branch: text('branch').notNull(),
    baseBranch: text('base_branch').notNull(),
    /** The task's sandbox while it is kept; null once reaped (then `snapshotRef` restores it). */
    sandboxId: text('sandbox_id'),
    /** A ref in the task's repo holding the workspace as the reaper left it. */
    snapshotRef: text('snapshot_ref'),
    lastSeq: integer('last_seq').notNull().default(0),
    /** The agent working on it (`lucid` or a CLI agent) and its model; null for command-only tasks. */
    agent: text('agent'),
    model: text('model'),
    /** The pull or merge request opened for its branch. */
    prUrl: text('pr_url'),
    prNumber: integer('pr_number'),
    /** Why its last result was rejected on review; given to the next run. */
    reviewNote: text('review_note'),
    /** Whether it plans before coding, and whether a person approves the plan. */
    planMode: text('plan_mode', { enum: planModes }).notNull().default('off'),
    /** Its latest plan: proposed (while in plan review) or approved. */
    plan: jsonb('plan').$type<Plan>(),
    /** The forge issue it was created from, for a webhook's task (to comment the PR link back). */
    externalRef: jsonb('external_ref').$type<{
      provider: 'github' | 'gitlab';
      repo: string;
      issue: number;
    }>(),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    /** A best-of-N task: how many attempts, who keeps one, and the one kept. */
    attemptCount: integer('attempt_count'),
    keepMode: text('keep_mode', { enum: ['auto', 'choose'] }),
    keptAttemptId: text('kept_attempt_id'),
    /** An attempt: the best-of-N task it belongs to, and its number there (1 to N). */
    attemptOf: text('attempt_of').references((): AnyPgColumn => tasks.id, {
      onDelete: 'cascade',
    }),
    attemptNumber: integer('attempt_number'),
    /** An attempt's rank once all attempts finished (1 the best), and what it was ranked by. */
    attemptRank: integer('attempt_rank'),
    attemptScore: jsonb('attempt_score').$type<AttemptScore>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('tasks_workspace_idx').on(t.workspaceId, t.updatedAt),
    index('tasks_attempt_of_idx').on(t.attemptOf),
    index('tasks_repo_idx').on(t.repoId),
    /** A sandbox belongs to one task at most. */
    uniqueIndex('tasks_sandbox_idx')
      .on(t.sandboxId)
      .where(sql`${t.sandboxId} is not null`),
  ],
);

/** What an attempt was ranked by: its check, its diff against the base branch, its cost. */
export interface AttemptScore {
  checksPassed: boolean;
  linesChanged: number;
  costUsd: number;
}

/**
 * One attempt at a task's work. The runs table is the queue: a runner claims a queued run with
 * `FOR UPDATE SKIP LOCKED` and holds it by a lease it renews with heartbeats.
 */
/** A run's work: its shell commands, or (`agent` set) the agent's prompt and `provider/name` model. */
export interface RunSpec {
  commands: string[];
  agent?: 'lucid' | 'claude-code' | 'codex' | 'gemini' | 'opencode' | 'cursor';
  prompt?: string;
  model?: string;
  /** The `message.user` event holding the prompt: earlier messages are the conversation so far. */
  promptSeq?: number;
  /** When its runner reached each step of the run's start (epoch ms), told when the run ended. */
  phases?: RunnerPhases;
  /** `plan`: the built-in agent plans (read-only, nothing pushed); absent: it codes. */
  kind?: 'plan';
  /** The approved plan a coding run follows. */
  plan?: Plan;
}

export const runs = pgTable(
  'runs',
  {
    id: text('id').primaryKey(),
    taskId: text('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    status: text('status', { enum: runStatuses }).notNull().default('queued'),
    /** What to do: shell commands, or the built-in agent on a prompt with a model. */
    spec: jsonb('spec').$type<RunSpec>().notNull(),
    /** 1 for a first run; a run re-queued after its runner vanished counts up. */
    attempt: integer('attempt').notNull().default(1),
    runnerId: text('runner_id'),
    sandboxId: text('sandbox_id'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    exitCode: integer('exit_code'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    /** A succeeded agent run that left no commit beyond the base branch: nothing to review. */
    noChanges: boolean('no_changes').notNull().default(false),
    /** The session id a CLI agent reported: a later run of the same agent resumes it. */
    agentSession: text('agent_session'),
    /**
     * The run's trace (set at its claim when tracing is on): its trace id, and its root span `run`
     * as a W3C `traceparent`, which every part of its work (on any runner, in later jobs) joins.
     */
    traceId: text('trace_id'),
    traceParent: text('trace_parent'),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('runs_queue_idx').on(t.status, t.createdAt), index('runs_task_idx').on(t.taskId)],
);

/**
 * The built-in agent's steps, as its model saw them (secrets masked, tool output cut to size):
 * later runs on the task are given them. `after_seq` is the last user message the run had read
 * when the step began, which places the step among the task's messages.
 */
export const trajectorySteps = pgTable(
  'trajectory_steps',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    taskId: text('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    step: integer('step').notNull(),
    afterSeq: integer('after_seq').notNull(),
    messages: jsonb('messages').$type<StepMessage[]>().notNull(),
    /** Characters of its text, tool inputs and results: what bounds a run's history. */
    chars: integer('chars').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.step] }),
    index('trajectory_steps_task_idx').on(t.taskId, t.afterSeq),
  ],
);

/**
 * Each model exchange of a run of the built-in agent, in order: the request as its loop built it
 * (as a change to the one before), the answer and the tool results, masked as the steps are.
 * What a run's export holds, and a replay plays back.
 */
export const modelExchanges = pgTable(
  'model_exchanges',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    taskId: text('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    step: integer('step').notNull(),
    afterSeq: integer('after_seq').notNull(),
    exchange: jsonb('exchange').$type<ModelExchange>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.step] }),
    index('model_exchanges_task_idx').on(t.taskId),
  ],
);

/** A process that executes runs: the server's own, or `lucid runner` on another host. */
export const runners = pgTable('runners', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  kind: text('kind', { enum: ['in_process', 'remote'] }).notNull(),
  /** Hash of the runner's token (remote runners only). */
  tokenHash: text('token_hash').unique(),
  capacity: integer('capacity').notNull().default(1),
  lastHeartbeatAt: timestamp('last_heartbeat_at', { withTimezone: true }),
  createdBy: text('created_by'),
  createdAt: createdAt(),
});

/**
 * The credential a run's sandbox holds: it reads one repository and pushes only to its task's
 * branch, and dies with the run.
 */
export const runTokens = pgTable('run_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  runId: text('run_id')
    .notNull()
    .references(() => runs.id, { onDelete: 'cascade' }),
  repoId: text('repo_id').notNull(),
  branch: text('branch').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/** A task's append-only history; `seq` numbers each task's events from 1 without gaps. */
export const events = pgTable(
  'events',
  {
    taskId: text('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    runId: text('run_id'),
    type: text('type').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    at: timestamp('at', { withTimezone: true })
      .notNull()
      .default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.seq] })],
);

/**
 * What a run's model calls used, one row per call through the LLM gateway, with its cost from the
 * price table. Budgets are sums over it (a run's; a user's this calendar month).
 */
export const usage = pgTable(
  'usage',
  {
    id: text('id').primaryKey(),
    /** Null for a call made for the task outside a run (naming it with the small model). */
    runId: text('run_id'),
    taskId: text('task_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    userId: text('user_id'),
    /** `provider/name`. */
    model: text('model').notNull(),
    /** All input tokens, cached ones included. */
    inputTokens: integer('input_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    cachedInputTokens: integer('cached_input_tokens').notNull().default(0),
    /** The part of the input written to the provider's cache. */
    cacheWriteTokens: integer('cache_write_tokens').notNull().default(0),
    costUsd: doublePrecision('cost_usd').notNull(),
    /** What the call was for: planning, coding, a task's title, a summary of older steps. */
    phase: text('phase', { enum: usagePhases }).notNull().default('code'),
    at: timestamp('at', { withTimezone: true })
      .notNull()
      .default(sql`now()`),
  },
  (t) => [
    index('usage_run_idx').on(t.runId),
    index('usage_user_idx').on(t.userId, t.at),
    index('usage_task_idx').on(t.taskId),
  ],
);

export const jobStatuses = ['queued', 'running', 'succeeded', 'failed'] as const;

/**
 * Durable work that follows a change and talks to another service (publishing a run to its
 * forge): stored, claimed with `FOR UPDATE SKIP LOCKED`, retried with backoff, taken up again
 * after a restart (jobs/).
 */
export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    /** Unique per kind: enqueueing the same work twice stores it once (e.g. the run's id). */
    key: text('key').notNull(),
    /** The task the work is for; one task's jobs of a kind run one at a time. */
    taskId: text('task_id').references(() => tasks.id, { onDelete: 'cascade' }),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status', { enum: jobStatuses }).notNull().default('queued'),
    /** Attempts started so far. */
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(5),
    /** Not before: the next attempt's time after a failure. */
    runAt: timestamp('run_at', { withTimezone: true })
      .notNull()
      .default(sql`now()`),
    /** While running: the claim holds until then, renewed as it works; past it, it is taken again. */
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('jobs_kind_key_idx').on(t.kind, t.key),
    index('jobs_due_idx').on(t.status, t.runAt),
    index('jobs_task_idx').on(t.taskId),
  ],
);

/**
 * API requests counted per caller and fixed window (`http/rate-limit.ts`): every Lucid process on
 * the database counts in the same row, so the limit holds behind a load balancer. Rows of windows
 * gone by are swept as new windows begin.
 */
export const rateLimitCounts = pgTable(
  'rate_limit_counts',
  {
    /** Who is counted: `token:<id>`, `user:<id>` or `ip:<address>`, with the route's scope. */
    key: text('key').notNull(),
    /** The window's start, in milliseconds since the epoch of the database's clock. */
    windowStart: bigint('window_start', { mode: 'number' }).notNull(),
    count: integer('count').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.key, t.windowStart] }),
    index('rate_limit_counts_window_idx').on(t.windowStart),
  ],
);

/**
 * Notion connections: a Notion workspace's bot token (OAuth or an internal integration token),
 * sealed. It belongs to a user, or to a Lucid workspace when an admin connects it for everyone;
 * exactly one of the two owners is set.
 */
export const notionConnections = pgTable(
  'notion_connections',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    workspaceId: text('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    method: text('method', { enum: ['oauth', 'token'] }).notNull(),
    sealedToken: text('sealed_token').notNull(),
    botId: text('bot_id').notNull(),
    /** The Notion workspace the token reaches: its name and icon (an emoji or an image URL). */
    notionWorkspaceName: text('notion_workspace_name'),
    notionWorkspaceIcon: text('notion_workspace_icon'),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    /** When Notion last refused the token: the connection needs connecting again. */
    refusedAt: timestamp('refused_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('notion_connections_user_idx')
      .on(t.userId)
      .where(sql`${t.userId} is not null`),
    uniqueIndex('notion_connections_workspace_idx')
      .on(t.workspaceId)
      .where(sql`${t.workspaceId} is not null`),
    check('notion_connections_one_owner', sql`(${t.userId} is null) <> (${t.workspaceId} is null)`),
  ],
);

/** The status options of a mapped database Lucid moves a page through. */
export interface NotionStatusOptions {
  todo?: string | undefined;
  inProgress?: string | undefined;
  inReview?: string | undefined;
  done?: string | undefined;
  failed?: string | undefined;
}

/** How a Notion database's pages become tasks: the repository, base branch and properties. */
export const notionMappings = pgTable(
  'notion_mappings',
  {
    id: text('id').primaryKey(),
    connectionId: text('connection_id')
      .notNull()
      .references(() => notionConnections.id, { onDelete: 'cascade' }),
    databaseId: text('database_id').notNull(),
    /** The database's data source (Notion-Version 2025-09-03); null on 2022-06-28. */
    dataSourceId: text('data_source_id'),
    repoId: text('repo_id')
      .notNull()
      .references(() => repositories.id, { onDelete: 'cascade' }),
    baseBranch: text('base_branch'),
    statusProperty: text('status_property'),
    statusOptions: jsonb('status_options').$type<NotionStatusOptions>().notNull().default({}),
    prLinkProperty: text('pr_link_property'),
    previewProperty: text('preview_property'),
    /** The status option whose pages are started automatically; null while pickup is off. */
    pickupStatus: text('pickup_status'),
    /** The user who turned pickup on: picked tasks are theirs. */
    pickupUserId: text('pickup_user_id').references(() => users.id, { onDelete: 'set null' }),
    pickupPolledAt: timestamp('pickup_polled_at', { withTimezone: true }),
    /** What went wrong at the last poll, in words. */
    pickupError: text('pickup_error'),
    /** Set when Notion refused the token or lost the database: no more polls until saved again. */
    pickupStopped: boolean('pickup_stopped').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('notion_mappings_connection_database_idx').on(t.connectionId, t.databaseId)],
);

/**
 * A page automatic pickup started a task from: stored in the task's own transaction, its key
 * makes a second start of the page (another poll, another server) fail and roll back.
 */
export const notionPickups = pgTable(
  'notion_pickups',
  {
    mappingId: text('mapping_id')
      .notNull()
      .references(() => notionMappings.id, { onDelete: 'cascade' }),
    pageId: text('page_id').notNull(),
    taskId: text('task_id').references(() => tasks.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.mappingId, t.pageId] })],
);

/** A task started from a Notion page: where it came from, and where write-backs go. */
export const taskNotionLinks = pgTable('task_notion_links', {
  taskId: text('task_id')
    .primaryKey()
    .references(() => tasks.id, { onDelete: 'cascade' }),
  connectionId: text('connection_id').references(() => notionConnections.id, {
    onDelete: 'set null',
  }),
  pageId: text('page_id').notNull(),
  url: text('url').notNull(),
  title: text('title').notNull(),
  databaseId: text('database_id').notNull(),
  dataSourceId: text('data_source_id'),
  /** The page's status when the task was started from it. */
  status: text('status'),
  createdAt: createdAt(),
});

/**
 * Vercel connections: a Vercel token (and the team it acts in, if any), sealed with
 * ENCRYPTION_KEY, owned by a user or by a workspace (exactly one).
 */
export const vercelConnections = pgTable(
  'vercel_connections',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    workspaceId: text('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    sealedToken: text('sealed_token').notNull(),
    /** The Vercel team the token acts in (`teamId` of every call); null for the personal account. */
    teamId: text('team_id'),
    /** The Vercel account the token belongs to, as `GET /v2/user` answered. */
    accountId: text('account_id').notNull(),
    username: text('username').notNull(),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('vercel_connections_user_idx')
      .on(t.userId)
      .where(sql`${t.userId} is not null`),
    uniqueIndex('vercel_connections_workspace_idx')
      .on(t.workspaceId)
      .where(sql`${t.workspaceId} is not null`),
    check('vercel_connections_one_owner', sql`(${t.userId} is null) <> (${t.workspaceId} is null)`),
  ],
);

/** A repository's Vercel project: where its tasks' previews are deployed. One per repository. */
export const vercelLinks = pgTable('vercel_links', {
  repoId: text('repo_id')
    .primaryKey()
    .references(() => repositories.id, { onDelete: 'cascade' }),
  connectionId: text('connection_id')
    .notNull()
    .references(() => vercelConnections.id, { onDelete: 'cascade' }),
  projectId: text('project_id').notNull(),
  projectName: text('project_name').notNull(),
  /** The project's own git link (`github`, `gitlab`…), when Vercel builds it from a forge. */
  gitProvider: text('git_provider'),
  gitRepo: text('git_repo'),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const deploymentTargets = ['preview', 'production'] as const;

/**
 * A task's deployments on Vercel: previews of its commits, and the production deployments made of
 * them (a promotion or a rollback), each with who asked for it and who approved it.
 */
export const vercelDeployments = pgTable(
  'vercel_deployments',
  {
    id: text('id').primaryKey(),
    taskId: text('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    repoId: text('repo_id')
      .notNull()
      .references(() => repositories.id, { onDelete: 'cascade' }),
    projectId: text('project_id').notNull(),
    commitSha: text('commit_sha').notNull(),
    /** Vercel's deployment id; null until Vercel has answered. */
    vercelId: text('vercel_id'),
    url: text('url'),
    /** Vercel's `readyState`: QUEUED, BUILDING, READY, ERROR, CANCELED (PROMOTING while Lucid asks). */
    state: text('state').notNull(),
    errorMessage: text('error_message'),
    target: text('target', { enum: deploymentTargets }).notNull(),
    /** For production: `promote` or `rollback`; the preview it came from. */
    action: text('action'),
    sourceId: text('source_id'),
    /** The last build event Vercel sent that the task's timeline holds (its `created`, ms). */
    eventsSince: bigint('events_since', { mode: 'number' }),
    requestedBy: text('requested_by').references(() => users.id, { onDelete: 'set null' }),
    requestedAt: timestamp('requested_at', { withTimezone: true }),
    approvedBy: text('approved_by').references(() => users.id, { onDelete: 'set null' }),
    approvedAt: timestamp('approved_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('vercel_deployments_task_idx').on(t.taskId, t.createdAt),
    index('vercel_deployments_project_idx').on(t.projectId, t.target, t.createdAt),
  ],
);

export const evalStatuses = ['running', 'done', 'cancelled'] as const;
export const evalResultStatuses = [
  'pending',
  'running',
  'checking',
  'passed',
  'failed',
  'cancelled',
] as const;

/** A file written into a case's workspace for its check only, never shown to the agent. */
export interface EvalHiddenFile {
  path: string;
  content: string;
}

/** An evaluation: one suite run by one agent and model, each case `attempts` times, `concurrency` at once. */
export const evals = pgTable(
  'evals',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    suite: text('suite').notNull(),
    agent: text('agent').notNull(),
    model: text('model').notNull(),
    attempts: integer('attempts').notNull(),
    concurrency: integer('concurrency').notNull(),
    status: text('status', { enum: evalStatuses }).notNull().default('running'),
    createdAt: createdAt(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('evals_workspace_idx').on(t.workspaceId, t.createdAt)],
);

/** An evaluation's cases as it was started: repository and commit, prompt, check and hidden files. */
export const evalCases = pgTable(
  'eval_cases',
  {
    evalId: text('eval_id')
      .notNull()
      .references(() => evals.id, { onDelete: 'cascade' }),
    caseId: text('case_id').notNull(),
    position: integer('position').notNull(),
    repoId: text('repo_id')
      .notNull()
      .references(() => repositories.id, { onDelete: 'cascade' }),
    commitSha: text('commit_sha').notNull(),
    prompt: text('prompt').notNull(),
    check: text('check').notNull(),
    hidden: jsonb('hidden').$type<EvalHiddenFile[]>().notNull().default([]),
  },
  (t) => [primaryKey({ columns: [t.evalId, t.caseId] })],
);

/**
 * One attempt at one case: its task (an eval task, off the board), the agent's run, the check's
 * run, and what came of it.
 */
export const evalResults = pgTable(
  'eval_results',
  {
    id: text('id').primaryKey(),
    evalId: text('eval_id')
      .notNull()
      .references(() => evals.id, { onDelete: 'cascade' }),
    caseId: text('case_id').notNull(),
    attempt: integer('attempt').notNull(),
    /** The order attempts start in. */
    position: integer('position').notNull(),
    status: text('status', { enum: evalResultStatuses }).notNull().default('pending'),
    taskId: text('task_id').references(() => tasks.id, { onDelete: 'set null' }),
    agentRunId: text('agent_run_id'),
    checkRunId: text('check_run_id'),
    durationMs: integer('duration_ms'),
    steps: integer('steps'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    costUsd: doublePrecision('cost_usd'),
    filesChanged: integer('files_changed'),
    insertions: integer('insertions'),
    deletions: integer('deletions'),
    patch: text('patch'),
    /** The end of the check's output (or why the attempt failed before its check). */
    output: text('output'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('eval_results_attempt_idx').on(t.evalId, t.caseId, t.attempt),
    uniqueIndex('eval_results_task_idx').on(t.taskId),
    index('eval_results_status_idx').on(t.evalId, t.status),
  ],
);
