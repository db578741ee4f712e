/**
 * @module http/routes/runner-api
 * The API a runner on another host speaks (`lucid runner`), authenticated by its runner token:
 * claim runs, renew leases, send events and answers' text as it streams, report outcomes, and look
 * after the sandboxes it made (which tasks still use them, snapshots of reaped ones) and those of
 * runners gone. Each call acts only on the runs the caller holds (another's is not found, and
 * left untouched) and on sandboxes it put on tasks.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  AppendEventsBody,
  AttachSandboxBody,
  ClaimBody,
  ClaimedRun,
  FinishRunBody,
  GoneRunnersAnswer,
  IdParams,
  InboxAnswer,
  InboxBody,
  LeaseAnswer,
  RecordSnapshotBody,
  RunMemoryBody,
  RunnerHeartbeatAnswer,
  RunDraftBody,
  RunnerHeartbeatBody,
  RunnerIdsBody,
  SandboxIdsBody,
  SandboxTasksAnswer,
  SnapshotGrantAnswer,
  SnapshotGrantBody,
} from '@lucid/contracts';
import { verifyRunnerToken } from '../../control/runners.ts';
import { DbRunnerBackend } from '../../control/runner-backend.ts';
import { AppError } from '../../errors.ts';
import { presentedToken } from '../authenticate.ts';
import type { AppDeps } from '../context.ts';

/** How often a waiting claim looks again for a run (queued by another server, which does not wake this one). */
const RECHECK_MS = 5_000;

