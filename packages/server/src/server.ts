/**
 * @module server
 * The composition root: opens the database, builds auth, the live hub and the HTTP app, and listens.
 * `startServer` reads as its steps: the host and data dir, the database, auth, the own runner's
 * sandboxes, the live hub, the metrics, the tracing (OpenTelemetry, when configured), the lifecycle's wiring (server/wire-lifecycle.ts: domain
 * events, jobs, lease recovery), the runner, the app, the ways sandboxes reach it; `close` undoes
 * them in turn.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { startBanner } from './banner.ts';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { quietAuthAsyncContext } from './auth/async-context.ts';
import { createAuth } from './auth/auth.ts';
import { buildApp } from './http/app.ts';
import { startSpawnHost } from './process/spawn.ts';
import { newId } from './ids.ts';
import type { LucidEndpoint, SandboxDriver } from './sandbox/driver.ts';
import { DbRunnerBackend } from './control/runner-backend.ts';
import { onlineRunnerCount, registerInProcessRunner } from './control/runners.ts';
import { Runner } from './runner/runner.ts';
import { lucidAgentRuntime } from './agent/runtime.ts';
import { inProcessGatewayFetch } from './gateway/gateway-fetch.ts';
import { SANDBOX_AGENTS_DIR } from './agent/cli/cli-agent.ts';
import { CLI_AGENTS } from './agent/cli/index.ts';
import { installCliAgents } from './agent/cli/install.ts';
import { providerSecrets } from './llm/models.ts';
import { LiveHub } from './tasks/live.ts';
import type { DomainEvents } from './tasks/domain-events.ts';
import type { QueuedRuns } from './control/queued-runs.ts';
import { mergeThroughForge } from './forges/merge-upstream.ts';
import { retryAfterRejectedPush } from './forges/rejected-push.ts';
import { wireLifecycle, type JobOptions } from './server/wire-lifecycle.ts';
import { taskCreation } from './http/context.ts';
import { NotionPickup } from './notion/pickup.ts';
import { selectDriver } from './sandbox/select-driver.ts';
import { DockerDriver } from './sandbox/docker/docker-driver.ts';
import { Metrics } from './metrics/metrics.ts';
import { startTracing, type Tracing } from './tracing/tracing.ts';
import { countCallsWith } from './metrics/outbound.ts';
import { countSafetyBlocksOn } from './metrics/safety-blocks.ts';
import { queuedRunCount } from './control/queue.ts';
import { queuedJobCount } from './jobs/store.ts';
import {
  isWildcard,
  listenForSandboxes,
  openSandboxAccess,
  SandboxGate,
} from './http/sandbox-listener.ts';

export const defaultWebRoot = fileURLToPath(new URL('../../web/dist', import.meta.url));

export interface StartOptions {
  config: Config;
  logger?: Logger;
  /** An already opened database (tests); otherwise opened from the configuration. */
  database?: Database;
  webRoot?: string | undefined;
  /** better-auth's sign-in rate limit; on unless told otherwise. */
  authRateLimit?: boolean;
  /** The server's own runner. */
  runner?: RunnerOptions;
  /** The job worker's timings (tests make them short). */
  jobs?: JobOptions;
}

export type { JobOptions } from './server/wire-lifecycle.ts';

export interface RunnerOptions {
  /** Where sandboxes are made; without one the server runs no runner. */
  driver?: SandboxDriver | undefined;
  /** Runs at once (0: no runner of its own). */
  slots?: number;
  leaseMs?: number;
  maxRuntimeMs?: number;
  pollMs?: number;
  /** Idle time before a task's sandbox is reaped; the configuration's by default. */
  idleMs?: number;
  /** Size of the warm pool; the configuration's by default. */
  warmPool?: number;
}

/**
 * Picks the sandbox driver the configuration asks for, and says which and how isolated, or why
 * no sandbox can run (the driver then refuses each run with that reason).
 */
