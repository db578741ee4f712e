/**
 * @module control/runner-backend
 * The runner backend of the server's own runner: straight to the database. With the server's live
 * hub, answers' text goes to it in memory (no statement per piece) and stored events are announced
 * to it at once; without one, through the database's notification channel. A claim carries what
 * Lucid's copy of the repository says (the heads of the task's branches, the files the built-in
 * agent's prompt quotes), so the runner need not wait for the workspace to learn them.
 */
import { and, eq } from 'drizzle-orm';
import type {
  ClaimedRun,
  EventBody,
  PromptRepository,
  FinishRunBody,
  InboxMessage,
  LeaseAnswer,
  RunMemoryBody,
  RunnerHeartbeatAnswer,
  SnapshotGrant,
} from '@lucid/contracts';
import type { WorkspaceQuotaDefaults } from '../config.ts';
import type { Db } from '../db/client.ts';
import { repositories, runners, runs } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { PROMPT_FILE_MAX_BYTES, promptFiles } from '../agent/system-prompt.ts';
import { bareRepoPath, branchHeads, readFilesAt } from '../git/bare-repo.ts';
import { agentContextOf } from '../llm/context-window.ts';
import { appendEvents } from '../tasks/events.ts';
import { followUpsAfter } from '../tasks/conversation.ts';
import { appendedNote, sendDraft } from '../tasks/live-channel.ts';
import type { LiveHub } from '../tasks/live.ts';
import { claimRun, finishRun, handBackRun, renewLease } from './queue.ts';
import { safetyPolicyOf } from '../workspaces/safety-policy.ts';
import { mintRunToken, revokeRunTokens } from '../auth/run-tokens.ts';
import {
  attachSandbox,
  recordSnapshot,
  sandboxRunner,
  sandboxTasks,
  snapshotGrant,
} from '../tasks/snapshots.ts';
import type { AppendOptions, RunnerBackend } from '../runner/backend.ts';
import type { RunRow, TaskRow } from '../tasks/runs.ts';
import { failed, noTracing, type Tracing } from '../tracing/tracing.ts';
import { goneRunners } from './runners.ts';
import { agentMemory, rememberRun } from '../tasks/trajectory.ts';

export interface DbBackendOptions {
  db: Db;
  runnerId: string;
  leaseMs: number;
  /** The longest a run may take. */
  maxRuntimeMs: number;
  /** Lucid's base URL as sandboxes reach it. */
  sandboxUrl: string;
  /** Lucid's LLM gateway (`…/llm`) as the runner reaches it: where agents call their models. */
  gatewayUrl: string;
  /** Model calls an agent run may make. */
  agentMaxSteps: number;
  /** LUCID_CONTEXT_WINDOW and LUCID_SMALL_MODEL: what an agent run is told of its model's context. */
  agentContext?: {
    contextWindow?: number | undefined;
    smallModel?: string | undefined;
    /** LUCID_PLAN_MODEL: the model of planning runs (the small model, then the task's, without it). */
    planModel?: string | undefined;
  };
  /** Limit claims to the workspaces this user administers (remote runners). */
  onlyWorkspacesOf?: string | null;
  /** The workspaces' default quotas: a workspace at its limit of runs at once is passed over. */
  quotas?: WorkspaceQuotaDefaults;
  /** This server's live hub: drafts are published through it, with no statement per piece. */
  live?: LiveHub;
  /**
   * Where Lucid's copies of the repositories live: a claim then names the commits of the task's
   * branches and carries what the built-in agent's first prompt quotes of the repository.
   */
  gitRoot?: string;
  /** This server's tracing: a claimed run gets its trace, and the claim is its first span. */
  tracing?: Tracing;
}

/** The repository's check command, for the agent's spec (none: nothing). */
async function checkCommandOf(db: Db, repoId: string): Promise<{ checkCommand?: string }> {
  const [repo] = await db
    .select({ checkCommand: repositories.checkCommand })
    .from(repositories)
    .where(eq(repositories.id, repoId));
  return repo?.checkCommand ? { checkCommand: repo.checkCommand } : {};
}

/** The commands the workspace's safety policy refuses, for the agent's spec (none: nothing). */
async function refusedCommandsOf(
  db: Db,
  workspaceId: string,
): Promise<{ refusedCommands?: string[] }> {
  const { refusedCommands } = await safetyPolicyOf(db, workspaceId);
  return refusedCommands.length > 0 ? { refusedCommands } : {};
}

export class DbRunnerBackend implements RunnerBackend {
  constructor(private readonly options: DbBackendOptions) {}

