/**
 * @module server
 * The composition root: opens the database, builds auth, the live hub and the HTTP app, and listens.
 * Wires the domain events to what follows them, once: a queued run wakes the server's runner, a
 * succeeded run stores the job publishing it, a stored job wakes the job worker.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { startBanner } from './banner.ts';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { quietAuthAsyncContext } from './auth/async-context.ts';
import { createAuth } from './auth/auth.ts';
import { buildApp } from './http/app.ts';
import { startSpawnHost } from './process/spawn.ts';
import { newId } from './ids.ts';
import type { LucidEndpoint, SandboxDriver } from './sandbox/driver.ts';
import { DbRunnerBackend } from './tasks/runner-backend.ts';
import { registerInProcessRunner } from './tasks/runners.ts';
import { Runner } from './runner/runner.ts';
import { lucidAgentRuntime } from './agent/runtime.ts';
import { inProcessGatewayFetch } from './gateway/gateway-fetch.ts';
import { SANDBOX_AGENTS_DIR } from './agent/cli/cli-agent.ts';
import { CLI_AGENTS } from './agent/cli/index.ts';
import { installCliAgents } from './agent/cli/install.ts';
import { providerSecrets } from './llm/models.ts';
import { recoverExpiredLeases } from './tasks/queue.ts';
import { LiveHub } from './tasks/live.ts';
import { DomainEvents, deliverDomainEvents } from './tasks/domain-events.ts';
import { JobWorker } from './jobs/worker.ts';
import { QueuedRuns } from './tasks/queued-runs.ts';
import {
  enqueuePublish,
  mergeThroughForge,
  PUBLISH_JOB,
  publishJob,
  retryAfterRejectedPush,
} from './forges/publish.ts';
import { selectDriver } from './sandbox/select-driver.ts';
import { DockerDriver } from './sandbox/docker/docker-driver.ts';
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

export interface JobOptions {
  pollMs?: number;
  lockMs?: number;
  /** The delay before a failed job's second attempt, doubling after. */
  retryBaseMs?: number;
}

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
  close(): Promise<void>;
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
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>): Logger {
  const pretty =
    config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY);
  return pino({
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
  });
}

