/**
 * @module metrics/metrics
 * What Lucid measures, defined in one place: one prom-client `Registry` per server (never the
 * process's default one: several servers may share a process), every metric Lucid records, and
 * the gauges read at scrape time from what the composition root plugs in (queue depth, sandboxes,
 * the database pool). Labels are bounded: an outcome, a kind, a provider, a known model (else
 * `other`), a route's pattern, a status class; never an id. It imports nothing of Lucid's own,
 * so every layer (the runner side included) may record into it.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds, for what takes from a few milliseconds (HTTP) to a minute. */
const FAST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds, for what takes from a tenth of a second to an hour (runs, waits, starts). */
const SLOW_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** How a run, a job or a call ended. */
export type RunOutcome = 'succeeded' | 'failed' | 'cancelled';

/** Sandboxes of the server's own runner, by state. */
export interface SandboxCounts {
  /** Ready in a warm pool. */
  warm: number;
  /** Given to a run under way. */
  busy: number;
  /** Being made. */
  starting: number;
}

/** The database pool's connections, where the driver has a pool (PostgreSQL). */
export interface PoolCounts {
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

/** What the scrape-time gauges read; each is optional (a server without a runner has no sandboxes). */
export interface MetricSources {
  /** Runs waiting to be claimed and jobs waiting to run. */
  queueDepth?: () => Promise<{ runs: number; jobs: number }>;
  /** Runners with a recent heartbeat and a free or busy slot, this server's and remote ones. */
  runnersOnline?: () => Promise<number>;
  sandboxes?: () => SandboxCounts;
  pool?: () => PoolCounts;
}

/** The status class of an HTTP status (`2xx`…), or `error` when no answer came. */
export function statusClass(status: number | null | undefined): string {
  return typeof status === 'number' && status >= 100 && status < 600
    ? `${Math.floor(status / 100)}xx`
    : 'error';
}

/**
 * A server's metrics. Record through the named fields; read them all with {@link Metrics.text}.
 *
 * @example
 * const metrics = new Metrics();
 * metrics.runsFinished.inc({ outcome: 'succeeded' });
 * const body = await metrics.text();
 */
export class Metrics {
  readonly registry = new Registry();
  private sources: MetricSources = {};

  readonly runsQueued = new Counter({
    name: 'lucid_runs_queued_total',
    help: 'Runs queued (a new task, a follow-up, a retry, a re-queued attempt).',
    registers: [this.registry],
  });
  readonly runsStarted = new Counter({
    name: 'lucid_runs_started_total',
    help: 'Runs claimed by a runner.',
    registers: [this.registry],
  });
  readonly runsFinished = new Counter({
    name: 'lucid_runs_finished_total',
    help: 'Runs ended, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly runDuration = new Histogram({
    name: 'lucid_run_duration_seconds',
    help: 'From a run being claimed to its end, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: SLOW_BUCKETS,
    registers: [this.registry],
  });
  readonly queueWait = new Histogram({
    name: 'lucid_run_queue_wait_seconds',
    help: 'From a run being queued to a runner claiming it.',
    buckets: SLOW_BUCKETS,
    registers: [this.registry],
  });
  readonly firstToolCall = new Histogram({
    name: 'lucid_run_first_tool_call_seconds',
    help: "From an agent run being queued to its agent's first tool call.",
    buckets: SLOW_BUCKETS,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'lucid_queue_depth',
    help: 'Work waiting: runs not yet claimed (queue="runs"), jobs due or waiting (queue="jobs").',
    labelNames: ['queue'] as const,
    registers: [this.registry],
    collect: async () => {
      const depth = await this.sources.queueDepth?.();
      if (!depth) return;
      this.queueDepth.set({ queue: 'runs' }, depth.runs);
      this.queueDepth.set({ queue: 'jobs' }, depth.jobs);
    },
  });

