/**
 * @module server/wire-lifecycle
 * The composition of a task's lifecycle, done once per server: the domain events bus attached to
 * the database (delivered at the outermost commit), the durable job worker and its handlers, what
 * follows each event (a succeeded run stores the job publishing it, in the run's own transaction;
 * a plan proposed for a task in auto mode is approved in the same transaction, queueing its coding run;
 * a stored job wakes the worker; a queued run wakes the server's runner and answers remote
 * runners' waiting claims; a task from a Notion page stores the job moving its page along, and
 * writing its pull request's link once one is opened; a pull request opened or refreshed, or a
 * repository without a forge whose run pushed, stores the Vercel preview of the commit when the
 * repository is linked to a project; an attempt's run that ends stores the ranking of its best-of-N
 * task's attempts, and an attempt kept stores its publish as the task's and the removal of the
 * others' branches; an eval task's run moves its eval on, in the run's own transaction (and is
 * neither published nor previewed); runs and jobs are counted and timed in the server's metrics;
 * a traced run's root span is recorded at its end, and its publish and preview jobs join its
 * trace), and lease recovery.
 */
import type { Logger } from 'pino';
import type { NotionConfig, VercelConfig } from '../config.ts';
import type { Database } from '../db/client.ts';
import { afterEvalRun, afterEvalTaskLost, isEvalTask } from '../evals/attempts.ts';
import { enqueuePublish, PUBLISH_JOB, publishJob } from '../forges/publish-run.ts';
import type { PublishContext } from '../forges/upstream.ts';
import { JobWorker } from '../jobs/worker.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { enqueueNotionStatus, NOTION_STATUS_JOB, notionStatusJob } from '../notion/write-back.ts';
import {
  enqueueLocalPreview,
  enqueuePreview,
  FOLLOW_JOB,
  followJob,
  PREVIEW_JOB,
  previewJob,
} from '../vercel/preview.ts';
import { DomainEvents, deliverDomainEvents } from '../tasks/domain-events.ts';
import {
  DISCARD_JOB,
  discardJob,
  enqueueDiscard,
  enqueueRank,
  RANK_JOB,
  rankJob,
} from '../attempts/jobs.ts';
import { autoApprovePlan } from '../tasks/plan.ts';
import { recoverExpiredLeases } from '../control/queue.ts';
import { QueuedRuns } from '../control/queued-runs.ts';
import { noTracing, type Tracing } from '../tracing/tracing.ts';
import { recordRunSpan, tracedJob, traceRunEnds } from './run-traces.ts';

/** The job worker's timings (tests make them short). */
export interface JobOptions {
  pollMs?: number;
  lockMs?: number;
  /** The delay before a failed job's second attempt, doubling after. */
  retryBaseMs?: number;
}

/** The wired lifecycle of one server. */
export interface Lifecycle {
  /** The domain events of the server's database, as they are committed. */
  events: DomainEvents;
  /** Remote runners' claims waiting for work, answered as soon as a run is queued. */
  queuedRuns: QueuedRuns;
  /** Wakes `runner` whenever a run is queued, on any route, webhook, retry or recovery. */
  wakeOnQueued(runner: { wake(): void }): void;
  /** Starts the job worker and the recovery of expired leases (every half lease). */
  start(leaseMs: number): Promise<void>;
  /** Stops recovering leases: the first step of a shutdown, before the runner stops. */
  stopRecovery(): void;
  /** Waits for the jobs under way, then stops delivering events. */
  stop(): Promise<void>;
}

/**
 * Attaches the domain events to `database` and wires every subscriber and job handler.
 *
 * @example
 * const lifecycle = wireLifecycle({ database, publishing, jobs: options.jobs, logger });
 * lifecycle.wakeOnQueued(runner);
 * await lifecycle.start(leaseMs);
 */
