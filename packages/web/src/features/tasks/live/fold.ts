/**
 * @module features/tasks/live/fold
 * The state of a task as its live stream tells it, and the pure fold of each stream message into
 * it: stored events by sequence number (one held twice is ignored, so a reconnect that repeats
 * events changes nothing), and per run the answer being written (`draft` sets it, `delta` extends
 * it when it starts exactly where the draft ends, the stored `message.assistant` of that run
 * replaces it, and the run's end removes it).
 */
import type { LiveMessage, TaskEvent } from '@lucid/contracts';

export interface LiveState {
  /** Stored events, in sequence order, each once. */
  events: TaskEvent[];
  /** The highest sequence number held: where a reconnect resumes. */
  lastSeq: number;
  /** The answer each run is writing, by run id; absent once its stored message arrives. */
  drafts: Record<string, string>;
}

export const initialLiveState: LiveState = { events: [], lastSeq: 0, drafts: {} };

/** Index at which an event with `seq` belongs, and whether one with that `seq` is held. */
function locate(events: TaskEvent[], seq: number): { index: number; held: boolean } {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const at = events[mid]!.seq;
    if (at === seq) return { index: mid, held: true };
    if (at < seq) low = mid + 1;
    else high = mid;
  }
  return { index: low, held: false };
}

function withoutDraft(drafts: Record<string, string>, runId: string): Record<string, string> {
  if (!(runId in drafts)) return drafts;
  const next = { ...drafts };
  delete next[runId];
  return next;
}

const runEnds = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

function isRunEnd(event: TaskEvent): boolean {
  return event.type === 'run.status' && runEnds.has(event.status);
}

function foldEvent(state: LiveState, event: TaskEvent): LiveState {
  const last = state.events[state.events.length - 1];
  let events: TaskEvent[];
  if (!last || event.seq > last.seq) {
    events = [...state.events, event];
  } else {
    const { index, held } = locate(state.events, event.seq);
    if (held) return state;
    events = [...state.events.slice(0, index), event, ...state.events.slice(index)];
  }
  const drafts =
    event.runId && (event.type === 'message.assistant' || isRunEnd(event))
      ? withoutDraft(state.drafts, event.runId)
      : state.drafts;
  return { events, lastSeq: Math.max(state.lastSeq, event.seq), drafts };
}

/**
 * The state after one live message. Returns the same object when the message changes nothing.
 *
 * @example
 * let state = initialLiveState;
 * state = foldLive(state, { kind: 'draft', runId: 'r1', text: 'Hel' });
 * state = foldLive(state, { kind: 'delta', runId: 'r1', offset: 3, text: 'lo' });
 * state.drafts.r1; // "Hello"
 */
export function foldLive(state: LiveState, message: LiveMessage): LiveState {
  switch (message.kind) {
    case 'event':
      return foldEvent(state, message.event);
    case 'draft':
      if (state.drafts[message.runId] === message.text) return state;
      return { ...state, drafts: { ...state.drafts, [message.runId]: message.text } };
    case 'delta': {
      const draft = state.drafts[message.runId] ?? '';
      if (draft.length !== message.offset || message.text === '') return state;
      return {
        ...state,
        drafts: { ...state.drafts, [message.runId]: draft + message.text },
      };
    }
  }
}
