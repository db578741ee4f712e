/**
 * @module http/routes/tasks
 * Tasks with their runs and events: create, list, rename, delete, stop, follow up, queue another
 * run, cancel a run, look at the task's workspace (files, a file, the diff) and its pipeline's
 * timeline; a best-of-N task's attempts, the diff between two of them, and keeping one.
 */
import { cliAgentProviders } from '../../agent/cli/index.ts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AttemptDiff,
  AttemptDiffQuery,
  AttemptList,
  AttemptParams,
  KeptAttempt,
  CreateTaskBody,
  CreatedTask,
  EventsQuery,
  FileContent,
  FileContentQuery,
  FileList,
  FilesQuery,
  IdParams,
  PostedMessage,
  PostMessageBody,
  QueueRunBody,
  Run,
  RunExport,
  RunList,
  Task,
  TaskDetail,
  TaskDiff,
  TaskEvent,
  TaskList,
  TaskListQuery,
  TaskTimeline,
  UpdateTaskBody,
} from '@lucid/contracts';
import { z } from 'zod';
import { createTask, listRuns, loadTask, queueRun } from '../../tasks/tasks.ts';
import { cancelRun, cancelTask } from '../../tasks/cancel.ts';
import { diffAttempts, keepAttempt, listAttempts } from '../../tasks/attempts.ts';
import { listEvents } from '../../tasks/events.ts';
import { postMessage } from '../../tasks/follow-ups.ts';
import { deleteTask, updateTask } from '../../tasks/manage.ts';
import { listTasks } from '../../tasks/task-list.ts';
import { exportRun } from '../../tasks/run-export.ts';
import { taskPatch } from '../../tasks/task-patch.ts';
import { taskTotals } from '../../tasks/task-totals.ts';
import { taskTimeline } from '../../tasks/timeline.ts';
import { listTaskFiles, readTaskFile, taskDiff } from '../../tasks/workspace-view.ts';
import { principalOf } from '../authenticate.ts';
import { forgeContext, repoContext, type AppDeps } from '../context.ts';
import { syncMirror } from '../../forges/mirror.ts';
import { toRun, toTask } from '../views.ts';

