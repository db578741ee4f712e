/**
 * @module evals/evals
 * Evals: start one (a suite's cases, each on a repository of the workspace at a commit, run by one
 * agent and model `attempts` times, `concurrency` at once), list them, read one with its results
 * and figures, cancel one. Reads are presenters: the summary (success rate, median time, $/task,
 * $/success) is derived from the results as stored.
 */
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type {
  CreateEval,
  Eval,
  EvalCaseInput,
  EvalDetail,
  EvalResult,
  EvalSummary,
} from '@lucid/contracts';
import { CreateEval as CreateEvalSchema } from '@lucid/contracts';
import { recordAudit } from '../audit/audit.ts';
import type { WorkspaceQuotaDefaults } from '../config.ts';
import type { Db } from '../db/client.ts';
import { evalCases, evalResults, evals, workspaceMembers } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import { runGit } from '../git/run-git.ts';
import { newId } from '../ids.ts';
import { llmConfigFor, type ProviderKeyContext } from '../llm/provider-keys.ts';
import type { Principal } from '../principal.ts';
import { loadRepo, type RepoContext } from '../repos/repos.ts';
import { chooseAgent, type AvailableAgents } from '../tasks/agent-choice.ts';
import { cancelTask } from '../tasks/cancel.ts';
import { personalWorkspaceId, requireRole, requireRoleOn } from '../workspaces/workspaces.ts';
import { assertTaskAllowed } from '../workspaces/quotas.ts';
import { startAttempts } from './attempts.ts';

type EvalRow = typeof evals.$inferSelect;
type ResultRow = typeof evalResults.$inferSelect;

/**
 * Starts an eval: checks the agent and model as task creation does, each case's repository (a
 * member's, in the eval's workspace) and commit, stores the eval with its cases and one pending
 * result per attempt, and starts the first attempts, all in one transaction.
 *
 * @example
 * const started = await createEval(ctx, { actor, input, providers, agents, quotas });
 */
export async function createEval(
  ctx: RepoContext,
  {
    actor,
    input: given,
    providers,
    agents = {},
    quotas,
  }: {
    actor: Principal;
    input: CreateEval;
    providers: ProviderKeyContext;
    agents?: AvailableAgents;
    quotas: WorkspaceQuotaDefaults;
  },
): Promise<EvalDetail> {
  const input = CreateEvalSchema.parse(given);
  const workspaceId = input.workspaceId ?? (await personalWorkspaceId(ctx.db, actor.userId));
  await requireRole(ctx.db, workspaceId, actor.userId, 'member');
  await assertTaskAllowed(ctx.db, workspaceId, quotas);
  const llm = await llmConfigFor(providers, { userId: actor.userId, workspaceId });
  const chosen = await chooseAgent(llm, agents, { agent: input.agent, model: input.model });
  const cases: (EvalCaseInput & { commit: string })[] = [];
  for (const testCase of input.suite.cases) {
    const repo = await loadRepo(ctx, actor.userId, testCase.repoId, 'member');
    if (repo.workspaceId !== workspaceId) {
      throw new AppError(
        'validation_failed',
        `Case ${testCase.id}: its repository ${repo.name} is in another workspace than the eval.`,
      );
    }
    const commit = await resolveCommit(
      bareRepoPath(ctx.gitRoot, repo.id),
      testCase.commit ?? `refs/heads/${repo.defaultBranch}`,
    );
    if (!commit) {
      throw new AppError(
        'ref_not_found',
        testCase.commit
          ? `Case ${testCase.id}: the repository ${repo.name} has no commit ${testCase.commit}.`
          : `Case ${testCase.id}: the repository ${repo.name} has no commit yet; push one first.`,
      );
    }
    cases.push({ ...testCase, commit });
  }
  const id = newId('eval');
  await ctx.db.transaction(async (tx) => {
    await tx.insert(evals).values({
      id,
      workspaceId,
      createdBy: actor.userId,
      suite: input.suite.name,
      agent: chosen.agent,
      model: chosen.model,
      attempts: input.attempts,
      concurrency: input.concurrency,
    });
    await tx.insert(evalCases).values(
      cases.map((testCase, position) => ({
        evalId: id,
        caseId: testCase.id,
        position,
        repoId: testCase.repoId,
        commitSha: testCase.commit,
        prompt: testCase.prompt,
        check: testCase.check,
        hidden: testCase.hidden,
      })),
    );
    // Attempt 1 of every case first, then attempt 2…: an eval cut short has seen every case.
    const attempts = Array.from({ length: input.attempts }, (_, a) =>
      cases.map((testCase, c) => ({
        id: newId('evr'),
        evalId: id,
        caseId: testCase.id,
        attempt: a + 1,
        position: a * cases.length + c,
      })),
    ).flat();
    await tx.insert(evalResults).values(attempts);
    await recordAudit(tx, {
      actor,
      action: 'eval.start',
      targetType: 'eval',
      targetId: id,
      workspaceId,
      metadata: { suite: input.suite.name, model: chosen.model, attempts: attempts.length },
    });
    await startAttempts(tx, ctx.gitRoot, id);
  });
  return getEval(ctx.db, { userId: actor.userId, evalId: id });
}

async function resolveCommit(repoPath: string, rev: string): Promise<string | null> {
  try {
    return (
      await runGit(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: repoPath })
    ).trim();
  } catch {
    return null;
  }
}

