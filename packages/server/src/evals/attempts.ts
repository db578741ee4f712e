/**
 * @module evals/attempts
 * How an eval moves on, always inside the transaction of the change that moves it, so its progress
 * is stored with the runs it follows and survives a restart: attempts start (an eval task on the
 * case's repository, its branch made at the case's commit, the agent's run queued) while fewer than
 * the eval's concurrency are under way; an agent run's end queues the check (a commands run in the
 * same task, so the same workspace: the hidden files written, then the check command) or ends the
 * attempt; the check's end decides it (exit 0 passes) and records its figures, diff and output.
 */
import { and, asc, count, desc, eq, inArray, sum } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import {
  evalCases,
  evalResults,
  evals,
  events,
  runs,
  tasks,
  usage,
  type RunSpec,
} from '../db/schema.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import { diffStats } from '../git/diff-stats.ts';
import { GitError, runGit } from '../git/run-git.ts';
import { newId } from '../ids.ts';
import { appendEvents } from '../tasks/events.ts';
import { lockTask } from '../tasks/lifecycle.ts';
import { queueRunIn } from '../tasks/runs.ts';

/** The largest patch kept per attempt, and the end of the check's output kept. */
const PATCH_MAX = 200_000;
const OUTPUT_TAIL = 4_000;

type EvalRow = typeof evals.$inferSelect;
type ResultRow = typeof evalResults.$inferSelect;

/** A run's end, as the domain events tell it. */
export interface RunEnded {
  runId: string;
  taskId: string;
  outcome: 'succeeded' | 'failed' | 'cancelled';
}

/**
 * Starts the eval's next pending attempts, up to its concurrency, in `tx`. Holds the eval's row
 * locked, so two ends at once never start more than the concurrency.
 */
export async function startAttempts(tx: Db, gitRoot: string, evalId: string): Promise<void> {
  const [run] = await tx.select().from(evals).where(eq(evals.id, evalId)).for('update');
  if (!run || run.status !== 'running') return;
  const [active] = await tx
    .select({ n: count() })
    .from(evalResults)
    .where(
      and(eq(evalResults.evalId, evalId), inArray(evalResults.status, ['running', 'checking'])),
    );
  const free = run.concurrency - (active?.n ?? 0);
  const pending =
    free > 0
      ? await tx
          .select()
          .from(evalResults)
          .where(and(eq(evalResults.evalId, evalId), eq(evalResults.status, 'pending')))
          .orderBy(asc(evalResults.position))
          .limit(free)
      : [];
  for (const result of pending) {
    try {
      await startAttempt(tx, gitRoot, run, result);
    } catch (error) {
      // A branch git cannot make fails this attempt alone, never the run's end that started it.
      if (!(error instanceof GitError)) throw error;
      await tx
        .update(evalResults)
        .set({
          status: 'failed',
          output: `Its branch could not be made at the case's commit: ${error.message}`,
          finishedAt: new Date(),
        })
        .where(eq(evalResults.id, result.id));
    }
  }
  if (free > 0 && pending.length === 0 && (active?.n ?? 0) === 0) {
    await tx
      .update(evals)
      .set({ status: 'done', finishedAt: new Date() })
      .where(and(eq(evals.id, evalId), eq(evals.status, 'running')));
  }
}

async function startAttempt(
  tx: Db,
  gitRoot: string,
  run: EvalRow,
  result: ResultRow,
): Promise<void> {
  const [testCase] = await tx
    .select()
    .from(evalCases)
    .where(and(eq(evalCases.evalId, run.id), eq(evalCases.caseId, result.caseId)));
  if (!testCase) return;
  const taskId = newId('task');
  const branch = `lucid/eval-${taskId.slice(taskId.indexOf('_') + 1).toLowerCase()}`;
  // The task's branch starts at the case's commit: the runner checks out Lucid's copy of it.
  await runGit(['update-ref', `refs/heads/${branch}`, testCase.commitSha], {
    cwd: bareRepoPath(gitRoot, testCase.repoId),
  });
  const [task] = await tx
    .insert(tasks)
    .values({
      id: taskId,
      workspaceId: run.workspaceId,
      repoId: testCase.repoId,
      title: `Eval ${run.suite} · ${result.caseId} #${result.attempt}`,
      prompt: testCase.prompt,
      branch,
      // Its own branch as its base: what the agent did is what it committed beyond the case's commit.
      baseBranch: branch,
      agent: run.agent,
      model: run.model,
      source: 'eval',
      createdBy: run.createdBy,
    })
    .returning();
  if (!task) return;
  const [message] = await appendEvents(tx, {
    taskId,
    runId: null,
    events: [{ type: 'message.user', text: testCase.prompt }],
  });
  const spec: RunSpec = {
    commands: [],
    agent: run.agent as NonNullable<RunSpec['agent']>,
    model: run.model,
    prompt: testCase.prompt,
    ...(message ? { promptSeq: message.seq } : {}),
  };
  const queued = await queueRunIn(tx, await lockTask(tx, taskId), {
    spec,
    attempt: 1,
    action: 'queue',
  });
  await tx
    .update(evalResults)
    .set({ status: 'running', taskId, agentRunId: queued.id, startedAt: new Date() })
    .where(eq(evalResults.id, result.id));
}

