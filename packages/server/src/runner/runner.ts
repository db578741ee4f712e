/**
 * @module runner/runner
 * A runner: claims runs while it has free slots, holds each run's lease with heartbeats, stops a
 * run that is cancelled, lost or over its time, and reports outcomes. When Lucid cannot be reached
 * it keeps trying with backoff, so it reconnects by itself after a server restart.
 */
import type { SandboxDriver, SandboxSpec } from '../sandbox/driver.ts';
import type { RunnerBackend } from './backend.ts';
import { executeRun, type StopReason } from './execute-run.ts';

export interface RunnerLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface RunnerOptions {
  backend: RunnerBackend;
  driver: SandboxDriver;
  sandbox: Omit<SandboxSpec, 'labels'>;
  slots: number;
  /** How long to wait for work before asking again (also the longest backoff). */
  pollMs?: number;
  log: RunnerLog;
}

const RUNNER_HEARTBEAT_MS = 5_000;

export class Runner {
  private readonly active = new Map<string, AbortController>();
  private readonly settled = new Set<Promise<void>>();
  private running = false;
  private wakeUp: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  slots: number;

  constructor(private readonly options: RunnerOptions) {
    this.slots = options.slots;
  }

  /** Ids of the runs this runner is working on. */
  get currentRuns(): string[] {
    return [...this.active.keys()];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const beat = () =>
      this.options.backend.heartbeat(this.slots).catch((error: unknown) => {
        this.options.log.warn({ err: error }, 'runner heartbeat failed');
      });
    void beat();
    this.heartbeat = setInterval(beat, RUNNER_HEARTBEAT_MS);
    this.loop = this.claimLoop();
  }

  /** Asks for work now rather than at the next poll (new runs were queued). */
  wake(): void {
    this.wakeUp?.();
  }

  /** Changes how many runs at once this runner takes; running ones are not stopped. */
  scale(slots: number): void {
    this.slots = slots;
    void this.options.backend.heartbeat(slots).catch(() => {});
    this.wake();
  }

  /**
   * Stops claiming and stops the runs in flight without reporting them: their leases lapse and
   * Lucid re-queues them, so a restart loses no work.
   */
  async stop(): Promise<void> {
    this.running = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const controller of this.active.values())
      controller.abort('shutdown' satisfies StopReason);
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.settled]);
  }

  private async claimLoop(): Promise<void> {
    const pollMs = this.options.pollMs ?? 1_000;
    let backoff = 0;
    while (this.running) {
      if (this.active.size < this.slots) {
        try {
          const claim = await this.options.backend.claim();
          backoff = 0;
          if (claim && this.running) {
            this.launch(claim);
            continue;
          }
        } catch (error) {
          backoff = Math.min(pollMs * 5, backoff === 0 ? 200 : backoff * 2);
          this.options.log.warn({ err: error, retryInMs: backoff }, 'could not claim a run');
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff || pollMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  private launch(claim: Parameters<typeof executeRun>[0]['claim']): void {
    const { backend, log } = this.options;
    const { leaseMs, maxRuntimeMs } = claim.limits;
    const runId = claim.run.id;
    const controller = new AbortController();
    this.active.set(runId, controller);
    const stop = (reason: StopReason) => {
      if (!controller.signal.aborted) controller.abort(reason);
    };
    const renew = setInterval(
      () => {
        backend.renew(runId).then(
          (answer) => {
            if (answer.lost) stop('lost');
            else if (answer.cancelRequested) stop('cancelled');
          },
          (error: unknown) => log.warn({ err: error, runId }, 'could not renew a lease'),
        );
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    const limit = setTimeout(() => stop('runtime_limit'), maxRuntimeMs);

    const work = (async () => {
      log.info({ runId, taskId: claim.task.id }, 'run started');
      const outcome = await executeRun({
        claim,
        backend,
        driver: this.options.driver,
        sandbox: this.options.sandbox,
        signal: controller.signal,
        maxRuntimeMinutes: Math.round(maxRuntimeMs / 60_000),
      });
      clearInterval(renew);
      clearTimeout(limit);
      const reason = controller.signal.reason as StopReason | undefined;
      if (reason === 'lost' || reason === 'shutdown') {
        log.warn({ runId, reason }, 'run abandoned');
        return;
      }
      await this.report(runId, outcome, leaseMs);
      log.info({ runId, status: outcome.status }, 'run finished');
    })()
      .catch((error: unknown) => log.error({ err: error, runId }, 'run crashed'))
      .finally(() => {
        clearInterval(renew);
        clearTimeout(limit);
        this.active.delete(runId);
        this.settled.delete(work);
        this.wake();
      });
    this.settled.add(work);
  }

  /** Reports an outcome, retrying while Lucid cannot be reached (until the lease would be gone). */
  private async report(
    runId: string,
    outcome: Parameters<RunnerBackend['finish']>[1],
    leaseMs: number,
  ): Promise<void> {
    const deadline = Date.now() + leaseMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        await this.options.backend.finish(runId, outcome);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