  async claim(): Promise<ClaimedRun | null> {
    const { db, runnerId, leaseMs, onlyWorkspacesOf } = this.options;
    const tracing = this.options.tracing ?? noTracing;
    const claimed = await claimRun(db, {
      runnerId,
      leaseMs,
      onlyWorkspacesOf: onlyWorkspacesOf ?? null,
      quotas: this.options.quotas,
      traceParent: tracing.newRunTrace(),
    });
    if (!claimed) return null;
    const { run, task } = claimed;
    // From the run's claim to its answer being ready (the copy read, the token minted).
    const claimSpan = tracing.startSpan('claim', {
      parent: run.traceParent,
      attributes: { 'lucid.run.id': run.id, 'lucid.runner.id': runnerId },
      ...(run.startedAt ? { startTime: run.startedAt } : {}),
    });
    try {
      return await this.claimed(run, task, run.traceParent);
    } catch (error) {
      failed(claimSpan, error);
      throw error;
    } finally {
      claimSpan.end();
    }
  }

  /** What the runner is told of a run it has just claimed. */
  private async claimed(
    run: RunRow,
    task: TaskRow,
    traceParent: string | null,
  ): Promise<ClaimedRun> {
    const { db, runnerId, leaseMs, maxRuntimeMs, sandboxUrl } = this.options;
    const planning = run.spec.kind === 'plan';
    const context = this.options.agentContext ?? {};
    const model = planning
      ? (context.planModel ?? context.smallModel ?? task.model ?? run.spec.model ?? '')
      : (run.spec.model ?? '');
    this.options.live?.hold({ runId: run.id, runnerId, taskId: task.id });
    // A sandbox another runner put on the task is not this runner's to use: it starts afresh.
    const sandboxId =
      task.sandboxId &&
      (await sandboxRunner(db, { taskId: task.id, sandboxId: task.sandboxId })) === runnerId
        ? task.sandboxId
        : null;
    const copy = await this.fromCopy({
      repoId: task.repoId,
      branch: task.branch,
      baseBranch: task.baseBranch,
      snapshot: sandboxId === null ? task.snapshotRef : null,
      forPrompt: run.spec.agent === 'lucid',
    });
    const token = await mintRunToken(db, {
      runId: run.id,
      repoId: task.repoId,
      branch: task.branch,
      ttlMs: maxRuntimeMs + leaseMs,
    });
    return {
      run: {
        id: run.id,
        taskId: run.taskId,
        attempt: run.attempt,
        commands: run.spec.commands,
        ...(run.spec.agent
          ? {
              agent: {
                name: run.spec.agent,
                prompt: run.spec.prompt ?? task.prompt,
                ...(run.spec.promptSeq
                  ? await agentMemory(db, {
                      taskId: task.id,
                      beforeSeq: run.spec.promptSeq,
                      agent: run.spec.agent,
                    })
                  : { history: [], unseen: [], earlierRuns: [] }),
                promptSeq: run.spec.promptSeq ?? 0,
                model,
                maxSteps: this.options.agentMaxSteps,
                gatewayUrl: this.options.gatewayUrl,
                ...(model ? { context: agentContextOf(model, context) } : {}),
                mode: planning ? 'plan' : 'code',
                ...(run.spec.plan ? { plan: run.spec.plan } : {}),
                ...(copy.repository ? { repository: copy.repository } : {}),
                ...(await refusedCommandsOf(db, task.workspaceId)),
                ...(await checkCommandOf(db, task.repoId)),
              },
            }
          : {}),
      },
      task: {
        id: task.id,
        repoId: task.repoId,
        branch: task.branch,
        baseBranch: task.baseBranch,
        sandboxId,
        snapshot: task.snapshotRef,
        ...(copy.heads ? { heads: copy.heads } : {}),
      },
      git: { cloneUrl: `${sandboxUrl}/git/${task.repoId}.git`, token },
      limits: { leaseMs, maxRuntimeMs },
      waitedMs: 0,
      ...(traceParent ? { trace: { parent: traceParent } } : {}),
    };
  }

  /**
   * What a claim tells of Lucid's copy of the task's repository: the commits of its branch and
   * base branch, and (for the built-in agent) the files its system prompt quotes, at the commit
   * the workspace will hold (the snapshot to restore, else the branch, else the base branch). A
   * copy that cannot be read tells nothing: the runner then fetches, and reads the workspace.
   */
  private async fromCopy(task: {
    repoId: string;
    branch: string;
    baseBranch: string;
    snapshot: string | null;
    forPrompt: boolean;
  }): Promise<{ heads?: ClaimedRun['task']['heads']; repository?: PromptRepository }> {
    const { gitRoot } = this.options;
    if (!gitRoot) return {};
    try {
      const repoPath = bareRepoPath(gitRoot, task.repoId);
      const [branch = null, base = null] = await branchHeads(repoPath, [
        task.branch,
        task.baseBranch,
      ]);
      const heads = { branch, base };
      if (!task.forPrompt) return { heads };
      const commit = task.snapshot ?? branch ?? base;
      const files = commit
        ? await promptFiles(async (names) => {
            const read = await readFilesAt(repoPath, commit, names, PROMPT_FILE_MAX_BYTES);
            return new Map([...read].map(([name, bytes]) => [name, bytes.toString('utf8')]));
          })
        : [];
      return { heads, repository: { commit, files } };
    } catch {
      return {};
    }
  }

