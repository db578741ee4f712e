/**
 * @module tasks/tasks
 * Tasks: create one on a repository (and queue its first run), queue further runs, read it, its
 * runs and its events.
 * A task is visible to the members of its workspace; to anyone else it does not exist.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { AgentName, KeepMode, PlanMode } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { runs, tasks, workspaces, type RunSpec } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { recordAudit } from '../audit/audit.ts';
import { llmConfigFor, type ProviderKeyContext } from '../llm/provider-keys.ts';
import type { Principal } from '../principal.ts';
import { hasRole, refusal, roleIn } from '../workspaces/workspaces.ts';
import { assertTaskAllowed, lockWorkspaceQuota } from '../workspaces/quotas.ts';
import type { WorkspaceQuotaDefaults } from '../config.ts';
import { loadRepo, type RepoContext } from '../repos/repos.ts';
import { bareRepoPath, listBranches } from '../git/bare-repo.ts';
import { chooseAgent, type AvailableAgents } from './agent-choice.ts';
import { attemptBranch, taskBranch } from './branch-name.ts';
import { transitionTask } from './lifecycle.ts';
import { appendEvents } from './events.ts';
import { recordUsage } from './usage.ts';
import { notifyBoard } from './live-channel.ts';
import { proposeTaskNames, titleFromPrompt } from './task-naming.ts';
import { planSpec, plans } from './plan-specs.ts';
import { enqueueRun, type RunRow, type TaskRow } from './runs.ts';

/**
 * Brings a repository with an upstream on a forge up to date before a task starts on it, with the
 * forge credential of the task's creator `userId` (their own, else the workspace's); the
 * composition root gives `syncMirror`; tasks know nothing of forges.
 */
export type SyncUpstream = (repoId: string, userId: string | null) => Promise<unknown>;

export interface CreateTaskInput {
  repoId: string;
  prompt: string;
  title?: string | undefined;
  baseBranch?: string | undefined;
  /** Shell commands the run executes; without them the built-in agent works on the prompt. */
  commands?: string[] | undefined;
  /** The agent's model, `provider/name`; the configured default otherwise. */
  model?: string | undefined;
  /** Which agent works on the prompt; the built-in `lucid` by default. */
  agent?: AgentName | undefined;
  start?: boolean | undefined;
  /** Plan before coding (`review`, `auto`) or not (`off`); the workspace's default otherwise. */
  planMode?: PlanMode | undefined;
  /** Where it comes from (a chat, a board card, a webhook…); `api` by default. */
  source?: 'chat' | 'board' | 'notion' | 'webhook' | 'api' | undefined;
  /** Best-of-N: this many attempts (2 to 5), each a task of its own on its own branch. */
  attempts?: number | undefined;
  /** Per attempt, in order, its agent and model (the task's own otherwise). */
  attemptSpecs?: { agent?: AgentName | undefined; model?: string | undefined }[] | undefined;
  /** Who keeps an attempt: the top-ranked one by itself (`auto`), or the user (`choose`). */
  keep?: KeepMode | undefined;
}

/**
 * Creates a task and, unless told not to, queues its first run: the given commands, or the
 * built-in agent on the prompt, refused at once with `model_unavailable` when no model is usable
 * (by the server's providers or the actor's own keys). Over the workspace's tasks a day, or with its
 * monthly budget spent, it is refused with 429 `quota_exceeded` and nothing is stored.
 *
 * @example
 * const { task, run } = await createTask(ctx, { actor, input: { repoId, prompt: 'Fix the build' }, providers });
 */
