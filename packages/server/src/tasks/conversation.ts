/**
 * @module tasks/conversation
 * A task's conversation as its events hold it: the user's messages (`message.user`, stored by the
 * API when they are posted) and the agent's answers (`message.assistant`). An agent run is given
 * the task before its prompt (with the built-in agent's earlier steps: `tasks/trajectory.ts`), and
 * reads the follow-ups posted after it while it works.
 */
import { and, asc, eq, gt } from 'drizzle-orm';
import type { InboxMessage } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { events } from '../db/schema.ts';

/**
 * The most message turns, and characters, of the task before its prompt a run is given (the
 * latest ones; `tasks/trajectory.ts` builds it).
 */
export const HISTORY_MAX_TURNS = 100;
export const HISTORY_MAX_CHARS = 200_000;

/** The user's messages after sequence number `after`, oldest first (at most 100). */
export async function followUpsAfter(
  db: Db,
  { taskId, after }: { taskId: string; after: number },
): Promise<InboxMessage[]> {
  const rows = await db
    .select({ seq: events.seq, payload: events.payload })
    .from(events)
    .where(and(eq(events.taskId, taskId), gt(events.seq, after), eq(events.type, 'message.user')))
    .orderBy(asc(events.seq))
    .limit(100);
  return rows.map((row) => ({ seq: row.seq, text: String(row.payload.text ?? '') }));
}
