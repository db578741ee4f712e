/**
 * @module tasks/first-prompt
 * A task's prompt as the first `message.user` of its conversation. It is stored when the task
 * first has an agent working on it (its first run, or a follow-up before any), not at creation,
 * so a card's description can be edited until then.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { events } from '../db/schema.ts';
import { appendEvents } from './events.ts';
import type { TaskRow } from './runs.ts';

/** The seq of the task's first `message.user`, storing its prompt as one when there is none. */
export async function firstPromptSeq(tx: Db, task: TaskRow): Promise<number | undefined> {
  const [stored] = await tx
    .select({ seq: events.seq })
    .from(events)
    .where(and(eq(events.taskId, task.id), eq(events.type, 'message.user')))
    .orderBy(asc(events.seq))
    .limit(1);
  if (stored) return stored.seq;
  const [message] = await appendEvents(tx, {
    taskId: task.id,
    runId: null,
    events: [{ type: 'message.user', text: task.prompt }],
  });
  return message?.seq;
}
