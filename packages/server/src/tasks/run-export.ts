/**
 * @module tasks/run-export
 * A finished run as a document (`GET /api/v1/runs/{id}/export`): what its agent was given and, for
 * the built-in agent, each model exchange as its loop recorded it (`model_exchanges`: the request
 * as a change to the one before, the answer, the tool results), with the run's events. Everything
 * in it was masked on its way from the runner, as the task's events and steps are: no provider key
 * nor run token. `lucid eval replay` plays it back (agent/replay.ts).
 */
import { asc, eq } from 'drizzle-orm';
import { RUN_EXPORT_VERSION, type RunExport } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { events, modelExchanges, runs } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { loadTask } from './tasks.ts';

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

/**
 * The export of run `runId`, for a member of its task's workspace; 404 `run_not_found` for anyone
 * else, 409 `run_not_finished` while it is queued or running.
 *
 * @example
 * const document = await exportRun(db, { userId, runId: 'run_…' });
 */
export async function exportRun(
  db: Db,
  { userId, runId }: { userId: string; runId: string },
): Promise<RunExport> {
  const [run] = await db.select().from(runs).where(eq(runs.id, runId));
  if (!run) throw new AppError('run_not_found', 'This run does not exist.');
  const task = await loadTask(db, userId, run.taskId, 'member').catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'task_not_found') {
      throw new AppError('run_not_found', 'This run does not exist.');
    }
    throw error;
  });
  if (!FINISHED.has(run.status)) {
    throw new AppError(
      'run_not_finished',
      `This run of “${task.title}” is ${run.status}; it can be exported once it has finished.`,
    );
  }
  const exchanges = await db
    .select({
      step: modelExchanges.step,
      afterSeq: modelExchanges.afterSeq,
      exchange: modelExchanges.exchange,
    })
    .from(modelExchanges)
    .where(eq(modelExchanges.runId, run.id))
    .orderBy(asc(modelExchanges.step));
  const runEvents = await db
    .select({ seq: events.seq, type: events.type, payload: events.payload })
    .from(events)
    .where(eq(events.runId, run.id))
    .orderBy(asc(events.seq));
  const agent = run.spec.agent ?? null;
  return {
    format: 'lucid.run-export',
    version: RUN_EXPORT_VERSION,
    run: {
      id: run.id,
      taskId: run.taskId,
      status: run.status,
      attempt: run.attempt,
      agent,
      model: run.spec.model ?? null,
      startedAt: run.startedAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
      error: { code: run.errorCode, message: run.errorMessage },
    },
    task: { id: task.id, title: task.title },
    prompt: run.spec.prompt ?? null,
    followUps: exchanges.flatMap((row) => row.exchange.inbox),
    replayable: agent === 'lucid' && exchanges[0]?.exchange.input !== undefined,
    exchanges: exchanges.map(({ step, afterSeq, exchange }) => ({ step, afterSeq, ...exchange })),
    events: runEvents,
  };
}
