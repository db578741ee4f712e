/**
 * @module tasks/live-channel
 * What goes through the database's notification channel `lucid_live`, which every server sharing
 * the database listens to: "task T's events up to seq S are committed" (sent by the append
 * transaction itself, so it fires at commit) and "run R's answer gained this text at this offset"
 * (a draft piece, never stored). Payloads stay well under PostgreSQL's 8000-byte limit: draft text
 * is sent in pieces.
 */
import { sql } from 'drizzle-orm';
import type { EventBody, TaskStatus } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { AppError } from '../errors.ts';

export const LIVE_CHANNEL = 'lucid_live';

/** The most UTF-16 units of draft text in one notification (≤ 6 bytes each once JSON-escaped). */
const PIECE = 1000;

/**
 * Events of task `t` up to seq `s` are stored; `e`: the run whose draft these events end; `f`:
 * that run is over.
 */
export interface AppendedNote {
  k: 'e';
  t: string;
  s: number;
  e?: string;
  f?: true;
}

/**
 * Run `r` of task `t`: its answer's text gained `x` at offset `o`. `i`: the server that published
 * it to its own viewers already (it ignores the notification).
 */
export interface DraftNote {
  k: 'd';
  t: string;
  r: string;
  o: number;
  x: string;
  i?: string;
}

/**
 * Task `t` of repository `r` was created or changed status to `s` (null: it was deleted). The
 * board streams follow these.
 */
export interface BoardNote {
  k: 'b';
  r: string;
  t: string;
  s: TaskStatus | null;
}

/** A branch of repository `r` moved (a push, an approval's merge). The board streams follow these. */
export interface RefsNote {
  k: 'r';
  r: string;
}

export type LiveNote = AppendedNote | DraftNote | BoardNote | RefsNote;

/** Whether this event ends the draft of its run: the answer is stored, or the run is over. */
export function endsDraft(body: Pick<EventBody, 'type'> & { status?: string }): boolean {
  return (
    body.type === 'message.assistant' || (body.type === 'run.status' && body.status !== 'running')
  );
}

/** The note announcing appended events. */
export function appendedNote(note: {
  taskId: string;
  lastSeq: number;
  runId: string | null;
  bodies: EventBody[];
}): AppendedNote {
  const payload: AppendedNote = { k: 'e', t: note.taskId, s: note.lastSeq };
  if (note.runId && note.bodies.some(endsDraft)) {
    payload.e = note.runId;
    if (note.bodies.some((body) => body.type === 'run.status' && body.status !== 'running')) {
      payload.f = true;
    }
  }
  return payload;
}

/**
 * Announces appended events from inside their transaction: the notification is delivered at
 * commit, in commit order, and not at all on rollback.
 */
export async function notifyAppended(
  tx: Db,
  note: { taskId: string; lastSeq: number; runId: string | null; bodies: EventBody[] },
): Promise<void> {
  const payload = appendedNote(note);
  await tx.execute(sql`SELECT pg_notify(${LIVE_CHANNEL}, ${JSON.stringify(payload)})`);
}

/**
 * Announces a board change from inside the transaction that made it (delivered at commit).
 *
 * @example
 * await notifyBoard(tx, { repoId, taskId, status: 'todo' });
 */
export async function notifyBoard(
  tx: Db,
  { repoId, taskId, status }: { repoId: string; taskId: string; status: TaskStatus | null },
): Promise<void> {
  const note: BoardNote = { k: 'b', r: repoId, t: taskId, s: status };
  await tx.execute(sql`SELECT pg_notify(${LIVE_CHANNEL}, ${JSON.stringify(note)})`);
}

/**
 * Announces that a branch of the repository moved; from inside a transaction it is delivered at
 * commit.
 *
 * @example
 * await notifyRefs(db, repoId);
 */
export async function notifyRefs(db: Db, repoId: string): Promise<void> {
  const note: RefsNote = { k: 'r', r: repoId };
  await db.execute(sql`SELECT pg_notify(${LIVE_CHANNEL}, ${JSON.stringify(note)})`);
}

/** A draft note as notification payloads, its text cut in pieces that fit, tagged with `origin`. */
export function draftPayloads(note: DraftNote, origin: string): string[] {
  const payloads: string[] = [];
  for (let at = 0; at < note.x.length;) {
    const end = pieceEnd(note.x, at);
    const piece: DraftNote = { ...note, o: note.o + at, x: note.x.slice(at, end), i: origin };
    payloads.push(JSON.stringify(piece));
    at = end;
  }
  return payloads;
}

/** Where the piece of `text` starting at `at` ends: at most PIECE units, no surrogate pair split. */
function pieceEnd(text: string, at: number): number {
  const end = Math.min(text.length, at + PIECE);
  return end < text.length && /[\uD800-\uDBFF]/.test(text.charAt(end - 1)) ? end - 1 : end;
}

/**
 * Publishes a piece of a running answer to every server through the channel alone, when
 * `runnerId` holds the run; throws `run_not_found` otherwise. One statement per piece checks and
 * notifies: the live hub's `sendDraft` is the fast path, this one serves callers without a hub.
 *
 * @example
 * await sendDraft(db, { runnerId, runId, offset: 0, text: 'Looking at the tests' });
 */
export async function sendDraft(
  db: Db,
  {
    runnerId,
    runId,
    offset,
    text,
  }: { runnerId: string; runId: string; offset: number; text: string },
): Promise<void> {
  if (!text) return;
  for (let at = 0; at < text.length;) {
    const end = pieceEnd(text, at);
    const piece = text.slice(at, end);
    const result = await db.execute(sql`
      SELECT pg_notify(${LIVE_CHANNEL}, json_build_object(
        'k', 'd', 't', task_id, 'r', id, 'o', ${offset + at}::int, 'x', ${piece}::text)::text)
      FROM runs WHERE id = ${runId} AND runner_id = ${runnerId} AND status = 'running'`);
    const { rows } = result as unknown as { rows: unknown[] };
    if (rows.length === 0)
      throw new AppError('run_not_found', 'This runner does not hold that run (any more).');
    at = end;
  }
}

/** The note a payload carries; null for anything else. */
export function parseNote(payload: string): LiveNote | null {
  try {
    const note = JSON.parse(payload) as Partial<LiveNote>;
    if (note.k === 'e' && typeof note.t === 'string' && typeof note.s === 'number') {
      return note as AppendedNote;
    }
    if (
      note.k === 'd' &&
      typeof note.t === 'string' &&
      typeof note.r === 'string' &&
      typeof note.o === 'number' &&
      typeof note.x === 'string'
    ) {
      return note as DraftNote;
    }
    if (note.k === 'b' && typeof note.r === 'string' && typeof note.t === 'string') {
      return note as BoardNote;
    }
    if (note.k === 'r' && typeof note.r === 'string') return note as RefsNote;
  } catch {
    // not ours
  }
  return null;
}
