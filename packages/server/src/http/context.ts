/**
 * @module http/context
 * What the HTTP layer is given by the composition root, and the request decorations it adds.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { Auth } from '../auth/auth.ts';
import type { RepoContext } from '../repos/repos.ts';
import type { MirrorContext } from '../forges/mirror.ts';
import type { NotionContext } from '../notion/connections.ts';
import type { VercelContext } from '../vercel/connections.ts';
import type { Principal } from '../principal.ts';
import type { Runner } from '../runner/runner.ts';
import type { SandboxLookup } from '../tasks/workspace-view.ts';
import type { LiveHub } from '../tasks/live.ts';
import type { MergeUpstream, RetryRejectedPush } from '../tasks/review-context.ts';
import type { PublishContext } from '../forges/upstream.ts';
import type { QueuedRuns } from '../control/queued-runs.ts';
import { cliAgentProviders } from '../agent/cli/index.ts';
import { syncMirror } from '../forges/mirror.ts';
import { createTask, type CreateTaskInput } from '../tasks/tasks.ts';
import type { SandboxGate } from './sandbox-listener.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { Tracing } from '../tracing/tracing.ts';

export interface AppDeps {
  config: Config;
  database: Database;
  auth: Auth;
  logger: FastifyBaseLogger;
  /** The folder holding the bare repos of the git server. */
  gitRoot: string;
  /** The built web app to serve, if any. */
  webRoot?: string | undefined;
  /** The server's own runner, when it runs one. */
  runner?: Runner | undefined;
  runnerId?: string | undefined;
  /** Sandboxes this server reaches (its own runner's driver): live workspace views read them. */
  sandboxes?: SandboxLookup | undefined;
  runs: { leaseMs: number; maxRuntimeMs: number };
  /** Publishes tasks' events and drafts to their live streams. */
  live: LiveHub;
  /** Approves tasks of repositories with an upstream on their forge; absent, they are refused. */
  mergeUpstream?: MergeUpstream | undefined;
  /** Retries a task whose push to its forge was refused (`POST /tasks/{id}/retry`). */
  retryRejectedPush?: RetryRejectedPush | undefined;
  /** Wakes remote runners' claims held open for a run (long poll) when a run is queued. */
  queuedRuns?: QueuedRuns | undefined;
  /** Keeps requests arriving on the sandbox network to `/git/` and `/llm/`. */
  sandboxGate?: SandboxGate | undefined;
  /** The server's metrics (`GET /metrics`), which the app records HTTP answers and streams into. */
  metrics: Metrics;
  /** The server's tracing: a run a remote runner claims gets its trace (absent: off). */
  tracing?: Tracing | undefined;
  /** The Docker engine this server's own runner makes sandboxes on, checked by `/readyz`. */
  engine?: { ping(): Promise<unknown> } | undefined;
}

/** What publishing to forges needs (pushing upstream, opening requests, webhooks). */
export function publishContext(deps: AppDeps): PublishContext {
  return {
    db: deps.database.db,
    encryptionKey: deps.config.encryptionKey,
    forges: deps.config.forges,
    gitRoot: deps.gitRoot,
    publicUrl: deps.config.publicUrl,
    llm: deps.config.llm,
  };
}

export function repoContext(deps: AppDeps): RepoContext {
  return { db: deps.database.db, gitRoot: deps.gitRoot, publicUrl: deps.config.publicUrl };
}

/** Forge connections and mirrors: the sealing key, the forges' settings, the bare repos. */
export function forgeContext(deps: AppDeps): MirrorContext {
  return {
    db: deps.database.db,
    encryptionKey: deps.config.encryptionKey,
    forges: deps.config.forges,
    gitRoot: deps.gitRoot,
  };
}

/** Notion: the sealing key, Notion's settings and the public URL (for OAuth's callback). */
export function notionContext(deps: AppDeps): NotionContext {
  return {
    db: deps.database.db,
    encryptionKey: deps.config.encryptionKey,
    notion: deps.config.notion,
    publicUrl: deps.config.publicUrl,
  };
}

/** Creates a task as `actor`, as any route does; `within` stores what belongs to it with it. */
export type TaskCreation = (
  actor: Principal,
  input: CreateTaskInput,
  within?: Parameters<typeof createTask>[1]['within'],
) => ReturnType<typeof createTask>;

/**
 * How tasks are created with the server's settings: its model providers and CLI agents, its
 * quotas, the upstream synced first with the creator's forge credential. Routes and the Notion
 * pickup share it.
 *
 * @example
 * const { task } = await taskCreation(deps)(actor, { repoId, prompt });
 */
export function taskCreation(deps: Pick<AppDeps, 'config' | 'database' | 'gitRoot'>): TaskCreation {
  const { db } = deps.database;
  const repos = { db, gitRoot: deps.gitRoot, publicUrl: deps.config.publicUrl };
  const forges = {
    db,
    encryptionKey: deps.config.encryptionKey,
    forges: deps.config.forges,
    gitRoot: deps.gitRoot,
  };
  return (actor, input, within) =>
    createTask(repos, {
      actor,
      input,
      providers: { db, llm: deps.config.llm, encryptionKey: deps.config.encryptionKey },
      agents: cliAgentProviders(deps.config.agent.cli),
      syncUpstream: (repoId, userId) => syncMirror(forges, repoId, { userId }),
      quotas: deps.config.workspaceQuotas,
      within,
    });
}

/** Vercel: the sealing key and Vercel's settings. */
export function vercelContext(deps: AppDeps): VercelContext {
  return {
    db: deps.database.db,
    encryptionKey: deps.config.encryptionKey,
    vercel: deps.config.vercel,
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on every non-public API route. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Marks a route that answers without authentication. */
    public?: boolean;
  }
}
