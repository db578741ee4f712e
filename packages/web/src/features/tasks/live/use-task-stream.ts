/**
 * @module features/tasks/live/use-task-stream
 * One task's live stream in the browser: an `EventSource` on `/api/v1/tasks/{id}/stream?after=N`
 * whose messages are folded into one state. After an error it reconnects with a growing delay
 * (lib/use-event-stream.ts) and resumes after the last sequence number held, so nothing is lost
 * and nothing is doubled.
 */
import { useReducer } from 'react';
import type { LiveMessage } from '@lucid/contracts';
import { useEventStream, type StreamConnection } from '../../../lib/use-event-stream.ts';
import { foldLive, initialLiveState } from './fold.ts';

export type { StreamConnection };

const kinds = ['event', 'draft', 'delta'] as const;

/** A stream message's data, whether it is sent as `message` or under its kind's event name. */
export function parseLiveMessage(name: string, data: string): LiveMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  if (typeof record.kind === 'string') return record as unknown as LiveMessage;
  if (name === 'event' && typeof record.seq === 'number') {
    return {
      kind: 'event',
      event: record as unknown as Extract<LiveMessage, { kind: 'event' }>['event'],
    };
  }
  if (name === 'draft' || name === 'delta') return { ...record, kind: name } as LiveMessage;
  return null;
}

/**
 * The folded live state of a task and how its connection stands.
 *
 * @example
 * const { state, connection } = useTaskStream(taskId);
 * state.events; // stored events, each once
 */
export function useTaskStream(taskId: string) {
  const [state, dispatch] = useReducer(foldLive, initialLiveState);
  const connection = useEventStream(taskId, () => {
    let lastSeq = 0;
    return {
      url: () => `/api/v1/tasks/${encodeURIComponent(taskId)}/stream?after=${lastSeq}`,
      events: kinds,
      onMessage: (name, data) => {
        const live = parseLiveMessage(name, data);
        if (!live) return;
        if (live.kind === 'event') lastSeq = Math.max(lastSeq, live.event.seq);
        dispatch(live);
      },
    };
  });

  return { state, connection };
}
