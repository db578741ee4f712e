/**
 * @module jobs/worker
 * Runs stored jobs (jobs/store.ts) with the handler of their kind: polled, and woken when a job is
 * queued. A handler that throws is retried after an exponential backoff (the base, doubling)
 * until the job's attempts are spent, or at once marked failed when it throws {@link JobFailed}.
 * While a handler works its claim is renewed; stopping waits for the handlers under way.
 *
 * Chosen over pg-boss (which needs an adapter of its own on PGlite) and graphile-worker (LISTEN/
 * NOTIFY and a pool of `pg` connections): the runs table's SKIP LOCKED pattern, in one module.
 */
import type { Db } from '../db/client.ts';
import {
  claimJob,
  completeJob,
  failJob,
  releaseAllClaims,
  renewJob,
  type JobClaim,
  type JobRow,
} from './store.ts';

/**
 * The wait before the attempt after `failed` (1 for the first): the base, doubled per attempt.
 *
 * @example
 * retryDelay(3, 2_000) // 8_000
 */
export function retryDelay(failed: number, baseMs: number): number {
  return baseMs * 2 ** (failed - 1);
}

/** Thrown by a handler when retrying cannot help: the job fails at once. */
export class JobFailed extends Error {}

/** One attempt of a job, as its handler sees it. */
export interface JobAttempt {
  job: JobRow;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** True when no attempt follows this one if it fails. */
  last: boolean;
}

/** Does the work of one kind of job; throws to have it retried. */
export type JobHandler = (attempt: JobAttempt) => Promise<void>;

export interface JobWorkerOptions {
  db: Db;
  handlers: Record<string, JobHandler>;
  /** How often due jobs are looked for without a wake-up. */
  pollMs?: number;
  /** How long a claim holds without renewal (renewed every third of it). */
  lockMs?: number;
  /** The delay before the second attempt; doubles with each further one. */
  retryBaseMs?: number;
  /** Jobs run at once by this worker. */
  concurrency?: number;
  /** Takes every running job back at start: the database is this process's alone (PGlite). */
  releaseClaimsAtStart?: boolean;
  log: (error: unknown, message: string) => void;
  /** Told as each attempt starts, and how it ended: done, to be retried, or failed for good. */
  onAttempt?: {
    started(kind: string): void;
    ended(kind: string, outcome: 'succeeded' | 'retry' | 'failed'): void;
  };
}

/**
 * @example
 * const worker = new JobWorker({ db, handlers: { 'forge.publish': publishJob(ctx) }, log });
 * await worker.start();
 * bus.on('job.queued', () => worker.wake());
 */
export class JobWorker {
  private readonly running = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private poll: NodeJS.Timeout | null = null;
  private stopped = true;
  private draining = false;
  private again = false;

  constructor(private readonly options: JobWorkerOptions) {}

  private get lockMs(): number {
    return this.options.lockMs ?? 60_000;
  }

  /** Starts polling (and releases stale claims first, when told to). */
  async start(): Promise<void> {
    if (this.options.releaseClaimsAtStart) await releaseAllClaims(this.options.db);
    this.stopped = false;
    this.poll = setInterval(() => this.wake(), this.options.pollMs ?? 1_000);
    this.wake();
  }

  /** Looks for due jobs now. */
  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    void this.drain().finally(() => {
      this.draining = false;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Stops claiming, and resolves once the jobs under way have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    while (this.draining || this.running.size > 0) {
      await Promise.allSettled([...this.running]);
      if (this.draining) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async drain(): Promise<void> {
    const kinds = Object.keys(this.options.handlers);
    while (!this.stopped && this.running.size < (this.options.concurrency ?? 2)) {
      let job: JobRow | null;
      try {
        job = await claimJob(this.options.db, { kinds, lockMs: this.lockMs });
      } catch (error) {
        this.options.log(error, 'claiming a job failed');
        return;
      }
      if (!job) return;
      const done = this.run(job);
      this.running.add(done);
      void done.finally(() => {
        this.running.delete(done);
        this.wake();
      });
    }
  }

  private async run(job: JobRow): Promise<void> {
    const { db, handlers, log } = this.options;
    const claim: JobClaim = { id: job.id, attempts: job.attempts };
    const renewal = setInterval(
      () =>
        void renewJob(db, { claim, lockMs: this.lockMs }).catch((error: unknown) =>
          log(error, `renewing the claim of job ${job.id} failed`),
        ),
      Math.max(10, Math.floor(this.lockMs / 3)),
    );
    this.options.onAttempt?.started(job.kind);
    try {
      const handler = handlers[job.kind];
      if (!handler) throw new JobFailed(`No handler for jobs of kind ${job.kind}.`);
      await handler({
        job,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
        last: job.attempts >= job.maxAttempts,
      });
      await completeJob(db, claim);
      this.options.onAttempt?.ended(job.kind, 'succeeded');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retryInMs =
        error instanceof JobFailed || job.attempts >= job.maxAttempts
          ? null
          : retryDelay(job.attempts, this.options.retryBaseMs ?? 2_000);
      await failJob(db, { claim, error: message, retryInMs }).catch((failure: unknown) =>
        log(failure, `recording the failure of job ${job.id} failed`),
      );
      this.options.onAttempt?.ended(job.kind, retryInMs === null ? 'failed' : 'retry');
      if (retryInMs === null) log(error, `job ${job.id} (${job.kind}) failed`);
      else this.wakeIn(retryInMs);
    } finally {
      clearInterval(renewal);
    }
  }

  private wakeIn(ms: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.wake();
    }, ms + 5);
    this.timers.add(timer);
  }
}