/** The evals of the workspaces the user belongs to (one of them with `workspaceId`), newest first. */
export async function listEvals(
  db: Db,
  { userId, workspaceId }: { userId: string; workspaceId?: string | undefined },
): Promise<Eval[]> {
  const rows = await db
    .select({ run: evals })
    .from(evals)
    .innerJoin(workspaceMembers, eq(workspaceMembers.workspaceId, evals.workspaceId))
    .where(
      and(
        eq(workspaceMembers.userId, userId),
        workspaceId ? eq(evals.workspaceId, workspaceId) : undefined,
      ),
    )
    .orderBy(desc(evals.createdAt), desc(evals.id))
    .limit(200);
  if (rows.length === 0) return [];
  const results = await db
    .select()
    .from(evalResults)
    .where(
      inArray(
        evalResults.evalId,
        rows.map((row) => row.run.id),
      ),
    );
  return rows.map(({ run }) =>
    toEval(
      run,
      results.filter((result) => result.evalId === run.id),
    ),
  );
}

/** One eval with its results, attempt by attempt in the order they started. */
export async function getEval(
  db: Db,
  { userId, evalId }: { userId: string; evalId: string },
): Promise<EvalDetail> {
  await requireRoleOn(db, { kind: 'eval', id: evalId }, userId, 'member');
  const [run] = await db.select().from(evals).where(eq(evals.id, evalId));
  if (!run) throw new AppError('eval_not_found', 'This eval does not exist.');
  const results = await db
    .select()
    .from(evalResults)
    .where(eq(evalResults.evalId, evalId))
    .orderBy(asc(evalResults.position));
  return { ...toEval(run, results), results: results.map(toResult) };
}

/**
 * Cancels an eval: its pending attempts will not start, and the runs of those under way are
 * stopped (as a person stops a task), which ends them as cancelled.
 */
export async function cancelEval(
  db: Db,
  { actor, evalId }: { actor: Principal; evalId: string },
): Promise<EvalDetail> {
  await requireRoleOn(db, { kind: 'eval', id: evalId }, actor.userId, 'member');
  const active = await db.transaction(async (tx) => {
    const [run] = await tx.select().from(evals).where(eq(evals.id, evalId)).for('update');
    if (!run || run.status !== 'running') return [];
    await tx
      .update(evals)
      .set({ status: 'cancelled', finishedAt: new Date() })
      .where(eq(evals.id, evalId));
    await tx
      .update(evalResults)
      .set({ status: 'cancelled', finishedAt: new Date() })
      .where(and(eq(evalResults.evalId, evalId), eq(evalResults.status, 'pending')));
    await recordAudit(tx, {
      actor,
      action: 'eval.cancel',
      targetType: 'eval',
      targetId: evalId,
      workspaceId: run.workspaceId,
    });
    return tx
      .select({ taskId: evalResults.taskId })
      .from(evalResults)
      .where(
        and(eq(evalResults.evalId, evalId), inArray(evalResults.status, ['running', 'checking'])),
      );
  });
  for (const { taskId } of active) {
    if (!taskId) continue;
    await cancelTask(db, { actor, taskId }).catch((error: unknown) => {
      // A run that ended meanwhile has nothing left to stop.
      if (!(error instanceof AppError)) throw error;
    });
  }
  return getEval(db, { userId: actor.userId, evalId });
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

function toEval(run: EvalRow, results: ResultRow[]): Eval {
  return {
    id: run.id,
    workspaceId: run.workspaceId,
    suite: run.suite,
    agent: run.agent,
    model: run.model,
    attempts: run.attempts,
    concurrency: run.concurrency,
    status: run.status,
    createdAt: run.createdAt.toISOString(),
    finishedAt: iso(run.finishedAt),
    summary: summarize(results),
  };
}

/**
 * The figures over an eval's finished attempts (passed or failed; cancelled ones are left out).
 *
 * @example
 * summarize(results); // { successRate: 0.5, medianMs: 1200, usdPerTask: 0.003, … }
 */
export function summarize(results: ResultRow[]): EvalSummary {
  const finished = results.filter((r) => r.status === 'passed' || r.status === 'failed');
  const passed = finished.filter((r) => r.status === 'passed').length;
  const costUsd = round(finished.reduce((total, r) => total + (r.costUsd ?? 0), 0));
  const times = finished
    .map((r) => r.durationMs)
    .filter((ms): ms is number => ms !== null)
    .sort((a, b) => a - b);
  const middle = Math.floor(times.length / 2);
  const medianMs =
    times.length === 0
      ? null
      : times.length % 2 === 1
        ? (times[middle] ?? null)
        : ((times[middle - 1] ?? 0) + (times[middle] ?? 0)) / 2;
  return {
    attempts: results.length,
    finished: finished.length,
    passed,
    successRate: finished.length === 0 ? null : passed / finished.length,
    medianMs,
    costUsd,
    usdPerTask: finished.length === 0 ? null : round(costUsd / finished.length),
    usdPerSuccess: passed === 0 ? null : round(costUsd / passed),
  };
}

/** Dollars to a millionth of a cent, so sums of prices compare exactly. */
function round(usd: number): number {
  return Math.round(usd * 1e8) / 1e8;
}

function toResult(row: ResultRow): EvalResult {
  return {
    id: row.id,
    caseId: row.caseId,
    attempt: row.attempt,
    status: row.status,
    taskId: row.taskId,
    agentRunId: row.agentRunId,
    trajectoryUrl:
      row.agentRunId && row.status !== 'running' && row.status !== 'pending'
        ? `/api/v1/runs/${row.agentRunId}/export`
        : null,
    durationMs: row.durationMs,
    steps: row.steps,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    costUsd: row.costUsd,
    diff:
      row.patch === null
        ? null
        : {
            filesChanged: row.filesChanged ?? 0,
            insertions: row.insertions ?? 0,
            deletions: row.deletions ?? 0,
            patch: row.patch,
          },
    output: row.output,
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
  };
}
