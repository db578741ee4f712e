/**
 * @module http/routes/evals
 * Evals: start a suite on an agent and model, list evals, read one's results, cancel one.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CreateEval, EvalDetail, EvalList, EvalListQuery, IdParams } from '@lucid/contracts';
import { cliAgentProviders } from '../../agent/cli/index.ts';
import { cancelEval, createEval, getEval, listEvals } from '../../evals/evals.ts';
import { principalOf } from '../authenticate.ts';
import { repoContext, type AppDeps } from '../context.ts';

export const evalRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.database;
    const tags = ['evals'];

    app.post(
      '/evals',
      {
        schema: {
          tags,
          summary:
            "Run a suite's cases as eval tasks with one agent and model, each case attempts times, concurrency at once (members)",
          body: CreateEval,
          response: { 201: EvalDetail },
        },
      },
      async (request, reply) => {
        const started = await createEval(repoContext(deps), {
          actor: principalOf(request),
          input: request.body,
          providers: { db, llm: deps.config.llm, encryptionKey: deps.config.encryptionKey },
          agents: cliAgentProviders(deps.config.agent.cli),
          quotas: deps.config.workspaceQuotas,
        });
        return reply.status(201).send(started);
      },
    );

    app.get(
      '/evals',
      {
        schema: {
          tags,
          summary: "The evals of the caller's workspaces, newest first, with their figures",
          querystring: EvalListQuery,
          response: { 200: EvalList },
        },
      },
      async (request) => ({
        evals: await listEvals(db, {
          userId: principalOf(request).userId,
          workspaceId: request.query.workspaceId,
        }),
      }),
    );

    app.get(
      '/evals/:id',
      {
        schema: {
          tags,
          summary:
            "An eval's results, attempt by attempt: success, time, steps, tokens, dollars, diff",
          params: IdParams,
          response: { 200: EvalDetail },
        },
      },
      async (request) =>
        getEval(db, { userId: principalOf(request).userId, evalId: request.params.id }),
    );

    app.post(
      '/evals/:id/cancel',
      {
        schema: {
          tags,
          summary: 'Cancel an eval: its pending attempts never start, those under way are stopped',
          params: IdParams,
          response: { 200: EvalDetail },
        },
      },
      async (request) => cancelEval(db, { actor: principalOf(request), evalId: request.params.id }),
    );
  };
