/**
 * @module runner/runner
 * A runner: claims runs while it has free slots, holds each run's lease with heartbeats, stops a
 * run that is cancelled, lost or over its time, and reports outcomes. When Lucid cannot be reached
 * it keeps trying with backoff, so it reconnects by itself after a server restart. A run whose
 * lease it cannot renew (Lucid refuses, or no renewal got through for the lease's length, after
 * which Lucid may give the run to another runner) is stopped at once, and nothing of it is
 * committed, pushed or reported.
 *
 * It owns the sandboxes it makes (labelled with its id): a warm pool of ready ones that new tasks
 * take, and the tasks' own, which the reaper snapshots and removes once idle. It works in a task's
 * sandbox only when the sandbox is its own and, when its labels name a task, that task's. At start
 * it removes those no task uses; at stop it empties its pool (a crash leaves it to the next
 * start's cleanup). Sandboxes on its engine left by runners that are gone are removed too.
 */
import type { ClaimedRun } from '@lucid/contracts';
import type { AgentRuntime } from '../agent/agent.ts';
import type { Sandbox, SandboxDriver, SandboxSpec } from '../sandbox/driver.ts';
import { RepoWarmPools } from '../sandbox/repo-warm-pools.ts';
import { WarmPool } from '../sandbox/warm-pool.ts';
import type { Metrics, SandboxCounts } from '../metrics/metrics.ts';
import { BackendRefusal, type RunnerBackend } from './backend.ts';
import { executeRun, primeWorkspace, type StopReason } from './execute-run.ts';
import { Reaper } from './reaper.ts';
import { RunTrace } from './run-trace.ts';
import { noTracing, traceIdOf, type Tracing } from '../tracing/tracing.ts';
import { ownedBy, RUNNER_LABEL, TASK_LABEL } from './sandbox-owner.ts';

export interface RunnerLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface RunnerOptions {
  backend: RunnerBackend;
  driver: SandboxDriver;
  /** The runner's id, as Lucid knows it: every sandbox it makes carries it as `lucid.runner`. */
  runnerId: string;
  sandbox: Omit<SandboxSpec, 'labels'>;
  slots: number;
  /** A task's sandbox with no run for this long is snapshotted and removed. */
  idleMs: number;
  /**
   * Sandboxes kept ready for new tasks; as many again are kept for each recently active
   * repository, its objects already fetched.
   */
  warmPool: number;
  /** How long to wait for work before asking again (also the longest backoff). */
  pollMs?: number;
  log: RunnerLog;
  /**
   * Told once when Lucid no longer knows this runner: its heartbeat is refused as unauthenticated
   * (the runner was removed, or its token revoked). Nothing it holds can be used again.
   */
  onDismissed?: () => void;
  /** Runs the built-in agent; without it agent runs fail with `agent_unavailable`. */
  agent?: AgentRuntime | undefined;
  /** Where the time to make each sandbox is recorded (the server's own runner's). */
  metrics?: Metrics | undefined;
  /**
   * Where the spans of runs go: each claimed run with a trace (`trace.parent`) gets its steps
   * recorded under the run's root span. Its log lines carry the trace's id as `traceId`.
   */
  tracing?: Tracing | undefined;
}

const RUNNER_HEARTBEAT_MS = 5_000;
/** A claim that waited at least this long before answering "none" was a long poll. */
const LONG_POLL_MIN_MS = 1_000;
/** The most claims a runner has under way at once, when work is waiting for several slots. */
const PARALLEL_CLAIMS = 4;
/** Repositories whose sandboxes are kept warm at once (the most recently active). */
const WARM_REPOSITORIES = 4;