  readonly runnersOnline = new Gauge({
    name: 'lucid_runners_online',
    help: 'Runners that sent a heartbeat lately and have at least one slot (every runner on the database).',
    registers: [this.registry],
    collect: async () => {
      const online = await this.sources.runnersOnline?.();
      if (online !== undefined) this.runnersOnline.set(online);
    },
  });
  readonly safetyBlocks = new Counter({
    name: 'lucid_safety_blocks_total',
    help: 'Pushes blocked by a check before they left Lucid, by check (secrets, protected_paths, max_files).',
    labelNames: ['check'] as const,
    registers: [this.registry],
  });

  readonly jobsStarted = new Counter({
    name: 'lucid_jobs_started_total',
    help: 'Attempts of durable jobs, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly jobsFinished = new Counter({
    name: 'lucid_jobs_finished_total',
    help: 'Attempts of durable jobs ended, by kind and outcome (succeeded, retry, failed).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly llmCalls = new Counter({
    name: 'lucid_llm_calls_total',
    help: 'Model calls through the gateway, by provider, model and status class.',
    labelNames: ['provider', 'model', 'status'] as const,
    registers: [this.registry],
  });
  readonly llmErrors = new Counter({
    name: 'lucid_llm_errors_total',
    help: 'Model calls the provider refused or failed (a 4xx or 5xx, or no answer), by provider and model.',
    labelNames: ['provider', 'model', 'status'] as const,
    registers: [this.registry],
  });
  readonly llmTokens = new Counter({
    name: 'lucid_llm_tokens_total',
    help: 'Tokens of metered model calls, by provider, model and kind (input, output, cached, cache_write).',
    labelNames: ['provider', 'model', 'kind'] as const,
    registers: [this.registry],
  });
  readonly llmCost = new Counter({
    name: 'lucid_llm_cost_usd_total',
    help: 'What metered model calls cost, in US dollars, by provider and model.',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });

  readonly externalCalls = new Counter({
    name: 'lucid_external_calls_total',
    help: 'Calls to other services (github, gitlab, notion), by service and status class.',
    labelNames: ['service', 'status'] as const,
    registers: [this.registry],
  });
  readonly externalFailures = new Counter({
    name: 'lucid_external_failures_total',
    help: 'Calls to other services answered with a 5xx or 429, or not answered, by service.',
    labelNames: ['service', 'status'] as const,
    registers: [this.registry],
  });
  readonly sseViewers = new Gauge({
    name: 'lucid_sse_viewers',
    help: 'Live streams open (server-sent events), by stream.',
    labelNames: ['stream'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'lucid_http_request_duration_seconds',
    help: 'HTTP answers, by method, route pattern and status class; streams count until they end.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });

  readonly sandboxes = new Gauge({
    name: 'lucid_sandboxes',
    help: "The server's own runner's sandboxes, by state (warm, busy, starting).",
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => {
      const counts = this.sources.sandboxes?.();
      if (!counts) return;
      for (const state of ['warm', 'busy', 'starting'] as const) {
        this.sandboxes.set({ state }, counts[state]);
      }
    },
  });
  readonly sandboxStart = new Histogram({
    name: 'lucid_sandbox_start_seconds',
    help: "Time to make a sandbox for the server's own runner, by outcome (succeeded, failed).",
    labelNames: ['outcome'] as const,
    buckets: SLOW_BUCKETS,
    registers: [this.registry],
  });

  readonly dbPool = new Gauge({
    name: 'lucid_db_pool_connections',
    help: 'The PostgreSQL pool, by state (total, idle, waiting); absent on embedded PGlite, which has one connection.',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => {
      const pool = this.sources.pool?.();
      if (!pool) return;
      for (const state of ['total', 'idle', 'waiting'] as const) {
        this.dbPool.set({ state }, pool[state]);
      }
    },
  });

  constructor() {
    // Event-loop lag, heap, GC, CPU, handles: prom-client's own, as `lucid_process_…`/`lucid_nodejs_…`.
    collectDefaultMetrics({ register: this.registry, prefix: 'lucid_' });
  }

  /** Plugs in what the scrape-time gauges read (added to what was plugged in before). */
  readFrom(sources: MetricSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  /** The content type of {@link Metrics.text}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in Prometheus's text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