export const runnerApiRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.database;

    /** The backend of the runner each request authenticated as, before its body is read. */
    const backends = new WeakMap<FastifyRequest, DbRunnerBackend>();
    app.addHook('preValidation', async (request) => {
      backends.set(request, await authenticate(request));
    });

    async function backendFor(request: FastifyRequest): Promise<DbRunnerBackend> {
      const backend = backends.get(request);
      if (!backend)
        throw new AppError('invalid_credentials', 'The runner token is not valid or was removed.');
      return backend;
    }

    async function authenticate(request: FastifyRequest): Promise<DbRunnerBackend> {
      const token = presentedToken(request);
      const runner = token ? await verifyRunnerToken(db, token) : null;
      if (!runner)
        throw new AppError('invalid_credentials', 'The runner token is not valid or was removed.');
      return new DbRunnerBackend({
        db,
        runnerId: runner.runnerId,
        onlyWorkspacesOf: runner.onlyWorkspacesOf,
        quotas: deps.config.workspaceQuotas,
        leaseMs: deps.runs.leaseMs,
        maxRuntimeMs: deps.runs.maxRuntimeMs,
        sandboxUrl: deps.config.publicUrl,
        gatewayUrl: `${deps.config.publicUrl}/llm`,
        agentMaxSteps: deps.config.agent.maxSteps,
        agentContext: {
          contextWindow: deps.config.agent.contextWindow,
          smallModel: deps.config.llm.smallModel,
          planModel: deps.config.llm.planModel,
        },
        live: deps.live,
        gitRoot: deps.gitRoot,
        tracing: deps.tracing,
      });
    }

    /**
     * Claims a run, or waits for one to be queued (woken by `run.queued`, looking again every few
     * seconds for runs queued by another server) until `waitMs` has passed or the runner hangs up:
     * a run is never claimed for a request no one reads any more.
     */
    async function claimOrWait(
      backend: DbRunnerBackend,
      waitMs: number,
      response: NodeJS.EventEmitter & { writableFinished: boolean },
    ): Promise<ClaimedRun | null> {
      const queued = deps.queuedRuns;
      const gone = new AbortController();
      const hangUp = () => {
        if (!response.writableFinished) gone.abort();
      };
      response.once('close', hangUp);
      try {
        const received = performance.now();
        const deadline = received + (queued ? waitMs : 0);
        for (;;) {
          const left = deadline - performance.now();
          const next = left > 0 ? queued?.next(Math.min(left, RECHECK_MS), gone.signal) : undefined;
          // Measured before the claim sets the lease: the runner dates its lease from when it asked
          // plus this, never later than Lucid's.
          const waitedMs = Math.floor(performance.now() - received);
          const claim = await backend.claim();
          if (claim) return { ...claim, waitedMs };
          if (!next) return null;
          await next;
          if (gone.signal.aborted || queued?.closed) return null;
        }
      } finally {
        response.off('close', hangUp);
      }
    }

    // A claim held open must not keep the server from closing.
    app.addHook('preClose', async () => deps.queuedRuns?.close());

    // Runners poll and stream all day; their token is theirs alone, so no per-user limit applies.
    const config = { public: true, rateLimit: false } as const;
    const tags = ['runner API'];

    app.post(
      '/runner/heartbeat',
      {
        config,
        schema: {
          tags,
          summary: 'The runner is alive; answers its id',
          body: RunnerHeartbeatBody,
          response: { 200: RunnerHeartbeatAnswer },
        },
      },
      async (request) => (await backendFor(request)).heartbeat(request.body.capacity),
    );

    app.post(
      '/runner/sandboxes/tasks',
      {
        config,
        schema: {
          tags,
          summary: "Which of the runner's sandboxes a task still uses",
          body: SandboxIdsBody,
          response: { 200: SandboxTasksAnswer },
        },
      },
      async (request) => ({
        tasks: await (await backendFor(request)).sandboxTasks(request.body.sandboxIds),
      }),
    );

    app.post(
      '/runner/runners/gone',
      {
        config,
        schema: {
          tags,
          summary:
            'Which runners are gone (removed, or offline for a day, holding no run): the sandboxes they left may be removed',
          body: RunnerIdsBody,
          response: { 200: GoneRunnersAnswer },
        },
      },
      async (request) => ({
        gone: await (await backendFor(request)).goneRunners(request.body.runnerIds),
      }),
    );

    app.post(
      '/runner/tasks/:id/snapshot-grant',
      {
        config,
        schema: {
          tags,
          summary: "A token to push the snapshot of a task's idle sandbox",
          params: IdParams,
          body: SnapshotGrantBody,
          response: { 200: SnapshotGrantAnswer },
        },
      },
      async (request) => ({
        grant: await (
          await backendFor(request)
        ).snapshotGrant(request.params.id, request.body.sandboxId),
      }),
    );

    app.post(
      '/runner/tasks/:id/snapshot',
      {
        config,
        schema: {
          tags,
          summary: "Record the snapshot of a task's reaped sandbox",
          params: IdParams,
          body: RecordSnapshotBody,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        const { sandboxId, sha } = request.body;
        await (await backendFor(request)).recordSnapshot(request.params.id, sandboxId, sha);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/runner/claim',
      {
        config,
        schema: {
          tags,
          summary:
            'Claim the oldest queued run; with `waitMs`, wait up to that long for one to be queued (204 when none)',
          body: ClaimBody.nullish(),
          response: { 200: ClaimedRun, 204: z.null() },
        },
      },
      async (request, reply) => {
        const backend = await backendFor(request);
        const claim = await claimOrWait(backend, request.body?.waitMs ?? 0, reply.raw);
        return claim ? claim : reply.status(204).send(null);
      },
    );

    app.post(
      '/runner/runs/:id/lease',
      {
        config,
        schema: {
          tags,
          summary: "Renew a run's lease",
          params: IdParams,
          response: { 200: LeaseAnswer },
        },
      },
      async (request) => (await backendFor(request)).renew(request.params.id),
    );

    app.post(
      '/runner/runs/:id/events',
      {
        config,
        schema: {
          tags,
          summary: "Append to a run's events",
          params: IdParams,
          body: AppendEventsBody,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await (
          await backendFor(request)
        ).append(request.params.id, request.body.events, {
          retried: request.body.retried ?? false,
        });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/runner/runs/:id/inbox',
      {
        config,
        schema: {
          tags,
          summary: "The user's follow-ups to a run's task after sequence number `after`",
          params: IdParams,
          body: InboxBody,
          response: { 200: InboxAnswer },
        },
      },
      async (request) => ({
        messages: await (await backendFor(request)).inbox(request.params.id, request.body.after),
      }),
    );

    app.post(
      '/runner/runs/:id/draft',
      {
        config,
        schema: {
          tags,
          summary: "A piece of the answer a run's agent is writing (published live, not stored)",
          params: IdParams,
          body: RunDraftBody,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        const { offset, text } = request.body;
        await (await backendFor(request)).draft(request.params.id, offset, text);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/runner/runs/:id/memory',
      {
        config,
        schema: {
          tags,
          summary:
            "Keep a step of a run's built-in agent (as its model saw it) or a CLI agent's session id, for later runs on the task",
          params: IdParams,
          body: RunMemoryBody,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await (await backendFor(request)).remember(request.params.id, request.body);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/runner/runs/:id/sandbox',
      {
        config,
        schema: {
          tags,
          summary: "Record a run's sandbox",
          params: IdParams,
          body: AttachSandboxBody,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await (await backendFor(request)).attachSandbox(request.params.id, request.body.sandboxId);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/runner/runs/:id/hand-back',
      {
        config,
        schema: {
          tags,
          summary: 'Hand a run back unfinished',
          description:
            'A runner shutting down gives up a run it holds: the run is interrupted and queued ' +
            'again at once for another runner, as when its lease expires. `handedBack` is false ' +
            'when the run had already ended or been taken back.',
          params: IdParams,
          response: { 200: z.object({ handedBack: z.boolean() }) },
        },
      },
      async (request) => ({
        handedBack: await (await backendFor(request)).handBack(request.params.id),
      }),
    );

    app.post(
      '/runner/runs/:id/finish',
      {
        config,
        schema: {
          tags,
          summary: "Report a run's outcome",
          params: IdParams,
          body: FinishRunBody,
          response: { 200: z.object({ accepted: z.boolean() }) },
        },
      },
      async (request) => ({
        accepted: await (await backendFor(request)).finish(request.params.id, request.body),
      }),
    );
  };