/**
 * Moves the attempt a run belongs to, if it is an eval's: the agent's run queues the check (or
 * ends the attempt when it failed, was stopped, or the eval was cancelled); the check's run
 * decides the attempt. Then the eval's next attempts start.
 */
export async function afterEvalRun(tx: Db, gitRoot: string, ended: RunEnded): Promise<void> {
  const [result] = await tx.select().from(evalResults).where(eq(evalResults.taskId, ended.taskId));
  if (!result) return;
  const [run] = await tx.select().from(evals).where(eq(evals.id, result.evalId));
  if (!run) return;
  // A run re-queued after its runner was lost is a new run of the same kind: matched by its spec.
  const [endedRun] = await tx
    .select({ spec: runs.spec })
    .from(runs)
    .where(eq(runs.id, ended.runId));
  const agentRun = Boolean(endedRun?.spec.agent);
  if (result.status === 'running' && agentRun) {
    const figures = {
      ...(await agentFigures(tx, gitRoot, ended.runId, result)),
      agentRunId: ended.runId,
    };
    if (ended.outcome === 'succeeded' && run.status === 'running') {
      const checkRunId = await queueCheck(tx, result);
      await tx
        .update(evalResults)
        .set({ ...figures, status: 'checking', checkRunId })
        .where(eq(evalResults.id, result.id));
    } else {
      const reason =
        ended.outcome === 'succeeded' || ended.outcome === 'cancelled'
          ? null
          : await runError(tx, ended.runId);
      await tx
        .update(evalResults)
        .set({
          ...figures,
          status: ended.outcome === 'failed' ? 'failed' : 'cancelled',
          output: reason,
          finishedAt: new Date(),
        })
        .where(eq(evalResults.id, result.id));
    }
  } else if (result.status === 'checking' && !agentRun) {
    await tx
      .update(evalResults)
      .set({
        checkRunId: ended.runId,
        status:
          ended.outcome === 'succeeded'
            ? 'passed'
            : ended.outcome === 'failed'
              ? 'failed'
              : 'cancelled',
        output: await outputTail(tx, ended),
        finishedAt: new Date(),
      })
      .where(eq(evalResults.id, result.id));
  } else return;
  await startAttempts(tx, gitRoot, result.evalId);
}