export class Runner {
  private readonly active = new Map<
    string,
    { stop: (reason: StopReason) => void; taskId: string }
  >();
  private readonly pool: WarmPool;
  private readonly repoPools: RepoWarmPools;
  private readonly reaper: Reaper;
  private readonly settled = new Set<Promise<void>>();
  /** Sandboxes given to runs in flight, from the moment they are taken or made. */
  private readonly inUse = new Set<string>();
  /** Sandboxes being made, for the pools or for runs. */
  private starting = 0;
  /** Makes sandboxes on the driver, counting and timing each. */
  private readonly maker: Pick<SandboxDriver, 'create'> = { create: (spec) => this.create(spec) };
  private running = false;
  private wakeUp: (() => void) | null = null;
  /** A wake-up came since the last claim began. */
  private woken = false;
  /** Claims made beside the claim loop's own, not yet answered. */
  private claimsAlongside = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  /** Ends a claim that waits for work (a long poll) when the runner stops. */
  private readonly stopping = new AbortController();
  slots: number;

  constructor(private readonly options: RunnerOptions) {
    this.slots = options.slots;
    const { backend, driver, runnerId, log } = options;
    this.pool = new WarmPool({
      driver: this.maker,
      spec: { ...options.sandbox, labels: { [RUNNER_LABEL]: runnerId } },
      size: options.warmPool,
      onError: (error) => log.warn({ err: error }, 'could not make a sandbox for the warm pool'),
    });
    this.repoPools = new RepoWarmPools({
      driver: this.maker,
      spec: { ...options.sandbox, labels: { [RUNNER_LABEL]: runnerId } },
      size: options.warmPool,
      repositories: WARM_REPOSITORIES,
      takeReady: () => this.pool.take(),
      onError: (error) =>
        log.warn({ err: error }, "could not make a sandbox for a repository's warm pool"),
    });
    this.reaper = new Reaper({
      backend,
      driver,
      runnerId,
      idleMs: options.idleMs,
      busy: (taskId) => [...this.active.values()].some((run) => run.taskId === taskId),
      pooled: () => this.pooledSandboxes,
      inUse: () => new Set(this.inUse),
      log,
    });
  }

  /** Ids of the ready sandboxes in the warm pools, which a new task's run takes first. */
  get pooledSandboxes(): Set<string> {
    return new Set([...this.pool.ids, ...this.repoPools.ids]);
  }

  /** Ids of the ready sandboxes already holding the repository's objects. */
  pooledFor(repoId: string): Set<string> {
    return this.repoPools.idsFor(repoId);
  }

  /** Its sandboxes by state: ready in a pool, given to a run under way, being made. */
  sandboxCounts(): SandboxCounts {
    return { warm: this.pooledSandboxes.size, busy: this.active.size, starting: this.starting };
  }

  /** Makes a sandbox on the driver, counted while it starts and timed into the metrics. */
  private async create(spec: SandboxSpec): Promise<Sandbox> {
    const began = performance.now();
    const observe = (outcome: 'succeeded' | 'failed') =>
      this.options.metrics?.sandboxStart.observe({ outcome }, (performance.now() - began) / 1000);
    this.starting++;
    try {
      const sandbox = await this.options.driver.create(spec);
      observe('succeeded');
      return sandbox;
    } catch (error) {
      observe('failed');
      throw error;
    } finally {
      this.starting--;
    }
  }

  /** Ids of the runs this runner is working on. */
  get currentRuns(): string[] {
    return [...this.active.keys()];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    let dismissed = false;
    const beat = () =>
      this.options.backend.heartbeat(this.slots).catch((error: unknown) => {
        if (error instanceof BackendRefusal && error.status === 401) {
          if (!dismissed) this.options.onDismissed?.();
          dismissed = true;
          return;
        }
        this.options.log.warn({ err: error }, 'runner heartbeat failed');
      });
    void beat();
    this.heartbeat = setInterval(beat, RUNNER_HEARTBEAT_MS);
    this.loop = (async () => {
      await this.reaper
        .removeOrphans()
        .catch((error: unknown) =>
          this.options.log.warn({ err: error }, 'could not remove orphaned sandboxes'),
        );
      if (!this.running) return;
      this.pool.fill();
      this.reaper.start();
      await this.claimLoop();
    })();
  }