export function wireLifecycle({
  database,
  publishing,
  notion,
  vercel,
  jobs,
  logger,
  metrics,
  tracing = noTracing,
}: {
  database: Database;
  publishing: PublishContext;
  /** Notion's settings, for the write-backs to the pages tasks came from. */
  notion?: NotionConfig | undefined;
  /** Vercel's settings, for the previews of linked repositories (with Notion's, for their pages). */
  vercel?: VercelConfig | undefined;
  jobs?: JobOptions | undefined;
  logger: Logger;
  /** The server's metrics, which runs and jobs are recorded into. */
  metrics: Metrics;
  /** The server's tracing: runs' root spans, and the spans of their jobs. */
  tracing?: Tracing | undefined;
}): Lifecycle {
  const events = new DomainEvents((error, event) =>
    logger.error({ err: error, event }, `a subscriber of ${event.type} failed`),
  );
  const stopDelivering = deliverDomainEvents(database.db, events);
  const previews = vercel &&
    notion && {
      db: database.db,
      encryptionKey: publishing.encryptionKey,
      vercel,
      publishing,
      notion,
    };
  const traced = { db: database.db, tracing };
  const worker = new JobWorker({
    db: database.db,
    handlers: {
      [PUBLISH_JOB]: tracedJob('pr.open', publishJob(publishing), traced),
      [RANK_JOB]: rankJob({ db: database.db, gitRoot: publishing.gitRoot }),
      [DISCARD_JOB]: discardJob({ db: database.db, gitRoot: publishing.gitRoot }),
      ...(notion && {
        [NOTION_STATUS_JOB]: notionStatusJob({
          db: database.db,
          encryptionKey: publishing.encryptionKey,
          notion,
          publicUrl: publishing.publicUrl,
        }),
      }),
      ...(previews && {
        [PREVIEW_JOB]: tracedJob('deploy', previewJob(previews), traced),
        [FOLLOW_JOB]: followJob(previews),
      }),
    },
    ...jobs,
    releaseClaimsAtStart: database.kind === 'pglite',
    log: (error, message) => logger.error({ err: error }, message),
    onAttempt: {
      started: (kind) => metrics.jobsStarted.inc({ kind }),
      ended: (kind, outcome) => metrics.jobsFinished.inc({ kind, outcome }),
    },
  });
  recordRuns(events, metrics);
  traceRunEnds({
    events,
    db: database.db,
    tracing,
    log: (error) => logger.error({ err: error }, "could not record a run's trace"),
  });
  events.on('job.queued', () => worker.wake());
  events.within('run.succeeded', async (run, tx) =>
    (await isEvalTask(tx, run.taskId)) ? undefined : enqueuePublish(tx, run),
  );
  for (const end of ['run.succeeded', 'run.failed', 'run.cancelled'] as const) {
    events.within(end, (run, tx) => enqueueRank(tx, run));
  }
  events.within('attempt.kept', async (kept, tx) => {
    await enqueueDiscard(tx, kept);
    if (kept.runId)
      await enqueuePublish(tx, { runId: kept.runId, taskId: kept.taskId, as: kept.taskId });
  });
  events.within('task.plan_review', (task, tx) => autoApprovePlan(tx, task.taskId));
  for (const outcome of ['succeeded', 'failed', 'cancelled'] as const) {
    events.within(`run.${outcome}`, (run, tx) =>
      afterEvalRun(tx, publishing.gitRoot, { runId: run.runId, taskId: run.taskId, outcome }),
    );
  }
  for (const outcome of ['failed', 'cancelled'] as const) {
    events.within(`task.${outcome}`, (task, tx) =>
      afterEvalTaskLost(tx, publishing.gitRoot, { taskId: task.taskId, outcome }),
    );
  }
  if (notion) {
    events.within('run.queued', (run, tx) =>
      enqueueNotionStatus(tx, { taskId: run.taskId, stage: 'inProgress', key: run.runId }),
    );
    events.within('pr.opened', (pr, tx) =>
      enqueueNotionStatus(tx, { taskId: pr.taskId, stage: 'inReview', key: pr.url, prUrl: pr.url }),
    );
    events.within('task.in_review', (task, tx) =>
      enqueueNotionStatus(tx, { taskId: task.taskId, stage: 'inReview' }),
    );
    // Approved and merged at once (the internal git server) is done, like a forge's merge later.
    events.within('task.approved', (task, tx) =>
      task.to === 'done'
        ? enqueueNotionStatus(tx, { taskId: task.taskId, stage: 'done' })
        : Promise.resolve(),
    );
    events.within('task.done', (task, tx) =>
      enqueueNotionStatus(tx, { taskId: task.taskId, stage: 'done' }),
    );
    events.within('task.failed', (task, tx) =>
      enqueueNotionStatus(tx, { taskId: task.taskId, stage: 'failed' }),
    );
  }
  if (previews) {
    events.within('run.succeeded', async (run, tx) =>
      (await isEvalTask(tx, run.taskId)) ? undefined : enqueueLocalPreview(tx, run),
    );
    for (const type of ['pr.opened', 'pr.updated'] as const) {
      events.within(type, (pr, tx) =>
        enqueuePreview(tx, { taskId: pr.taskId, runId: pr.runId, sha: pr.sha }),
      );
    }
  }
  const queuedRuns = new QueuedRuns();
  events.on('run.queued', () => queuedRuns.notify());
  let recovery: NodeJS.Timeout | undefined;
  return {
    events,
    queuedRuns,
    wakeOnQueued: (runner) => events.on('run.queued', () => runner.wake()),
    start: async (leaseMs) => {
      await worker.start();
      recovery = setInterval(
        () => recoverLeases(database, logger, tracing),
        Math.max(100, Math.floor(leaseMs / 2)),
      );
    },
    stopRecovery: () => clearInterval(recovery),
    stop: async () => {
      clearInterval(recovery);
      await worker.stop();
      stopDelivering();
    },
  };
}

/** Counts runs queued, started and ended (by outcome), and times their wait, run and first tool call. */
function recordRuns(events: DomainEvents, metrics: Metrics): void {
  events.on('run.queued', () => metrics.runsQueued.inc());
  events.on('run.started', (run) => {
    metrics.runsStarted.inc();
    metrics.queueWait.observe(run.waitedMs / 1000);
  });
  for (const outcome of ['succeeded', 'failed', 'cancelled'] as const) {
    events.on(`run.${outcome}`, (run) => {
      metrics.runsFinished.inc({ outcome });
      if (run.durationMs !== undefined)
        metrics.runDuration.observe({ outcome }, run.durationMs / 1000);
      if (run.firstToolCallMs !== undefined)
        metrics.firstToolCall.observe(run.firstToolCallMs / 1000);
    });
  }
}

/** Re-queues (or fails) the runs whose runner stopped answering, saying which. */
function recoverLeases(database: Database, logger: Logger, tracing: Tracing): void {
  recoverExpiredLeases(database.db).then(
    (recovered) => {
      for (const run of recovered) recordRunSpan(tracing, run);
      if (recovered.length > 0) {
        logger.warn({ runs: recovered.map((r) => r.id) }, 'recovered runs whose lease expired');
      }
    },
    (error: unknown) => logger.error({ err: error }, 'lease recovery failed'),
  );
}