/** This server as its own runner reaches it: the listening address, loopback for a wildcard. */
function ownUrl(host: string, port: number): string {
  const address = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
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
  const database =
    options.database ??
    (await openDatabase(
      config.databaseUrl
        ? { url: config.databaseUrl }
        : { pgliteDir: path.join(config.dataDir, 'db') },
    ));
  await quietAuthAsyncContext();
  const auth = createAuth({
    db: database.db,
    config,
    logger: {
      error: (message) => logger.error(message),
      warn: (message) => logger.warn(message),
      info: (message) => logger.info(message),
      debug: (message) => logger.debug(message),
    },
    rateLimit: options.authRateLimit ?? true,
  });
  const leaseMs = options.runner?.leaseMs ?? config.runner.leaseMs;
  const maxRuntimeMs = options.runner?.maxRuntimeMs ?? config.runner.maxRuntimeMs;
  const slots = options.runner?.slots ?? config.runner.slots;
  const selected =
    slots > 0
      ? options.runner?.driver
        ? { driver: options.runner.driver, refusal: null }
        : await sandboxDriver(config, logger)
      : undefined;
  const driver = selected?.driver;
  const sandboxUrl =
    config.sandbox.url ??
    `http://${driver?.kind === 'docker' ? 'host.docker.internal' : '127.0.0.1'}:${config.port}`;
  const runnerId = inProcessRunnerId(config.dataDir);
  const agentCache =
    driver && config.agent.cli.length > 0
      ? await installCliAgents({
          cacheDir: config.agent.cacheDir,
          agents: config.agent.cli.map((name) => CLI_AGENTS[name]!),
          log: (message) => logger.info(message),
        })
      : undefined;
  const live = new LiveHub(database, {
    onError: (error) =>
      logger.error({ err: error }, 'the live stream failed to read new events or send drafts'),
  });
  const publishing = {
    db: database.db,
    encryptionKey: config.encryptionKey,
    forges: config.forges,
    gitRoot,
    publicUrl: config.publicUrl,
  };
  const domainEvents = new DomainEvents((error, event) =>
    logger.error({ err: error, event }, `a subscriber of ${event.type} failed`),
  );
  const stopDelivering = deliverDomainEvents(database.db, domainEvents);
  const jobWorker = new JobWorker({
    db: database.db,
    handlers: { [PUBLISH_JOB]: publishJob(publishing) },
    ...options.jobs,
    releaseClaimsAtStart: database.kind === 'pglite',
    log: (error, message) => logger.error({ err: error }, message),
  });
  domainEvents.on('job.queued', () => jobWorker.wake());
  const queuedRuns = new QueuedRuns();
  domainEvents.on('run.queued', () => queuedRuns.notify());
  domainEvents.within('run.succeeded', (run, tx) => enqueuePublish(tx, run));
  const runner = driver
    ? new Runner({
        backend: new DbRunnerBackend({
          db: database.db,
          runnerId,
          leaseMs,
          maxRuntimeMs,
          sandboxUrl,
          gatewayUrl: `${ownUrl(config.host, config.port)}/llm`,
          agentMaxSteps: config.agent.maxSteps,
          live,
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
        idleMs: options.runner?.idleMs ?? config.sandbox.idleMs,
        warmPool: options.runner?.warmPool ?? config.sandbox.warmPool,
        pollMs: options.runner?.pollMs ?? 1_000,
        log: logger,
        agent: lucidAgentRuntime({
          secrets: providerSecrets(config.llm),
          cliAgents: config.agent.cli,
          gatewayFetch: inProcessGatewayFetch(
            {
              db: database.db,
              llm: config.llm,
              encryptionKey: config.encryptionKey,
              budgets: config.budgets,
              log: logger,
            },
            `${ownUrl(config.host, config.port)}/llm`,
          ),
        }),
      })
    : undefined;

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
    sandboxes: driver,
    runs: { leaseMs, maxRuntimeMs },
    live,
    mergeUpstream: mergeThroughForge(publishing),
    retryRejectedPush: (input) => retryAfterRejectedPush(publishing, input),
    sandboxGate,
    queuedRuns,
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  const sandboxAccess =
    driver instanceof DockerDriver && config.sandbox.network === 'bridge'
      ? await openSandboxAccess({
          app,
          driver,
          gate: sandboxGate,
          port: hostPortOf(config.sandbox.url) ?? port,
          listen: !config.sandbox.url && !isWildcard(config.host),
          log: logger,
        })
      : null;
  const sandboxSocket = driver?.reachLucid
    ? await socketForSandboxes(
        app,
        sandboxGate,
        (endpoint) => driver.reachLucid?.(endpoint),
        sandboxUrl,
      )
    : null;
  if (runner) {
    await registerInProcessRunner(database.db, {
      id: runnerId,
      name: `${hostname()} (server)`,
      capacity: slots,
    });
    runner.start();
    domainEvents.on('run.queued', () => runner.wake());
  }
  await jobWorker.start();
  const recovery = setInterval(
    () => {
      recoverExpiredLeases(database.db).then(
        (recovered) => {
          if (recovered.length > 0) {
            logger.warn({ runs: recovered.map((r) => r.id) }, 'recovered runs whose lease expired');
          }
        },
        (error: unknown) => logger.error({ err: error }, 'lease recovery failed'),
      );
    },
    Math.max(100, Math.floor(leaseMs / 2)),
  );
  const banner = startBanner({
    config,
    port,
    database: database.kind,
    slots: runner ? slots : 0,
    driver: driver ?? null,
    refusal: selected?.refusal ?? null,
  });
  logger.info({ banner: banner.fields }, banner.lines.join('\n  '));
  return {
    app,
    database,
    runner,
    live,
    queuedRuns,
    events: domainEvents,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    close: async () => {
      clearInterval(recovery);
      await runner?.stop();
      await sandboxAccess?.close();
      await sandboxSocket?.close();
      await app.close();
      await jobWorker.stop();
      stopDelivering();
      await live.stop();
      await database.close();
    },
  };
}
