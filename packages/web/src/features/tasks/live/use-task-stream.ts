/**
 * @module features/tasks/live/use-task-stream
 * One task's live stream in the browser: an `EventSource` on `/api/v1/tasks/{id}/stream?after=N`
 * whose messages are folded into one state. After an error it reconnects with a growing delay and
 * resumes after the last sequence number held, so nothing is lost and nothing is doubled.
 */
import { useEffect, useReducer, useState } from 'react';
import type { LiveMessage } from '@lucid/contracts';
import { foldLive, initialLiveState } from './fold.ts';

export type StreamConnection = 'connecting' | 'open' | 'reconnecting';

/** The delay before the n-th reconnection in a row: 0.5 s, 1 s, 2 s … at most 15 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(15_000, 500 * 2 ** attempt);
}

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
  const [connection, setConnection] = useState<StreamConnection>('connecting');

  useEffect(() => {
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let lastSeq = 0;
    let stopped = false;

    const onMessage = (message: MessageEvent<string>) => {
      const live = parseLiveMessage(message.type, message.data);
      if (!live) return;
      attempt = 0;
      if (live.kind === 'event') lastSeq = Math.max(lastSeq, live.event.seq);
      dispatch(live);
    };

    const connect = () => {
      source = new EventSource(
        `/api/v1/tasks/${encodeURIComponent(taskId)}/stream?after=${lastSeq}`,
      );
      source.onopen = () => setConnection('open');
      source.onmessage = onMessage;
      for (const kind of kinds) source.addEventListener(kind, onMessage);
      source.onerror = () => {
        source?.close();
        source = null;
        if (stopped) return;
        setConnection('reconnecting');
        timer = setTimeout(connect, reconnectDelay(attempt));
        attempt += 1;
      };
    };
    connect();

    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, [taskId]);

  return { state, connection };
}