export async function createTask(
  ctx: RepoContext,
  {
    actor,
    input,
    providers,
    agents = {},
    syncUpstream,
    quotas,
    within,
  }: {
    actor: Principal;
    input: CreateTaskInput;
    providers: ProviderKeyContext;
    /** The server's default workspace quotas (`config.workspaceQuotas`). */
    quotas: WorkspaceQuotaDefaults;
    /** CLI agents this server's runners run, each with the model providers it speaks. */
    agents?: AvailableAgents;
    /** Fetches a mirrored repository's upstream before the task starts. */
    syncUpstream?: SyncUpstream | undefined;
    /**
     * Stores what belongs to the task in the transaction storing it: if it throws, the task is
     * not stored either.
     */
    within?: ((tx: Db, task: TaskRow) => Promise<void>) | undefined;
  },
): Promise<{ task: TaskRow; run: RunRow | null }> {
  const repo = await loadRepo(ctx, actor.userId, input.repoId, 'member');
  await assertTaskAllowed(ctx.db, repo.workspaceId, quotas);
  const base = input.baseBranch;
  // A branch to start from is looked for in the mirror as the upstream has it now.
  if (repo.provider !== 'local' && (input.start !== false || base !== undefined)) {
    await syncUpstream?.(repo.id, actor.userId);
  }
  if (
    base !== undefined &&
    !(await listBranches(bareRepoPath(ctx.gitRoot, repo.id))).some((b) => b.name === base)
  ) {
    throw new AppError(
      'branch_not_found',
      `The repository ${repo.name} has no branch ${base} to start from: name one of its ` +
        `branches, or leave baseBranch out to start from ${repo.defaultBranch}.`,
    );
  }
  const llm = await llmConfigFor(providers, {
    userId: actor.userId,
    workspaceId: repo.workspaceId,
  });
  const attemptSpecs = await attemptSpecsOf(input, (choice) => chooseAgent(llm, agents, choice));
  const spec: RunSpec = input.commands
    ? { commands: input.commands }
    : {
        commands: [],
        prompt: input.prompt,
        ...(await chooseAgent(llm, agents, { agent: input.agent ?? 'lucid', model: input.model })),
      };
  const planMode = spec.agent
    ? (input.planMode ?? (await workspacePlanMode(ctx.db, repo.workspaceId)))
    : 'off';
  const id = newId('task');
  const names = await proposeTaskNames(llm, input.prompt);
  const title = input.title?.trim() || names.title || titleFromPrompt(input.prompt);
  const branch = taskBranch(names.slug ?? title, id);
  const [task] = await ctx.db.transaction(async (tx) => {
    await lockWorkspaceQuota(tx, repo.workspaceId);
    await assertTaskAllowed(tx, repo.workspaceId, quotas);
    const stored = await tx
      .insert(tasks)
      .values({
        id,
        workspaceId: repo.workspaceId,
        repoId: repo.id,
        title,
        prompt: input.prompt,
        branch,
        baseBranch: input.baseBranch ?? repo.defaultBranch,
        agent: spec.agent ?? null,
        model: spec.model ?? null,
        source: input.source ?? 'api',
        planMode,
        createdBy: actor.userId,
        ...(attemptSpecs
          ? { attemptCount: attemptSpecs.length, keepMode: input.keep ?? 'choose' }
          : {}),
      })
      .returning();
    if (attemptSpecs) {
      await tx.insert(tasks).values(
        attemptSpecs.map((choice, index) => ({
          id: newId('task'),
          workspaceId: repo.workspaceId,
          repoId: repo.id,
          title: `${title} (attempt ${index + 1})`,
          prompt: input.prompt,
          branch: attemptBranch(branch, index + 1),
          baseBranch: input.baseBranch ?? repo.defaultBranch,
          agent: choice.agent,
          model: choice.model,
          source: input.source ?? 'api',
          createdBy: actor.userId,
          attemptOf: id,
          attemptNumber: index + 1,
        })),
      );
    }
    if (stored[0]) await within?.(tx, stored[0]);
    return stored;
  });
  if (!task) throw new AppError('internal', 'The task was not stored.');
  await recordAudit(ctx.db, {
    actor,
    action: 'task.create',
    targetType: 'task',
    targetId: id,
    workspaceId: task.workspaceId,
  });
  if (spec.agent && input.start !== false) {
    // The prompt is the conversation's first user message, stored like every follow-up; a task
    // created to do later stores it when it first runs, so its card can be edited until then.
    const [message] = await appendEvents(ctx.db, {
      taskId: id,
      runId: null,
      events: [{ type: 'message.user', text: input.prompt }],
    });
    spec.promptSeq = message?.seq;
  }
  if (names.usage) {
    const caller = { runId: null, taskId: id, workspaceId: task.workspaceId, userId: actor.userId };
    await recordUsage(ctx.db, {
      caller,
      model: names.usage.model,
      usage: names.usage.tokens,
      phase: 'title',
    });
  }
  if (attemptSpecs && input.start !== false) {
    return { task: (await startAttempts(ctx.db, { task, quotas })).task, run: null };
  }
  if (input.start === false) {
    await notifyBoard(ctx.db, { repoId: repo.id, taskId: id, status: 'todo' });
    const [stored] = await ctx.db.select().from(tasks).where(eq(tasks.id, id));
    return { task: stored ?? task, run: null };
  }
  const first = plans(planMode) ? planSpec(task, spec.promptSeq) : spec;
  const run = await enqueueRun(ctx.db, { taskId: id, spec: first, quotas });
  const [queued] = await ctx.db.select().from(tasks).where(eq(tasks.id, id));
  return { task: queued ?? task, run };
}

/** The plan mode a workspace gives its new tasks that name none. */
async function workspacePlanMode(db: Db, workspaceId: string): Promise<PlanMode> {
  const [row] = await db
    .select({ planMode: workspaces.planMode })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId));
  return row?.planMode ?? 'off';
}

/**
 * The agent and model of each attempt a best-of-N input asks for (null: a task of one), each
 * checked as at creation; 400 `validation_failed` for attempts of commands, attempts not started,
 * or more specs than attempts.
 */
async function attemptSpecsOf(
  input: CreateTaskInput,
  choose: (choice: {
    agent: AgentName;
    model: string | undefined;
  }) => Promise<{ agent: NonNullable<RunSpec['agent']>; model: string }>,
): Promise<{ agent: NonNullable<RunSpec['agent']>; model: string }[] | null> {
  if (input.attempts === undefined) {
    if (input.attemptSpecs) {
      throw new AppError('validation_failed', 'attemptSpecs needs attempts: say how many.');
    }
    return null;
  }
  if (input.commands) {
    throw new AppError(
      'validation_failed',
      'Attempts are for agents: a task of commands runs them once. Leave out commands or attempts.',
    );
  }
  const specs = input.attemptSpecs ?? [];
  if (specs.length > input.attempts) {
    throw new AppError(
      'validation_failed',
      `${specs.length} attempt specs were given for ${input.attempts} attempts: give at most one per attempt.`,
    );
  }
  return Promise.all(
    Array.from({ length: input.attempts }, (_, index) =>
      choose({
        agent: specs[index]?.agent ?? input.agent ?? 'lucid',
        model: specs[index]?.model ?? input.model,
      }),
    ),
  );
}