async function sandboxDriver(
  config: Config,
  logger: Logger,
): Promise<{ driver: SandboxDriver; refusal: string | null }> {
  const { driver, warnings, refusal } = await selectDriver(config);
  if (refusal) logger.error(refusal);
  else logger.info({ isolation: driver.isolation }, `sandboxes run on the ${driver.kind} driver`);
  for (const warning of warnings) logger.warn(warning);
  return { driver, refusal };
}

/** The port of a sandbox URL on the engine's host (`host.docker.internal`), which sandboxes need open. */
function hostPortOf(sandboxUrl: string | undefined): number | null {
  if (!sandboxUrl) return null;
  const url = new URL(sandboxUrl);
  if (url.hostname !== 'host.docker.internal') return null;
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

/**
 * Lets local sandboxes reach the git endpoint and the LLM gateway: a listener on a Unix socket
 * in a folder of its own (mode 0700), given to the driver with the URL sandboxes are told.
 */
async function socketForSandboxes(
  app: FastifyInstance,
  gate: SandboxGate,
  reachLucid: (endpoint: LucidEndpoint) => void,
  url: string,
): Promise<{ close(): Promise<void> }> {
  const folder = await mkdtemp(path.join(tmpdir(), 'lucid-sandboxes-'));
  const socket = path.join(folder, 'lucid.sock');
  const server = await listenForSandboxes(app, gate, { path: socket });
  reachLucid({ url, socket });
  return {
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/** The id of this data dir's runner, kept across restarts. */
function inProcessRunnerId(dataDir: string): string {
  const file = path.join(dataDir, 'runner-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = newId('rnr');
  writeFileSync(file, `${id}\n`);
  return id;
}

export interface RunningServer {
  app: FastifyInstance;
  database: Database;
  url: string;
  /** The server's own runner, when it runs one. */
  runner: Runner | undefined;
  /** Publishes tasks' events and drafts to their live streams. */
  live: LiveHub;
  /** Remote runners' claims waiting for a run (long poll). */
  queuedRuns: QueuedRuns;
  /** The domain events of this server's database, as they are committed. */
  events: DomainEvents;
  /** Starts tasks from the Notion pages entering a mapping's pickup status. */
  notionPickup: NotionPickup;
  /** This server's metrics (`GET /metrics`). */
  metrics: Metrics;
  /**
   * Stops the server. Its own runner stops claiming, lets its runs in flight finish for up to
   * `graceMs` (0 by default: at once), and hands the rest back to be queued again.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * A request as logged: Fastify's fields, with the `key` query parameter (Gemini clients' key) and
 * an OAuth callback's `code` and `state` masked.
 */
export function requestWithoutKey(req: {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url?.replace(/([?&](?:key|code|state)=)[^&#]*/gi, '$1[redacted]'),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/**
 * JSON lines for log collectors; readable lines when a person watches a terminal, or when
 * LUCID_LOG_FORMAT says so.
 */
export function createLogger(
  config: Pick<Config, 'logLevel' | 'logFormat'>,
  /** Where JSON lines go (a test reads them); standard output by default. */
  destination?: DestinationStream,
): Logger {
  const pretty =
    !destination &&
    (config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY));
  const options: LoggerOptions = {
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        'req.headers["x-api-key"]',
        'req.headers["x-goog-api-key"]',
        '*.apiKey',
        '*.*.apiKey',
        'config.llm',
      ],
      censor: '[redacted]',
    },
    // Gemini clients may send their key (a run token, at the gateway) as `?key=`.
    serializers: { req: requestWithoutKey },
    ...(pretty && {
      transport: {
        target: 'pino-pretty',
        options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,reqId,banner' },
      },
    }),
  };
  return destination ? pino(options, destination) : pino(options);
}

/** This server as its own runner reaches it: the listening address, loopback for a wildcard. */
function ownUrl(host: string, port: number): string {
  const address = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** Where the server's own runner makes sandboxes, and what they are given. */
interface OwnSandboxes {
  slots: number;
  driver: SandboxDriver | undefined;
  /** Why no sandbox can run, when none can. */
  refusal: string | null;
  /** The URL sandboxes reach Lucid at. */
  sandboxUrl: string;
  /** The CLI agents' cache, mounted read-only into sandboxes. */
  agentCache: string | undefined;
}

/** Prepares the process and the data dir: the spawn host, the folders, the generated key's note. */
async function prepareHost(config: Config, logger: Logger): Promise<{ gitRoot: string }> {
  // While this process is still small: later programs start there without stalling the server.
  await startSpawnHost().catch((error: unknown) =>
    logger.warn({ err: error }, 'no spawn host: programs start from the server process itself'),
  );
  mkdirSync(config.dataDir, { recursive: true });
  if (config.encryptionKeyGenerated) {
    logger.info(
      { file: path.join(config.dataDir, 'encryption.key') },
      'generated an encryption key (mode 0600); back it up with the data dir',
    );
  }
  const gitRoot = path.join(config.dataDir, 'git');
  mkdirSync(gitRoot, { recursive: true });
  return { gitRoot };
}

/** The configured database: PostgreSQL at its URL, or embedded PGlite in the data dir. */
function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase(
    config.databaseUrl
      ? { url: config.databaseUrl }
      : { pgliteDir: path.join(config.dataDir, 'db') },
  );
}

/** better-auth on the database, logging through the server's logger. */
async function authFor(
  database: Database,
  config: Config,
  logger: Logger,
  rateLimit: boolean,
): Promise<ReturnType<typeof createAuth>> {
  await quietAuthAsyncContext();
  return createAuth({
    db: database.db,
    config,
    logger: {
      error: (message) => logger.error(message),
      warn: (message) => logger.warn(message),
      info: (message) => logger.info(message),
      debug: (message) => logger.debug(message),
    },
    rateLimit,
  });
}

/** The sandbox driver of the server's own runner (none without slots), and what sandboxes get. */
async function ownSandboxes(
  config: Config,
  options: RunnerOptions | undefined,
  logger: Logger,
): Promise<OwnSandboxes> {
  const slots = options?.slots ?? config.runner.slots;
  const selected =
    slots > 0
      ? options?.driver
        ? { driver: options.driver, refusal: null }
        : await sandboxDriver(config, logger)
      : undefined;
  const driver = selected?.driver;
  const sandboxUrl =
    config.sandbox.url ??
    `http://${driver?.kind === 'docker' ? 'host.docker.internal' : '127.0.0.1'}:${config.port}`;
  const agentCache =
    driver && config.agent.cli.length > 0
      ? await installCliAgents({
          cacheDir: config.agent.cacheDir,
          agents: config.agent.cli.map((name) => CLI_AGENTS[name]!),
          log: (message) => logger.info(message),
        })
      : undefined;
  return { slots, driver, refusal: selected?.refusal ?? null, sandboxUrl, agentCache };
}

/** The server's own runner, on the database's runner backend; none without a driver. */
function ownRunner({
  config,
  options,
  database,
  sandboxes,
  runnerId,
  runs,
  live,
  logger,
  gitRoot,
  metrics,
  tracing,
}: {
  config: Config;
  options: RunnerOptions | undefined;
  database: Database;
  sandboxes: OwnSandboxes;
  runnerId: string;
  runs: { leaseMs: number; maxRuntimeMs: number };
  live: LiveHub;
  logger: Logger;
  gitRoot: string;
  metrics: Metrics;
  tracing: Tracing;
}): Runner | undefined {
  const { driver, agentCache, slots, sandboxUrl } = sandboxes;
  if (!driver) return undefined;
  return new Runner({
    backend: new DbRunnerBackend({
      db: database.db,
      runnerId,
      leaseMs: runs.leaseMs,
      maxRuntimeMs: runs.maxRuntimeMs,
      sandboxUrl,
      gatewayUrl: `${ownUrl(config.host, config.port)}/llm`,
      agentMaxSteps: config.agent.maxSteps,
      agentContext: {
        contextWindow: config.agent.contextWindow,
        smallModel: config.llm.smallModel,
        planModel: config.llm.planModel,
      },
      quotas: config.workspaceQuotas,
      live,
      gitRoot,
      tracing,
    }),
    driver,
    runnerId,
    sandbox: {
      limits: config.sandbox.limits,
      network: config.sandbox.network,
      ...(agentCache
        ? { readOnlyMounts: [{ source: agentCache, target: SANDBOX_AGENTS_DIR }] }
        : {}),
    },
    slots,
    idleMs: options?.idleMs ?? config.sandbox.idleMs,
    warmPool: options?.warmPool ?? config.sandbox.warmPool,
    pollMs: options?.pollMs ?? 1_000,
    log: logger,
    metrics,
    tracing,
    agent: lucidAgentRuntime({
      secrets: providerSecrets(config.llm),
      cliAgents: config.agent.cli,
      gatewayFetch: inProcessGatewayFetch(
        {
          db: database.db,
          llm: config.llm,
          encryptionKey: config.encryptionKey,
          budgets: config.budgets,
          quotas: config.workspaceQuotas,
          log: logger,
          metrics,
        },
        `${ownUrl(config.host, config.port)}/llm`,
      ),
    }),
  });
}

/** Registers the server's own runner under its kept id and starts it polling. */
async function startOwnRunner(
  runner: Runner,
  { database, runnerId, slots }: { database: Database; runnerId: string; slots: number },
): Promise<void> {
  await registerInProcessRunner(database.db, {
    id: runnerId,
    name: `${hostname()} (server)`,
    capacity: slots,
  });
  runner.start();
}

/**
 * The ways sandboxes reach the git endpoint and the LLM gateway: a listener on the engine's bridge
 * for Docker sandboxes on a bridge network, a Unix socket for a driver that takes one.
 */
async function openSandboxPaths({
  app,
  config,
  driver,
  gate,
  port,
  sandboxUrl,
  logger,
}: {
  app: FastifyInstance;
  config: Config;
  driver: SandboxDriver | undefined;
  gate: SandboxGate;
  port: number;
  sandboxUrl: string;
  logger: Logger;
}): Promise<{ close(): Promise<void> }> {
  const access =
    driver instanceof DockerDriver && config.sandbox.network === 'bridge'
      ? await openSandboxAccess({
          app,
          driver,
          gate,
          port: hostPortOf(config.sandbox.url) ?? port,
          listen: !config.sandbox.url && !isWildcard(config.host),
          log: logger,
        })
      : null;
  const socket = driver?.reachLucid
    ? await socketForSandboxes(app, gate, (endpoint) => driver.reachLucid?.(endpoint), sandboxUrl)
    : null;
  return {
    close: async () => {
      await access?.close();
      await socket?.close();
    },
  };
}

/**
 * This server's metrics, reading at scrape time its queues and (on PostgreSQL) its pool, and
 * counting the calls to forges and Notion made with its settings.
 */
function serverMetrics(config: Config, database: Database): Metrics {
  const metrics = new Metrics();
  metrics.readFrom({
    queueDepth: async () => {
      const [runs, jobs] = await Promise.all([
        queuedRunCount(database.db),
        queuedJobCount(database.db),
      ]);
      return { runs, jobs };
    },
    runnersOnline: () => onlineRunnerCount(database.db),
    ...(database.pool ? { pool: database.pool } : {}),
  });
  countSafetyBlocksOn(database.db, metrics);
  countCallsWith(config.forges, metrics);
  countCallsWith(config.notion, metrics);
  return metrics;
}

/**
 * Starts Lucid and resolves once it listens.
 *
 * @example
 * const server = await startServer({ config: loadConfig(process.env) });
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config);
  const { gitRoot } = await prepareHost(config, logger);
  const database = options.database ?? (await openConfiguredDatabase(config));
  const auth = await authFor(database, config, logger, options.authRateLimit ?? true);
  const runs = {
    leaseMs: options.runner?.leaseMs ?? config.runner.leaseMs,
    maxRuntimeMs: options.runner?.maxRuntimeMs ?? config.runner.maxRuntimeMs,
  };
  const sandboxes = await ownSandboxes(config, options.runner, logger);
  const runnerId = inProcessRunnerId(config.dataDir);
  const live = new LiveHub(database, {
    onError: (error) =>
      logger.error({ err: error }, 'the live stream failed to read new events or send drafts'),
  });
  const metrics = serverMetrics(config, database);
  const tracing = startTracing(config.tracing);
  const publishing = {
    db: database.db,
    encryptionKey: config.encryptionKey,
    forges: config.forges,
    gitRoot,
    publicUrl: config.publicUrl,
    llm: config.llm,
  };
  const lifecycle = wireLifecycle({
    database,
    publishing,
    notion: config.notion,
    vercel: config.vercel,
    jobs: options.jobs,
    logger,
    metrics,
    tracing,
  });
  const runner = ownRunner({
    config,
    options: options.runner,
    database,
    sandboxes,
    runnerId,
    runs,
    live,
    logger,
    gitRoot,
    metrics,
    tracing,
  });
  if (runner) metrics.readFrom({ sandboxes: () => runner.sandboxCounts() });

  await live.start();
  const sandboxGate = new SandboxGate();
  const app = await buildApp({
    config,
    database,
    auth,
    logger,
    gitRoot,
    webRoot: options.webRoot,
    runner,
    runnerId: runner ? runnerId : undefined,
    sandboxes: sandboxes.driver,
    runs,
    live,
    mergeUpstream: mergeThroughForge(publishing),
    retryRejectedPush: (input) => retryAfterRejectedPush(publishing, input),
    sandboxGate,
    queuedRuns: lifecycle.queuedRuns,
    metrics,
    tracing,
    engine: runner && sandboxes.driver instanceof DockerDriver ? sandboxes.driver : undefined,
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const sandboxPaths = await openSandboxPaths({
    app,
    config,
    driver: sandboxes.driver,
    gate: sandboxGate,
    port,
    sandboxUrl: sandboxes.sandboxUrl,
    logger,
  });
  if (runner) {
    await startOwnRunner(runner, { database, runnerId, slots: sandboxes.slots });
    lifecycle.wakeOnQueued(runner);
  }
  await lifecycle.start(runs.leaseMs);
  const createTask = taskCreation({ config, database, gitRoot });
  const notionPickup = new NotionPickup({
    ctx: {
      db: database.db,
      encryptionKey: config.encryptionKey,
      notion: config.notion,
      publicUrl: config.publicUrl,
    },
    create: createTask,
    intervalMs: config.notion.pickupIntervalMs,
    log: (error, message) => logger.error({ err: error }, message),
  });
  notionPickup.start();
  const banner = startBanner({
    config,
    port,
    database: database.kind,
    slots: runner ? sandboxes.slots : 0,
    driver: sandboxes.driver ?? null,
    refusal: sandboxes.refusal,
  });
  logger.info({ banner: banner.fields }, banner.lines.join('\n  '));
  return {
    app,
    database,
    runner,
    live,
    queuedRuns: lifecycle.queuedRuns,
    events: lifecycle.events,
    notionPickup,
    metrics,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    close: async ({ graceMs = 0 } = {}) => {
      lifecycle.stopRecovery();
      await notionPickup.stop();
      await runner?.stop({ graceMs });
      await sandboxPaths.close();
      await app.close();
      await lifecycle.stop();
      await live.stop();
      await database.close();
      await tracing.shutdown();
    },
  };
}
