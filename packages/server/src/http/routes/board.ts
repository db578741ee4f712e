/**
 * @module http/routes/board
 * The board of a repository (its tasks in five columns, live) and the transitions that move a
 * card: start, approve, reject, retry, cancel, and a plan's approval or rejection. There is no generic "move": each move is one of
 * these, refused with 409 `invalid_transition` where it has no meaning.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  ApprovePlanBody,
  ApproveResult,
  Board,
  BoardQuery,
  IdParams,
  RejectBody,
  RejectPlanBody,
  Run,
  Task,
  type BoardStreamMessage,
} from '@lucid/contracts';
import { readBoard } from '../../tasks/board.ts';
import { cancelTask } from '../../tasks/cancel.ts';
import { approveTask } from '../../tasks/approve-task.ts';
import { rejectTask } from '../../tasks/reject-task.ts';
import { approvePlan, rejectPlan } from '../../tasks/plan.ts';
import { retryTask } from '../../tasks/retry-task.ts';
import type { ReviewContext } from '../../tasks/review-context.ts';
import { startTask } from '../../tasks/start-task.ts';
import { loadRepo } from '../../repos/repos.ts';
import { principalOf } from '../authenticate.ts';
import { sseStreams } from '../sse-stream.ts';
import { repoContext, type AppDeps } from '../context.ts';
import { toBoard, toRun, toTask } from '../views.ts';

const streamDescription = [
  'Server-Sent Events (`text/event-stream`): a message `{"kind": "board.changed", "taskId",',
  '"status"}` each time a task of the repository is created, changes status or is deleted',
  '(`status` null); read the board again. A message `{"kind": "refs.changed"}` each time a branch',
  'of the repository moves (a push, an approval); read its branches and commits again.',
  'Messages carry no id: after a reconnect, read the board.',
  'A comment (`: keepalive`) is sent every 15 s.',
].join(' ');

export const boardRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const ctx: ReviewContext = {
      ...repoContext(deps),
      mergeUpstream: deps.mergeUpstream,
      retryRejectedPush: deps.retryRejectedPush,
    };
    const tags = ['board'];
    const openStream = sseStreams(app, deps.metrics.sseViewers.labels({ stream: 'board' }));

    app.get(
      '/repos/:id/board',
      {
        schema: {
          tags,
          summary:
            "A repository's board: its tasks in the columns todo, in_progress, in_review, done, failed",
          params: IdParams,
          querystring: BoardQuery,
          response: { 200: Board },
        },
      },
      async (request) =>
        toBoard(
          await readBoard(ctx, {
            userId: principalOf(request).userId,
            repoId: request.params.id,
            filter: request.query,
            quotas: deps.config.workspaceQuotas,
          }),
        ),
    );

    app.get(
      '/repos/:id/board/stream',
      {
        schema: {
          tags,
          summary: "A repository's board changes, live (Server-Sent Events)",
          description: streamDescription,
          params: IdParams,
          produces: ['text/event-stream'],
        },
      },
      async (request, reply) => {
        const repo = await loadRepo(ctx, principalOf(request).userId, request.params.id);
        const stream = openStream<BoardStreamMessage>(reply, {
          frame: (message) => `data: ${JSON.stringify(message)}\n\n`,
        });
        const follower = deps.live.followBoard(repo.id, (change) =>
          stream.send(
            change.kind === 'refs'
              ? { kind: 'refs.changed' }
              : { kind: 'board.changed', taskId: change.taskId, status: change.status },
          ),
        );
        stream.onEnd(() => follower.close());
      },
    );

    app.post(
      '/tasks/:id/start',
      {
        schema: {
          tags,
          summary:
            'Start a task that is to do (or was cancelled): its agent works on the prompt, or on the review note after a rejection',
          params: IdParams,
          response: { 201: Run },
        },
      },
      async (request, reply) => {
        const run = await startTask(ctx, {
          actor: principalOf(request),
          taskId: request.params.id,
          quotas: deps.config.workspaceQuotas,
        });
        return reply.status(201).send(toRun(run));
      },
    );

    app.post(
      '/tasks/:id/approve',
      {
        schema: {
          tags,
          summary:
            'Approve a task in review: merge its branch into its base branch (fast-forward, else a merge commit); 409 merge_conflict lists the conflicting files in error.details.files',
          params: IdParams,
          response: { 200: ApproveResult },
        },
      },
      async (request) => {
        const { task, merge } = await approveTask(ctx, {
          actor: principalOf(request),
          taskId: request.params.id,
        });
        return { task: toTask(task), merge };
      },
    );

    app.post(
      '/tasks/:id/reject',
      {
        schema: {
          tags,
          summary:
            'Send a task in review (or failed) back to to do with a reason, which its next run is given; its branch is kept',
          params: IdParams,
          body: RejectBody,
          response: { 200: Task },
        },
      },
      async (request) =>
        toTask(
          await rejectTask(ctx, {
            actor: principalOf(request),
            taskId: request.params.id,
            reason: request.body.reason,
          }),
        ),
    );

    app.post(
      '/tasks/:id/retry',
      {
        schema: {
          tags,
          summary:
            'Run a failed or cancelled task again like its last run, on its branch, in its sandbox or from its snapshot',
          params: IdParams,
          response: { 201: Run },
        },
      },
      async (request, reply) => {
        const run = await retryTask(ctx, {
          actor: principalOf(request),
          taskId: request.params.id,
          quotas: deps.config.workspaceQuotas,
        });
        return reply.status(201).send(toRun(run));
      },
    );

    app.post(
      '/tasks/:id/cancel',
      {
        schema: {
          tags,
          summary:
            'Cancel a queued or running task: a queued run at once, a running one at its next heartbeat',
          params: IdParams,
          response: { 200: Run },
        },
      },
      async (request) =>
        toRun(await cancelTask(ctx.db, { actor: principalOf(request), taskId: request.params.id })),
    );

    app.post(
      '/tasks/:id/plan/approve',
      {
        schema: {
          tags,
          summary:
            "Approve a task's plan in plan review, as proposed or edited: the coding run following it is queued",
          params: IdParams,
          body: ApprovePlanBody,
          response: { 201: Run },
        },
      },
      async (request, reply) => {
        const run = await approvePlan(ctx.db, {
          actor: principalOf(request),
          taskId: request.params.id,
          plan: request.body.plan,
        });
        return reply.status(201).send(toRun(run));
      },
    );

    app.post(
      '/tasks/:id/plan/reject',
      {
        schema: {
          tags,
          summary:
            "Reject a task's plan with a note: no coding run, the task is cancelled; a retry plans again with the note",
          params: IdParams,
          body: RejectPlanBody,
          response: { 200: Task },
        },
      },
      async (request) =>
        toTask(
          await rejectPlan(ctx.db, {
            actor: principalOf(request),
            taskId: request.params.id,
            note: request.body.note,
          }),
        ),
    );
  };