/**
 * Starts a best-of-N task that is to do: its attempts' runs are queued, each on the task's prompt
 * (as it reads now: a card made to start later may have been edited) as its first message, with
 * the attempt's agent and model, and the task runs while they do. 409 `invalid_transition` for a
 * task no longer to do; returns the task and the attempts' runs, in order.
 *
 * @example
 * const { runs } = await startAttempts(db, { task, quotas, actor });
 */
export async function startAttempts(
  db: Db,
  {
    task,
    quotas,
    actor,
  }: { task: TaskRow; quotas: WorkspaceQuotaDefaults; actor?: Principal | undefined },
): Promise<{ task: TaskRow; runs: RunRow[] }> {
  const moved = await transitionTask(db, {
    taskId: task.id,
    action: 'attempt',
    reason: `${task.attemptCount ?? 0} attempts started, each on its own branch.`,
    actor,
  });
  const attempts = await db
    .update(tasks)
    .set({ prompt: moved.prompt, updatedAt: new Date() })
    .where(eq(tasks.attemptOf, task.id))
    .returning();
  attempts.sort((a, b) => (a.attemptNumber ?? 0) - (b.attemptNumber ?? 0));
  await appendEvents(db, {
    taskId: task.id,
    runId: null,
    events: [{ type: 'message.user', text: moved.prompt }],
  });
  const queued: RunRow[] = [];
  for (const attempt of attempts) {
    const [message] = await appendEvents(db, {
      taskId: attempt.id,
      runId: null,
      events: [{ type: 'message.user', text: attempt.prompt }],
    });
    queued.push(
      await enqueueRun(db, {
        taskId: attempt.id,
        spec: {
          commands: [],
          prompt: attempt.prompt,
          ...(attempt.agent ? { agent: attempt.agent as NonNullable<RunSpec['agent']> } : {}),
          ...(attempt.model ? { model: attempt.model } : {}),
          ...(message ? { promptSeq: message.seq } : {}),
        },
        quotas,
      }),
    );
  }
  return { task: moved, runs: queued };
}

/**
 * Queues another run of a task (a follow-up in the same sandbox, or restored from its snapshot);
 * refused with 429 `quota_exceeded` once the workspace's monthly budget is spent.
 *
 * @example
 * const run = await queueRun(db, { actor, taskId, commands: ['npm test'], quotas });
 */
export async function queueRun(
  db: Db,
  {
    actor,
    taskId,
    commands,
    quotas,
    syncUpstream,
  }: {
    actor: Principal;
    taskId: string;
    commands: string[];
    /** The server's default workspace quotas (`config.workspaceQuotas`). */
    quotas: WorkspaceQuotaDefaults;
    /** Fetches a mirrored repository's upstream before the run starts. */
    syncUpstream?: SyncUpstream | undefined;
  },
): Promise<RunRow> {
  const task = await loadTask(db, actor.userId, taskId, 'member');
  const [pending] = await db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.taskId, task.id), inArray(runs.status, ['queued', 'running'])))
    .limit(1);
  if (pending) {
    throw new AppError(
      'conflict',
      `“${task.title}” already has a run queued or running; wait for it, or stop it first.`,
    );
  }
  await syncUpstream?.(task.repoId, task.createdBy);
  const run = await enqueueRun(db, { taskId: task.id, spec: { commands }, quotas });
  await recordAudit(db, {
    actor,
    action: 'run.queue',
    targetType: 'run',
    targetId: run.id,
    workspaceId: task.workspaceId,
  });
  return run;
}

/** Loads a task the user may see (with at least `role`), else `task_not_found`. */
export async function loadTask(
  db: Db,
  userId: string,
  taskId: string,
  role: 'viewer' | 'member' = 'viewer',
): Promise<TaskRow> {
  const [task] = await db.select().from(tasks).where(eq(tasks.id, taskId));
  const actual = task ? await roleIn(db, task.workspaceId, userId) : null;
  if (!task || actual === null) {
    throw new AppError(
      'task_not_found',
      'This task does not exist, or you are not a member of its workspace.',
    );
  }
  if (!hasRole(actual, role)) {
    throw await refusal(db, {
      workspaceId: task.workspaceId,
      userId,
      needed: role,
      role: actual,
      message: `This needs the ${role} role; you are ${actual}.`,
      target: { type: 'task', id: task.id },
    });
  }
  return task;
}

export async function listRuns(db: Db, taskId: string): Promise<RunRow[]> {
  return db.select().from(runs).where(eq(runs.taskId, taskId)).orderBy(desc(runs.createdAt));
}
