/**
 * @module http/routes/tasks
 * Tasks with their runs and events: create, queue another run, cancel a run.
 */
import { cliAgentProviders } from '../../agent/cli/index.ts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  CreateTaskBody,
  CreatedTask,
  EventsQuery,
  IdParams,
  QueueRunBody,
  Run,
  RunList,
  Task,
  TaskEvent,
} from '@lucid/contracts';
import { z } from 'zod';
import { cancelRun, createTask, listRuns, loadTask, queueRun } from '../../tasks/tasks.ts';
import { listEvents } from '../../tasks/events.ts';
import { principalOf } from '../authenticate.ts';
import { repoContext, type AppDeps } from '../context.ts';
import { toRun, toTask } from '../views.ts';

export const taskRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const ctx = repoContext(deps);
    const { db } = deps.database;
    const tags = ['tasks'];

    app.post(
      '/tasks',
      {
        schema: {
          tags,
          summary: 'Create a task on a repository, and start its first run unless start is false',
          body: CreateTaskBody,
          response: { 201: CreatedTask },
        },
      },
      async (request, reply) => {
        const { task, run } = await createTask(ctx, {
          actor: principalOf(request),
          input: request.body,
          providers: {
            db,
            llm: deps.config.llm,
            encryptionKey: deps.config.encryptionKey,
          },
          agents: cliAgentProviders(deps.config.agent.cli),
        });
        if (run) deps.runner?.wake();
        return reply.status(201).send({ task: toTask(task), run: run ? toRun(run) : null });
      },
    );

    app.get(
      '/tasks/:id',
      { schema: { tags, summary: 'Get a task', params: IdParams, response: { 200: Task } } },
      async (request) => toTask(await loadTask(db, principalOf(request).userId, request.params.id)),
    );

    app.get(
      '/tasks/:id/runs',
      {
        schema: {
          tags,
          summary: "A task's runs, newest first",
          params: IdParams,
          response: { 200: RunList },
        },
      },
      async (request) => {
        const task = await loadTask(db, principalOf(request).userId, request.params.id);
        return { runs: (await listRuns(db, task.id)).map(toRun) };
      },
    );

    app.post(
      '/tasks/:id/runs',
      {
        schema: {
          tags,
          summary: 'Queue another run of a task, in its sandbox or restored from its snapshot',
          params: IdParams,
          body: QueueRunBody,
          response: { 201: Run },
        },
      },
      async (request, reply) => {
        const run = await queueRun(db, {
          actor: principalOf(request),
          taskId: request.params.id,
          commands: request.body.commands,
        });
        deps.runner?.wake();
        return reply.status(201).send(toRun(run));
      },
    );

    app.get(
      '/tasks/:id/events',
      {
        schema: {
          tags,
          summary: "A task's events after sequence number `after`, oldest first",
          params: IdParams,
          querystring: EventsQuery,
          response: { 200: z.object({ events: z.array(TaskEvent) }) },
        },
      },
      async (request) => {
        const task = await loadTask(db, principalOf(request).userId, request.params.id);
        return { events: await listEvents(db, { taskId: task.id, ...request.query }) };
      },
    );

    app.post(
      '/runs/:id/cancel',
      {
        schema: {
          tags,
          summary: 'Stop a run: at once when queued, at its next heartbeat when running',
          params: IdParams,
          response: { 200: Run },
        },
      },
      async (request) =>
        toRun(await cancelRun(db, { actor: principalOf(request), runId: request.params.id })),
    );
  };