/** The check's commands: the hidden files written from base64, then the check itself. */
export function checkCommands(
  check: string,
  hidden: { path: string; content: string }[],
): string[] {
  const writes = hidden.map(({ path, content }) => {
    const quoted = shellQuote(path);
    const data = Buffer.from(content, 'utf8').toString('base64');
    return `mkdir -p "$(dirname ${quoted})" && printf '%s' '${data}' | base64 -d > ${quoted}`;
  });
  return [...(writes.length > 0 ? [writes.join(' && ')] : []), check];
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

async function queueCheck(tx: Db, result: ResultRow): Promise<string> {
  const [testCase] = await tx
    .select()
    .from(evalCases)
    .where(and(eq(evalCases.evalId, result.evalId), eq(evalCases.caseId, result.caseId)));
  const task = await lockTask(tx, result.taskId ?? '');
  const queued = await queueRunIn(tx, task, {
    spec: { commands: checkCommands(testCase?.check ?? 'false', testCase?.hidden ?? []) },
    attempt: 1,
    action: 'queue',
  });
  return queued.id;
}

/** The agent's time, model calls, tokens and dollars, and what it changed against the case's commit. */
async function agentFigures(
  tx: Db,
  gitRoot: string,
  runId: string,
  result: ResultRow,
): Promise<Partial<ResultRow>> {
  const [run] = await tx.select().from(runs).where(eq(runs.id, runId));
  const [used] = await tx
    .select({
      calls: count(),
      input: sum(usage.inputTokens),
      output: sum(usage.outputTokens),
      cost: sum(usage.costUsd),
    })
    .from(usage)
    .where(eq(usage.runId, runId));
  const [task] = await tx
    .select()
    .from(tasks)
    .where(eq(tasks.id, result.taskId ?? ''));
  const [testCase] = await tx
    .select()
    .from(evalCases)
    .where(and(eq(evalCases.evalId, result.evalId), eq(evalCases.caseId, result.caseId)));
  const diff = task && testCase ? await branchDiff(gitRoot, task, testCase.commitSha) : null;
  return {
    durationMs:
      run?.startedAt && run.finishedAt
        ? Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime())
        : null,
    steps: used?.calls ?? 0,
    inputTokens: Number(used?.input ?? 0),
    outputTokens: Number(used?.output ?? 0),
    costUsd: Number(used?.cost ?? 0),
    ...(diff ?? {}),
  };
}

async function branchDiff(
  gitRoot: string,
  task: typeof tasks.$inferSelect,
  base: string,
): Promise<Pick<ResultRow, 'filesChanged' | 'insertions' | 'deletions' | 'patch'> | null> {
  const repoPath = bareRepoPath(gitRoot, task.repoId);
  let tip: string;
  try {
    tip = (
      await runGit(['rev-parse', '--verify', `refs/heads/${task.branch}`], { cwd: repoPath })
    ).trim();
  } catch {
    return null;
  }
  let patch: string;
  try {
    patch = await runGit(['diff', `${base}..${tip}`, '--'], { cwd: repoPath });
  } catch {
    return null;
  }
  const [stats] = await diffStats(repoPath, [{ base, tip }]);
  return {
    filesChanged: stats?.filesChanged ?? 0,
    insertions: stats?.insertions ?? 0,
    deletions: stats?.deletions ?? 0,
    patch:
      patch.length > PATCH_MAX
        ? `${patch.slice(0, PATCH_MAX)}\n… (the patch is cut here)\n`
        : patch,
  };
}

async function runError(tx: Db, runId: string): Promise<string | null> {
  const [run] = await tx
    .select({ message: runs.errorMessage })
    .from(runs)
    .where(eq(runs.id, runId));
  return run?.message ?? null;
}

/** The end of what the check printed, and its error when it failed. */
async function outputTail(tx: Db, ended: RunEnded): Promise<string> {
  const rows = await tx
    .select({ payload: events.payload })
    .from(events)
    .where(
      and(
        eq(events.taskId, ended.taskId),
        eq(events.runId, ended.runId),
        eq(events.type, 'tool.output'),
      ),
    )
    .orderBy(asc(events.seq));
  const text = rows.map((row) => String(row.payload.chunk ?? '')).join('');
  const error = ended.outcome === 'failed' ? await runError(tx, ended.runId) : null;
  const tail = text.length > OUTPUT_TAIL ? `…${text.slice(-OUTPUT_TAIL)}` : text;
  return error ? `${tail}${tail.endsWith('\n') || tail === '' ? '' : '\n'}${error}` : tail;
}

/** True when the task is an eval's: its work is measured, never published or previewed. */
export async function isEvalTask(tx: Db, taskId: string): Promise<boolean> {
  const [task] = await tx.select({ source: tasks.source }).from(tasks).where(eq(tasks.id, taskId));
  return task?.source === 'eval';
}

/**
 * Moves the attempt of an eval task that failed or was cancelled without a run's end: its last
 * run was interrupted too often (its runner lost) and the lease recovery ended the task.
 */
export async function afterEvalTaskLost(
  tx: Db,
  gitRoot: string,
  { taskId, outcome }: { taskId: string; outcome: 'failed' | 'cancelled' },
): Promise<void> {
  const [last] = await tx
    .select({ id: runs.id, status: runs.status })
    .from(runs)
    .where(eq(runs.taskId, taskId))
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(1);
  if (last?.status !== 'interrupted') return;
  await afterEvalRun(tx, gitRoot, { runId: last.id, taskId, outcome });
}
