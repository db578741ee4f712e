/**
 * @module lib/use-event-stream
 * The app's one reconnecting `EventSource`: it opens a stream, hands each message to its reader,
 * and after an error closes it and opens it again with a growing delay, for as long as the
 * component that follows it is mounted. The task stream (features/tasks/live/use-task-stream.ts)
 * and a repository's stream (lib/use-repo-stream.ts) are both read through it.
 */
import { useEffect, useRef, useState } from 'react';

/** How a followed stream stands: opening, open, or waiting to open again after an error. */
export type StreamConnection = 'connecting' | 'open' | 'reconnecting';

/** The delay before the n-th reconnection in a row: 0.5 s, 1 s, 2 s … at most 15 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(15_000, 500 * 2 ** attempt);
}

/** One reader of a stream, made once per stream followed (its state outlives reconnections). */
export interface EventStreamReader {
  /** The address to open, read again at each reconnection (to resume where the reader is). */
  url(): string;
  /** Named SSE events to read besides unnamed ones (`message`). */
  events?: readonly string[];
  /** Called each time the stream opens, the first time and after each reconnection. */
  onOpen?(): void;
  /** Called with each message: its event name (`message` when unnamed) and its data. */
  onMessage(name: string, data: string): void;
}

/**
 * Follows the stream `key` names (none while it is null); `reader` makes the reader of a newly
 * followed stream.
 *
 * @example
 * const connection = useEventStream(repoId, () => ({
 *   url: () => `/api/v1/repos/${repoId}/board/stream`,
 *   onMessage: (_name, data) => handle(JSON.parse(data)),
 * }));
 */
export function useEventStream(
  key: string | null,
  reader: () => EventStreamReader,
): StreamConnection {
  const [connection, setConnection] = useState<StreamConnection>('connecting');
  const makeReader = useRef(reader);
  useEffect(() => {
    makeReader.current = reader;
  });

  useEffect(() => {
    if (key === null) return;
    const current = makeReader.current();
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let stopped = false;
    const onMessage = (message: MessageEvent<string>) =>
      current.onMessage(message.type, message.data);

    const connect = () => {
      source = new EventSource(current.url());
      source.onopen = () => {
        attempt = 0;
        setConnection('open');
        current.onOpen?.();
      };
      source.onmessage = onMessage;
      for (const name of current.events ?? []) source.addEventListener(name, onMessage);
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
  }, [key]);

  return connection;
}