  /**
   * Asks for work now rather than at the next poll (new runs were queued). A wake-up while a claim
   * is under way makes the loop claim again at once rather than sleep: that claim may have looked
   * before the new run was committed.
   */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Changes how many runs at once this runner takes; running ones are not stopped. */
  scale(slots: number): void {
    this.slots = slots;
    void this.options.backend.heartbeat(slots).catch(() => {});
    this.wake();
  }

  /**
   * Stops claiming, lets the runs in flight finish for up to `graceMs` (heartbeats and leases go
   * on meanwhile), then stops the rest without reporting them and hands them back: Lucid queues
   * each again at once for another runner (a run whose hand-back fails is re-queued when its lease
   * lapses), so a restart loses no work. Empties the warm pool.
   *
   * @example
   * await runner.stop({ graceMs: 30_000 }); // a rolling restart: finish what can be finished
   */
  async stop({ graceMs = 0 }: { graceMs?: number } = {}): Promise<void> {
    this.running = false;
    this.stopping.abort();
    this.wake();
    await this.loop;
    if (graceMs > 0 && this.active.size > 0) {
      this.options.log.info(
        { runs: this.currentRuns, graceMs },
        'stopping: the runs in flight may finish before they are handed back',
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.allSettled(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    if (this.heartbeat) clearInterval(this.heartbeat);
    const unfinished = this.currentRuns;
    for (const run of this.active.values()) run.stop('shutdown');
    await this.allSettled();
    await Promise.all(unfinished.map((runId) => this.handBack(runId)));
    await this.reaper.stop();
    await Promise.all([this.pool.drain(), this.repoPools.drain()]);
  }

  /** Waits until every run and claim under way has ended. */
  private async allSettled(): Promise<void> {
    while (this.settled.size > 0) await Promise.allSettled([...this.settled]);
  }

  /** Hands a run back to Lucid; when that fails, its lease lapses and Lucid re-queues it then. */
  private async handBack(runId: string): Promise<void> {
    try {
      const handedBack = await this.options.backend.handBack(runId);
      if (handedBack) this.options.log.info({ runId }, 'run handed back to be queued again');
    } catch (error) {
      this.options.log.warn(
        { err: error, runId },
        'could not hand a run back: it is queued again when its lease lapses',
      );
    }
  }

  /**
   * Stops, then removes every sandbox this runner made: for a runner Lucid no longer knows, whose
   * sandboxes no one can use or snapshot any more. Returns their ids.
   */
  async dismiss(): Promise<string[]> {
    await this.stop();
    const { driver, runnerId } = this.options;
    const mine = await driver.list({ [RUNNER_LABEL]: runnerId });
    await Promise.all(mine.map(async (info) => (await driver.get(info.id))?.remove()));
    return mine.map((info) => info.id);
  }

  /** Reaps the idle sandboxes now rather than at the next sweep; returns their ids. */
  reapIdle(): Promise<string[]> {
    return this.reaper.sweep();
  }

  /**
   * A sandbox for a task that has none: a pooled one when ready (one holding the task's repository
   * first), else one made now.
   */
  private async newSandbox(claim: ClaimedRun): Promise<Sandbox> {
    const pooled = this.repoPools.take(claim.task.repoId) ?? this.pool.take();
    if (pooled) this.inUse.add(pooled.id);
    return (
      pooled ??
      (await this.create({
        ...this.options.sandbox,
        labels: {
          [TASK_LABEL]: claim.task.id,
          'lucid.run': claim.run.id,
          [RUNNER_LABEL]: this.options.runnerId,
        },
      }))
    );
  }

  /** The run's repository is active: sandboxes holding it are kept ready, fetched with its token. */
  private warmRepository(claim: ClaimedRun): void {
    this.repoPools.fill(claim.task.repoId, (sandbox) => primeWorkspace(sandbox, claim.git));
  }

  /** The task's sandbox when it is live, this runner's and (by its labels) no other task's. */
  private async taskSandbox(claim: ClaimedRun): Promise<Sandbox | null> {
    const { driver, runnerId, log } = this.options;
    const sandboxId = claim.task.sandboxId;
    const sandbox = sandboxId ? await driver.get(sandboxId) : null;
    if (!sandbox || ownedBy(sandbox.labels, { runnerId, taskId: claim.task.id })) return sandbox;
    log.warn(
      { runId: claim.run.id, traceId: traceIdOf(claim.trace?.parent), sandboxId },
      "the task's sandbox belongs to another runner or task: the run starts in a new one",
    );
    return null;
  }

  private async claimLoop(): Promise<void> {
    const pollMs = this.options.pollMs ?? 1_000;
    let backoff = 0;
    while (this.running) {
      if (this.active.size + this.claimsAlongside < this.slots) {
        this.woken = false;
        try {
          const asked = performance.now();
          const claim = await this.options.backend.claim(this.stopping.signal);
          backoff = 0;
          if (claim && !this.running) await this.handBack(claim.run.id);
          if (claim && this.running) {
            this.launch(claim, asked);
            this.claimAlongside();
            continue;
          }
          // A long poll that waited its time asks again at once; one answered at once (a server
          // that does not wait) falls back to the poll interval.
          if (this.options.backend.waitsForWork && performance.now() - asked >= LONG_POLL_MIN_MS)
            continue;
        } catch (error) {
          backoff = Math.min(pollMs * 5, backoff === 0 ? 200 : backoff * 2);
          this.options.log.warn({ err: error, retryInMs: backoff }, 'could not claim a run');
        }
      }
      if (this.woken && backoff === 0 && this.active.size + this.claimsAlongside < this.slots)
        continue;
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

  /**
   * Work was waiting, so more may be: claims for the other free slots side by side with the claim
   * loop's next claim, so that each claim's answer (Lucid's copy read, a token minted) is not
   * waited for by the next. A claim alongside never waits for work: it ends when none is there,
   * and one that finds a run claims alongside again.
   */
  private claimAlongside(): void {
    while (
      this.running &&
      this.claimsAlongside < PARALLEL_CLAIMS - 1 &&
      this.active.size + this.claimsAlongside + 1 < this.slots
    ) {
      this.claimsAlongside += 1;
      const asked = performance.now();
      const claiming = this.options.backend
        .claim(this.stopping.signal, { wait: false })
        .then(async (claim) => {
          if (claim && !this.running) await this.handBack(claim.run.id);
          else if (claim) this.launch(claim, asked);
          return claim !== null;
        })
        .catch((error: unknown) => {
          this.options.log.warn({ err: error }, 'could not claim a run');
          return false;
        })
        .then((found) => {
          this.claimsAlongside -= 1;
          if (found) this.claimAlongside();
        });
      this.settled.add(claiming);
      void claiming.finally(() => this.settled.delete(claiming));
    }
  }

  /**
   * Works on a claimed run. `asked` is when the claim was asked for (`performance.now()`): the
   * lease Lucid started lasts at least `leaseMs` from that moment plus the time Lucid says it held
   * the claim (`waitedMs`, a long poll's wait), and each renewal at least `leaseMs` from when it
   * was asked for.
   */
  private launch(claimed: ClaimedRun, asked: number): void {
    const { backend, log } = this.options;
    const { leaseMs, maxRuntimeMs } = claimed.limits;
    const runId = claimed.run.id;
    const traceParent = claimed.trace?.parent;
    // What every log line of the run names: the run, and its trace when it has one.
    const about = { runId, ...(traceParent ? { traceId: traceIdOf(traceParent) } : {}) };
    const controller = new AbortController();
    // Aborted once the run is no longer this runner's: nothing more of it is committed or pushed.
    const held = new AbortController();
    const stop = (reason: StopReason) => {
      if ((reason === 'lost' || reason === 'shutdown') && !held.signal.aborted) held.abort(reason);
      if (!controller.signal.aborted) controller.abort(reason);
    };
    this.active.set(runId, { stop, taskId: claimed.task.id });
    let lease: NodeJS.Timeout | undefined;
    let leaseFrom = -Infinity;
    const leaseUntil = (from: number) => {
      if (from <= leaseFrom) return;
      leaseFrom = from;
      clearTimeout(lease);
      lease = setTimeout(
        () => {
          log.warn(about, 'the lease could not be renewed in time: the run is stopped');
          stop('lost');
        },
        Math.max(0, from + leaseMs - performance.now()),
      );
    };
    leaseUntil(asked + claimed.waitedMs);
    const renew = setInterval(
      () => {
        if (held.signal.aborted) return;
        const sent = performance.now();
        backend.renew(runId).then(
          (answer) => {
            if (answer.lost) return stop('lost');
            leaseUntil(sent);
            if (answer.cancelRequested) stop('cancelled');
          },
          (error: unknown) => {
            log.warn({ err: error, ...about }, 'could not renew a lease');
            if (error instanceof BackendRefusal) stop('lost');
          },
        );
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    const limit = setTimeout(() => stop('runtime_limit'), maxRuntimeMs);

    const used: { sandboxId?: string } = {};
    const work = (async () => {
      const claim = await this.afterReap(claimed);
      log.info({ ...about, taskId: claim.task.id }, 'run started');
      const outcome = await executeRun({
        claim,
        backend,
        taskSandbox: (c) => this.taskSandbox(c),
        newSandbox: (c) => this.newSandbox(c),
        onSandbox: (sandbox) => {
          // Once the run has its sandbox, so priming never takes the one it was to get.
          this.warmRepository(claim);
          used.sandboxId = sandbox.id;
          this.inUse.add(sandbox.id);
          this.reaper.touch(sandbox.id);
        },
        signal: controller.signal,
        held: held.signal,
        maxRuntimeMinutes: Math.round(maxRuntimeMs / 60_000),
        agent: this.options.agent,
        trace: new RunTrace(
          this.options.tracing ?? noTracing,
          traceParent,
          claim.run.agent?.model || undefined,
        ),
      });
      clearInterval(renew);
      clearTimeout(limit);
      clearTimeout(lease);
      if (held.signal.aborted) {
        log.warn({ ...about, reason: held.signal.reason as StopReason }, 'run abandoned');
        return;
      }
      await this.report(runId, outcome, leaseMs);
      log.info({ ...about, status: outcome.status }, 'run finished');
    })()
      .catch((error: unknown) => log.error({ err: error, ...about }, 'run crashed'))
      .finally(() => {
        clearInterval(renew);
        clearTimeout(limit);
        clearTimeout(lease);
        if (used.sandboxId) {
          this.reaper.touch(used.sandboxId);
          this.inUse.delete(used.sandboxId);
        }
        this.active.delete(runId);
        this.settled.delete(work);
        this.wake();
      });
    this.settled.add(work);
  }

  /**
   * The claim as it stands once a reap of its task's sandbox, begun before the claim, is done:
   * the run then restores the snapshot just made.
   */
  private async afterReap(claim: ClaimedRun): Promise<ClaimedRun> {
    const reaping = this.reaper.pending(claim.task.id);
    if (!reaping) return claim;
    const snapshot = await reaping.catch(() => null);
    return snapshot ? { ...claim, task: { ...claim.task, sandboxId: null, snapshot } } : claim;
  }

  /**
   * Reports an outcome, retrying while Lucid cannot be reached (until the lease would be gone);
   * a refusal is final.
   */
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
        if (error instanceof BackendRefusal || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
