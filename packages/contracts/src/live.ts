/**
 * @module live
 * What the live stream of a task (`GET /api/v1/tasks/{id}/stream`, Server-Sent Events) carries.
 *
 * - `event`: a stored event, in sequence order, first the ones after the requested sequence number,
 *   then each as it is stored. The SSE `id` is its `seq`, so a reconnecting client resumes with
 *   `Last-Event-ID` (or `?after=`) and gets no gap and no duplicate.
 * - `draft`: the answer an agent is writing, as its whole text so far: on connecting when an answer
 *   is under way, and when a run starts a new answer (it replaces that run's draft).
 * - `delta`: the next piece of that answer; `offset` is where it starts in the answer's text, so a
 *   client appends it only when its draft is exactly that long. The stored `message.assistant`
 *   event replaces the draft of its run (as does the run's end).
 * - Heartbeats are SSE comments (`: keepalive`), every 15 s.
 *
 * A draft holds at most {@link DRAFT_MAX_CHARS} characters: past that it stops growing (no more
 * `delta`) until the stored `message.assistant` ends it with the whole answer.
 */
import { z } from 'zod';
import { TaskEvent } from './events.ts';

/**
 * The most UTF-16 code units of an answer shown live: 256 Ki, about 64k tokens, the longest answer
 * models commonly write in one go. Each server holds at most this much per running answer.
 */
export const DRAFT_MAX_CHARS = 256 * 1024;

/**
 * The most UTF-16 code units in one draft piece a runner sends: 64 Ki, so a piece fits the REST
 * API's default 1 MiB body even when every character is escaped in JSON (6 bytes).
 */
export const DRAFT_PIECE_MAX_CHARS = 64 * 1024;

export const LiveEvent = z.object({ kind: z.literal('event'), event: TaskEvent });
export const LiveDraft = z.object({
  kind: z.literal('draft'),
  runId: z.string(),
  text: z.string(),
});
export const LiveDelta = z.object({
  kind: z.literal('delta'),
  runId: z.string(),
  offset: z.number().int().min(0),
  text: z.string(),
});

export const LiveMessage = z.discriminatedUnion('kind', [LiveEvent, LiveDraft, LiveDelta]);
export type LiveMessage = z.infer<typeof LiveMessage>;
