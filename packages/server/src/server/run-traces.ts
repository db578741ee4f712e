/**
 * @module server/run-traces
 * The server's part of runs' traces: the root span `run` of each traced run, recorded once the run
 * has ended (succeeded, failed, cancelled, or interrupted by the lease's recovery) with the ids
 * stored at its claim, from its claim to its end; and the spans of the durable jobs that continue
 * a run's work later (`pr.open`: the publish job, `deploy`: the Vercel preview), which join the
 * run's trace through its stored `traceparent`, whichever server runs them.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { runs } from '../db/schema.ts';
import type { JobHandler } from '../jobs/worker.ts';
import type { RunRow } from '../tasks/runs.ts';
import type { DomainEvents } from '../tasks/domain-events.ts';
import type { Tracing } from '../tracing/tracing.ts';

/** Records a traced run's root span; a run with no trace, or not yet started, records nothing. */
export function recordRunSpan(tracing: Tracing, run: RunRow): void {
  if (!run.traceParent || !run.startedAt) return;
  tracing.recordRun({
    traceParent: run.traceParent,
    start: run.startedAt,
    end: run.finishedAt ?? new Date(),
    attributes: {
      'lucid.run.id': run.id,
      'lucid.task.id': run.taskId,
      'lucid.run.attempt': run.attempt,
      'lucid.run.status': run.status,
      'lucid.agent': run.spec.agent ?? 'commands',
      ...(run.spec.model ? { 'gen_ai.request.model': run.spec.model } : {}),
      ...(run.errorCode ? { 'lucid.run.error_code': run.errorCode } : {}),
    },
    ...(run.status === 'succeeded' ? {} : { error: run.errorCode ?? run.status }),
  });
}

/**
 * Records the root span of every traced run that ends, once its end is committed.
 *
 * @example
 * traceRunEnds({ events, db, tracing, log: (error) => logger.error({ err: error }, '…') });
 */
export function traceRunEnds({
  events,
  db,
  tracing,
  log,
}: {
  events: DomainEvents;
  db: Db;
  tracing: Tracing;
  log: (error: unknown) => void;
}): void {
  if (!tracing.enabled) return;
  for (const outcome of ['succeeded', 'failed', 'cancelled'] as const) {
    events.on(`run.${outcome}`, ({ runId }) => {
      db.select()
        .from(runs)
        .where(eq(runs.id, runId))
        .then(([run]) => run && recordRunSpan(tracing, run), log);
    });
  }
}

/**
 * A job handler whose attempts are spans named `name` in the trace of the run the job's payload
 * names (`runId`); a job of an untraced run, or of none, is run as it is.
 *
 * @example
 * handlers: { [PUBLISH_JOB]: tracedJob('pr.open', publishJob(publishing), { db, tracing }) }
 */
export function tracedJob(
  name: string,
  handler: JobHandler,
  { db, tracing }: { db: Db; tracing: Tracing },
): JobHandler {
  if (!tracing.enabled) return handler;
  return async (attempt) => {
    const runId = attempt.job.payload.runId;
    const [run] =
      typeof runId === 'string'
        ? await db.select({ traceParent: runs.traceParent }).from(runs).where(eq(runs.id, runId))
        : [];
    if (!run?.traceParent) return handler(attempt);
    return tracing.inSpan(
      name,
      {
        parent: run.traceParent,
        attributes: {
          'lucid.run.id': runId as string,
          'lucid.job.kind': attempt.job.kind,
          'lucid.job.attempt': attempt.attempt,
        },
      },
      () => handler(attempt),
    );
  };
}
