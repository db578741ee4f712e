/**
 * @module http/routes/task-stream
 * `GET /api/v1/tasks/{id}/stream`: a task's live stream as Server-Sent Events (messages of
 * contracts' live.ts), from the live hub: the stored events after `?after=` or `Last-Event-ID`,
 * the answers under way, then everything as it happens, with a comment heartbeat (http/sse-stream.ts).
 * Live messages are serialized once for all viewers, one write per turn.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { LiveMessage } from '@lucid/contracts';
import { IdParams } from '@lucid/contracts';
import { z } from 'zod';
import { loadTask } from '../../tasks/tasks.ts';
import { AppError } from '../../errors.ts';
import { principalOf } from '../authenticate.ts';
import { sseStreams } from '../sse-stream.ts';
import type { AppDeps } from '../context.ts';

const StreamQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
});

const description = [
  "Server-Sent Events (`text/event-stream`). Each message's `data` is a JSON live message:",
  '`{"kind": "event", "event": TaskEvent}` for a stored event (its SSE `id` is the event\'s `seq`),',
  '`{"kind": "draft", "runId", "text"}` for the whole text so far of an answer an agent is writing',
  '(on connecting, and when a run starts a new answer), and `{"kind": "delta", "runId", "offset",',
  '"text"}` for the next piece of it (append it only when the draft is `offset` long). The stored',
  "`message.assistant` event, or the run's end, closes its draft. The stream starts with the events",
  'after `after` (or after the `Last-Event-ID` header, which EventSource sends when it reconnects;',
  'default 0), then the answers under way, then everything as it happens, with no gap and no',
  'duplicate. A comment (`: keepalive`) is sent every 15 s.',
].join(' ');

export const taskStreamRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.database;
    const openStream = sseStreams(app, deps.metrics.sseViewers.labels({ stream: 'task' }));

    app.get(
      '/tasks/:id/stream',
      {
        schema: {
          tags: ['tasks'],
          summary: "A task's events and its agents' answers, live (Server-Sent Events)",
          description,
          params: IdParams,
          querystring: StreamQuery,
          produces: ['text/event-stream'],
        },
      },
      async (request, reply) => {
        const task = await loadTask(db, principalOf(request).userId, request.params.id, 'member');
        const after = request.query.after ?? lastEventId(request.headers['last-event-id']);
        // A reader let go for being behind reconnects with Last-Event-ID and misses nothing.
        const stream = openStream<LiveMessage>(reply);
        try {
          const follower = await deps.live.follow({
            taskId: task.id,
            after,
            listener: (message) => stream.send(message),
          });
          stream.onEnd(() => follower.close());
        } catch (error) {
          request.log.error({ err: error }, 'the task stream failed');
          stream.end();
        }
      },
    );
  };

/** The sequence number a reconnecting EventSource resumes after; 0 when absent. */
function lastEventId(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return 0;
  const seq = Number(value);
  if (!Number.isInteger(seq) || seq < 0) {
    throw new AppError('bad_request', 'Last-Event-ID must be the seq of an event.');
  }
  return seq;
}
