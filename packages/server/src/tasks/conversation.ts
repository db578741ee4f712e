/**
 * @module tasks/conversation
 * A task's conversation as its events hold it: the user's messages (`message.user`, stored by the
 * API when they are posted) and the agent's answers (`message.assistant`). An agent run is given
 * the turns before its prompt, and reads the follow-ups posted after it while it works.
 */
import { and, asc, desc, eq, gt, inArray, lt } from 'drizzle-orm';
import type { ConversationTurn, InboxMessage } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { events } from '../db/schema.ts';

/** The most turns, and characters, of earlier conversation a run is given (the latest ones). */
export const HISTORY_MAX_TURNS = 100;
export const HISTORY_MAX_CHARS = 200_000;

/**
 * The conversation before sequence number `beforeSeq`, oldest first: the latest turns that fit the
 * bounds, starting with a user turn.
 *
 * @example
 * const history = await conversationBefore(db, { taskId, beforeSeq: spec.promptSeq });
 */
export async function conversationBefore(
  db: Db,
  { taskId, beforeSeq }: { taskId: string; beforeSeq: number },
): Promise<ConversationTurn[]> {
  const rows = await db
    .select({ type: events.type, payload: events.payload })
    .from(events)
    .where(
      and(
        eq(events.taskId, taskId),
        lt(events.seq, beforeSeq),
        inArray(events.type, ['message.user', 'message.assistant']),
      ),
    )
    .orderBy(desc(events.seq))
    .limit(HISTORY_MAX_TURNS);
  const turns: ConversationTurn[] = [];
  let chars = 0;
  for (const row of rows) {
    const text = String(row.payload.text ?? '');
    if (chars + text.length > HISTORY_MAX_CHARS) break;
    chars += text.length;
    turns.unshift({ role: row.type === 'message.user' ? 'user' : 'assistant', text });
  }
  while (turns[0]?.role === 'assistant') turns.shift();
  return turns;
}

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
