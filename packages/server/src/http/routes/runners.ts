/**
 * @module http/routes/runners
 * The runners list, scaling the server's own runner, and tokens for runners on other hosts.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CreateRunnerTokenBody,
  CreatedRunnerToken,
  IdParams,
  RunnerList,
  ScaleRunnerBody,
} from '@lucid/contracts';
import { createRunnerToken, deleteRunner, listRunners, runnerPool } from '../../control/runners.ts';
import { recordAudit } from '../../audit/audit.ts';
import { isInstanceAdmin, requireInstanceAdmin } from '../../auth/instance-admin.ts';
import { AppError } from '../../errors.ts';
import { principalOf } from '../authenticate.ts';
import type { AppDeps } from '../context.ts';

export const runnerRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.database;
    const tags = ['runners'];
    const runnerList = async (userId: string) => {
      const viewer = { userId, admin: await isInstanceAdmin(db, userId) };
      const runners = await listRunners(db, viewer);
      const warmSandboxes = deps.runner?.pooledSandboxes.size ?? 0;
      return { runners, pool: await runnerPool(db, { runners, warmSandboxes, viewer }) };
    };

    app.get(
      '/runners',
      {
        schema: {
          tags,
          summary:
            "Runners with their status and current runs, and the pool: slots, busy, queued runs, warm sandboxes. An instance admin sees every runner and run; anyone else the server's own runners, the runners they added and those running their workspaces' tasks, with their workspaces' runs only",
          response: { 200: RunnerList },
        },
      },
      async (request) => runnerList(principalOf(request).userId),
    );

    app.post(
      '/runners/scale',
      {
        schema: {
          tags,
          summary: "Set how many runs at once the server's own runner takes (instance admins)",
          body: ScaleRunnerBody,
          response: { 200: RunnerList },
        },
      },
      async (request) => {
        const actor = principalOf(request);
        await requireInstanceAdmin(db, actor.userId, 'scale the server runner');
        if (!deps.runner) {
          throw new AppError(
            'conflict',
            'This server runs no runner of its own (LUCID_RUNNER_SLOTS=0).',
          );
        }
        deps.runner.scale(request.body.slots);
        await recordAudit(db, {
          actor,
          action: 'runner.scale',
          targetType: 'runner',
          targetId: deps.runnerId ?? null,
          metadata: { slots: request.body.slots },
        });
        return runnerList(actor.userId);
      },
    );

    app.post(
      '/runners/tokens',
      {
        schema: {
          tags,
          summary:
            'A token for `lucid runner` on another host; it runs the tasks of the workspaces you administer (every task when you are an instance admin)',
          body: CreateRunnerTokenBody,
          response: { 201: CreatedRunnerToken },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(
            await createRunnerToken(db, { actor: principalOf(request), name: request.body.name }),
          ),
    );

    app.delete(
      '/runners/:id',
      {
        schema: {
          tags,
          summary: 'Remove a remote runner; its token stops working',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        const actor = principalOf(request);
        await requireInstanceAdmin(db, actor.userId, 'remove runners');
        await deleteRunner(db, { actor, runnerId: request.params.id });
        return reply.status(204).send(null);
      },
    );
  };