export const taskRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const ctx = repoContext(deps);
    const { db } = deps.database;
    const tags = ['tasks'];
    const workspace = { db, gitRoot: deps.gitRoot, sandboxes: deps.sandboxes };
    const forges = forgeContext(deps);
    const syncUpstream = (repoId: string, userId: string | null) =>
      syncMirror(forges, repoId, { userId });

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
          syncUpstream,
          quotas: deps.config.workspaceQuotas,
        });
        return reply.status(201).send({ task: toTask(task), run: run ? toRun(run) : null });
      },
    );

    app.get(
      '/tasks',
      {
        schema: {
          tags,
          summary: "The tasks of the caller's workspaces, most recently updated first",
          querystring: TaskListQuery,
          response: { 200: TaskList },
        },
      },
      async (request) => {
        const rows = await listTasks(db, {
          userId: principalOf(request).userId,
          filter: request.query,
        });
        return {
          tasks: rows.map(({ task, repoName, workspaceName }) => ({
            ...toTask(task),
            repoName,
            workspaceName,
          })),
        };
      },
    );

    app.get(
      '/tasks/:id',
      {
        schema: {
          tags,
          summary: 'Get a task, with the time, tokens and cost of its runs so far',
          params: IdParams,
          response: { 200: TaskDetail },
        },
      },
      async (request) => {
        const task = await loadTask(db, principalOf(request).userId, request.params.id);
        return { ...toTask(task), totals: await taskTotals(db, task.id) };
      },
    );

    app.patch(
      '/tasks/:id',
      {
        schema: {
          tags,
          summary:
            'Rename a task, or change its prompt, agent or model while it is to do and has never run',
          params: IdParams,
          body: UpdateTaskBody,
          response: { 200: Task },
        },
      },
      async (request) =>
        toTask(
          await updateTask(db, {
            actor: principalOf(request),
            taskId: request.params.id,
            changes: request.body,
            providers: { db, llm: deps.config.llm, encryptionKey: deps.config.encryptionKey },
            agents: cliAgentProviders(deps.config.agent.cli),
          }),
        ),
    );

    app.delete(
      '/tasks/:id',
      {
        schema: {
          tags,
          summary:
            'Delete a task with its runs and events (refused while a run is queued or running)',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deleteTask(db, { actor: principalOf(request), taskId: request.params.id });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/tasks/:id/stop',
      {
        schema: {
          tags,
          summary: "Stop the task's queued or running run; its sandbox is kept for a follow-up",
          params: IdParams,
          response: { 200: Run },
        },
      },
      async (request) =>
        toRun(await cancelTask(db, { actor: principalOf(request), taskId: request.params.id })),
    );

    app.post(
      '/tasks/:id/messages',
      {
        schema: {
          tags,
          summary:
            "Follow up with the task's agent: read at its next step while it works, else in a new run",
          params: IdParams,
          body: PostMessageBody,
          response: { 202: PostedMessage },
        },
      },
      async (request, reply) => {
        const posted = await postMessage(db, {
          actor: principalOf(request),
          taskId: request.params.id,
          text: request.body.text,
          quotas: deps.config.workspaceQuotas,
        });
        return reply.status(202).send({ ...posted, run: posted.run ? toRun(posted.run) : null });
      },
    );

    app.get(
      '/tasks/:id/files',
      {
        schema: {
          tags,
          summary: "One directory of the task's workspace (live from its sandbox, else its branch)",
          params: IdParams,
          querystring: FilesQuery,
          response: { 200: FileList },
        },
      },
      async (request) => {
        const task = await loadTask(db, principalOf(request).userId, request.params.id, 'member');
        return listTaskFiles(workspace, { task, path: request.query.path });
      },
    );

    app.get(
      '/tasks/:id/files/content',
      {
        schema: {
          tags,
          summary: "A file of the task's workspace: its first 1 MiB, binary files detected",
          params: IdParams,
          querystring: FileContentQuery,
          response: { 200: FileContent },
        },
      },
      async (request) => {
        const task = await loadTask(db, principalOf(request).userId, request.params.id, 'member');
        return readTaskFile(workspace, { task, path: request.query.path });
      },
    );

    app.get(
      '/tasks/:id/diff',
      {
        schema: {
          tags,
          summary: "The task's work against its base branch, as a unified diff",
          params: IdParams,
          response: { 200: TaskDiff },
        },
      },
      async (request) =>
        taskDiff(
          workspace,
          await loadTask(db, principalOf(request).userId, request.params.id, 'member'),
        ),
    );

    app.get(
      '/tasks/:id/attempts',
      {
        schema: {
          tags,
          summary:
            "A best-of-N task's attempts: status, check, diff stats, cost and rank, side by side",
          params: IdParams,
          response: { 200: AttemptList },
        },
      },
      async (request) =>
        listAttempts(db, {
          gitRoot: deps.gitRoot,
          userId: principalOf(request).userId,
          taskId: request.params.id,
        }),
    );

    app.get(
      '/tasks/:id/attempts/diff',
      {
        schema: {
          tags,
          summary: "The diff between two attempts' heads (from a to b)",
          params: IdParams,
          querystring: AttemptDiffQuery,
          response: { 200: AttemptDiff },
        },
      },
      async (request) =>
        diffAttempts(db, {
          gitRoot: deps.gitRoot,
          userId: principalOf(request).userId,
          taskId: request.params.id,
          a: request.query.a,
          b: request.query.b,
        }),
    );

    app.post(
      '/tasks/:id/attempts/:attemptId/keep',
      {
        schema: {
          tags,
          summary:
            "Keep one attempt: its branch becomes the task's (published with its pull request), the others' sandboxes and branches go",
          params: AttemptParams,
          response: { 200: KeptAttempt },
        },
      },
      async (request) => ({
        task: toTask(
          await keepAttempt(db, {
            actor: principalOf(request),
            taskId: request.params.id,
            attemptId: request.params.attemptId,
          }),
        ),
      }),
    );

    app.get(
      '/tasks/:id/patch',
      {
        schema: {
          tags,
          summary:
            "The task branch's commits since its base branch, as `git format-patch` writes them (text/x-patch)",
          params: IdParams,
          response: { 200: z.string().describe('The patch, to apply with git am or git apply.') },
        },
      },
      async (request, reply) => {
        const task = await loadTask(db, principalOf(request).userId, request.params.id, 'member');
        const { patch, filename } = await taskPatch(workspace, task);
        return reply
          .type('text/x-patch; charset=utf-8')
          .header('content-disposition', `attachment; filename="${filename}"`)
          .send(patch);
      },
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
        const task = await loadTask(db, principalOf(request).userId, request.params.id, 'member');
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
          quotas: deps.config.workspaceQuotas,
          syncUpstream,
        });
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
        const task = await loadTask(db, principalOf(request).userId, request.params.id, 'member');
        return { events: await listEvents(db, { taskId: task.id, ...request.query }) };
      },
    );

    app.get(
      '/tasks/:id/timeline',
      {
        schema: {
          tags,
          summary:
            "A task's pipeline, stage by stage: status, times, cost, why a stage failed and what retries it (members)",
          params: IdParams,
          response: { 200: TaskTimeline },
        },
      },
      async (request) =>
        taskTimeline(db, { userId: principalOf(request).userId, taskId: request.params.id }),
    );

    app.get(
      '/runs/:id/export',
      {
        schema: {
          tags,
          summary:
            'A finished run as a document: what its agent was given, each model exchange of the built-in agent (the request as its loop built it, the answer, the tool results) and its events, masked; `lucid eval replay` plays it back',
          params: IdParams,
          response: { 200: RunExport },
        },
      },
      async (request, reply) => {
        const document = await exportRun(db, {
          userId: principalOf(request).userId,
          runId: request.params.id,
        });
        return reply
          .header('content-disposition', `attachment; filename="${document.run.id}.json"`)
          .send(document);
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