  handBack(runId: string): Promise<boolean> {
    return handBackRun(this.options.db, { runId, runnerId: this.options.runnerId });
  }

  renew(runId: string): Promise<LeaseAnswer> {
    const { db, runnerId, leaseMs } = this.options;
    return renewLease(db, { runId, runnerId, leaseMs });
  }

  /** Stores the events; streamed text (`message.delta`, from an older runner) is not stored. */
  async append(runId: string, events: EventBody[], options: AppendOptions = {}): Promise<void> {
    const { db, live } = this.options;
    const run = await this.held(runId);
    const stored = events.filter((event) => event.type !== 'message.delta');
    if (stored.length === 0) return;
    await live?.flushDrafts();
    const appended = await appendEvents(db, {
      taskId: run.taskId,
      runId,
      events: stored,
      retried: options.retried ?? false,
    });
    if (appended.length === 0) return;
    const lastSeq = appended.at(-1)?.seq ?? 0;
    live?.appended(appendedNote({ taskId: run.taskId, lastSeq, runId, bodies: stored }), appended, {
      runnerId: this.options.runnerId,
      runId,
    });
  }

  draft(runId: string, offset: number, text: string): Promise<void> {
    const { db, runnerId, live } = this.options;
    return live
      ? live.sendDraft({ runnerId, runId, offset, text })
      : sendDraft(db, { runnerId, runId, offset, text });
  }

  async inbox(runId: string, after: number): Promise<InboxMessage[]> {
    const run = await this.held(runId);
    return followUpsAfter(this.options.db, { taskId: run.taskId, after });
  }

  async remember(runId: string, memory: RunMemoryBody): Promise<void> {
    const run = await this.held(runId);
    await rememberRun(this.options.db, { runId, taskId: run.taskId, memory });
  }

  async attachSandbox(runId: string, sandboxId: string): Promise<void> {
    const { db, runnerId } = this.options;
    const run = await this.held(runId);
    await attachSandbox(db, { runId, taskId: run.taskId, runnerId, sandboxId });
  }

  /** The run, when this runner holds it; a runner may act on its own runs only. */
  private async held(runId: string): Promise<{ taskId: string }> {
    const { db, runnerId } = this.options;
    const [run] = await db
      .select({ taskId: runs.taskId })
      .from(runs)
      .where(and(eq(runs.id, runId), eq(runs.runnerId, runnerId), eq(runs.status, 'running')));
    if (!run) throw new AppError('run_not_found', 'This runner does not hold that run (any more).');
    return run;
  }

  /** Ends the run when this runner holds it; touches nothing otherwise (another's run, or lost). */
  async finish(runId: string, outcome: FinishRunBody): Promise<boolean> {
    const { db, runnerId, live } = this.options;
    const finished = await finishRun(db, { runId, runnerId, outcome });
    if (!finished) return false;
    live?.release(runId);
    await revokeRunTokens(db, runId);
    return finished;
  }

  async heartbeat(capacity: number): Promise<RunnerHeartbeatAnswer> {
    const { db, runnerId } = this.options;
    await db
      .update(runners)
      .set({ capacity, lastHeartbeatAt: new Date() })
      .where(eq(runners.id, runnerId));
    return { runnerId };
  }

  sandboxTasks(sandboxIds: string[]): Promise<Record<string, string>> {
    return sandboxTasks(this.options.db, { runnerId: this.options.runnerId, sandboxIds });
  }

  snapshotGrant(taskId: string, sandboxId: string): Promise<SnapshotGrant | null> {
    const { db, runnerId, sandboxUrl } = this.options;
    return snapshotGrant(db, { runnerId, taskId, sandboxId, sandboxUrl });
  }

  recordSnapshot(taskId: string, sandboxId: string, sha: string | null): Promise<void> {
    const { db, runnerId } = this.options;
    return recordSnapshot(db, { runnerId, taskId, sandboxId, sha });
  }

  goneRunners(runnerIds: string[]): Promise<string[]> {
    const { db, onlyWorkspacesOf } = this.options;
    return goneRunners(db, { runnerIds, askedBy: onlyWorkspacesOf ?? null });
  }
}
