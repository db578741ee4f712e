/**
 * @module tasks/task-totals
 * What a task's runs have taken so far: the time they worked, and the tokens and cost of the
 * model calls the gateway metered for them, with what reading input from the providers' caches saved,
 * and what its model calls cost by phase (planning, coding, its title, summaries). A best-of-N
 * task's totals hold its attempts' runs and usage besides its own.
 */
import { eq, inArray, or, sql } from 'drizzle-orm';
import type { TaskTotals } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { runs, tasks, usage } from '../db/schema.ts';
import { cacheSavingOf } from '../llm/cost.ts';

/**
 * Sums the task's runs, and its attempts' for a best-of-N task: each ended one's time from its
 * start to its end, and the usage recorded for each. The run still running (the earliest started,
 * when several attempts run) gives its start (`runningSince`) instead, so the answer stays the
 * same until something happens and a reader counts the time on.
 *
 * @example
 * const { elapsedMs, costUsd } = await taskTotals(db, task.id);
 */
export async function taskTotals(db: Db, taskId: string): Promise<TaskTotals> {
  const ofTask = db
    .select({ id: tasks.id })
    .from(tasks)
    .where(or(eq(tasks.id, taskId), eq(tasks.attemptOf, taskId)));
  const taskRuns = await db
    .select({
      status: runs.status,
      startedAt: runs.startedAt,
      finishedAt: runs.finishedAt,
    })
    .from(runs)
    .where(inArray(runs.taskId, ofTask));
  let elapsedMs = 0;
  let runningSince: Date | null = null;
  for (const run of taskRuns) {
    if (!run.startedAt) continue;
    if (run.finishedAt) {
      elapsedMs += Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime());
    } else if (run.status === 'running' && (!runningSince || run.startedAt < runningSince)) {
      runningSince = run.startedAt;
    }
  }
  const ofRuns = db.select({ id: runs.id }).from(runs).where(inArray(runs.taskId, ofTask));
  const [sums] = await db
    .select({
      inputTokens: sql<number>`coalesce(sum(${usage.inputTokens}), 0)`.mapWith(Number),
      outputTokens: sql<number>`coalesce(sum(${usage.outputTokens}), 0)`.mapWith(Number),
      cachedInputTokens: sql<number>`coalesce(sum(${usage.cachedInputTokens}), 0)`.mapWith(Number),
      costUsd: sql<number>`coalesce(sum(${usage.costUsd}), 0)`.mapWith(Number),
    })
    .from(usage)
    .where(inArray(usage.runId, ofRuns));
  const cachedByModel = await db
    .select({
      model: usage.model,
      cached: sql<number>`coalesce(sum(${usage.cachedInputTokens}), 0)`.mapWith(Number),
      written: sql<number>`coalesce(sum(${usage.cacheWriteTokens}), 0)`.mapWith(Number),
    })
    .from(usage)
    .where(inArray(usage.runId, ofRuns))
    .groupBy(usage.model);
  const cacheSavingsUsd = Math.max(
    0,
    cachedByModel.reduce(
      (saved, row) => saved + cacheSavingOf(row.model, row.cached, row.written),
      0,
    ),
  );
  const phases = await db
    .select({
      phase: usage.phase,
      costUsd: sql<number>`coalesce(sum(${usage.costUsd}), 0)`.mapWith(Number),
    })
    .from(usage)
    .where(inArray(usage.taskId, ofTask))
    .groupBy(usage.phase);
  const costByPhase = { plan: 0, code: 0, title: 0, summary: 0 };
  for (const row of phases) costByPhase[row.phase] = row.costUsd;
  return {
    runs: taskRuns.length,
    elapsedMs,
    runningSince: runningSince?.toISOString() ?? null,
    inputTokens: sums?.inputTokens ?? 0,
    outputTokens: sums?.outputTokens ?? 0,
    cachedInputTokens: sums?.cachedInputTokens ?? 0,
    costUsd: sums?.costUsd ?? 0,
    cacheSavingsUsd,
    costByPhase,
  };
}
