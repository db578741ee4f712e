/**
 * @module lib/use-repo-stream
 * Follows a repository's live stream (`GET /api/v1/repos/{id}/board/stream`): a task of it was
 * created, changed status or was deleted (`board.changed`), or one of its branches moved
 * (`refs.changed`: a push, an approval). Each message is handed to the caller; a branch move also
 * invalidates every query under `['repos', id]` (the repository, its branches and commits), so
 * "Last push", the branch list, recent commits and commit graphs follow without a reload. After an
 * error the stream reconnects with a growing delay.
 */
import { useEffect, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { BoardStreamMessage } from '@lucid/contracts';
import { repoKey } from './repo-branches.ts';

export type StreamConnection = 'connecting' | 'open' | 'polling';

/** The delay before the n-th reconnection in a row: 0.5 s, 1 s, 2 s … at most 15 s. */
function reconnectDelay(attempt: number): number {
  return Math.min(15_000, 500 * 2 ** attempt);
}

/**
 * @example
 * const connection = useRepoStream(repoId, () => void refetchBoard());
 */
export function useRepoStream(
  repoId: string,
  onMessage?: (message: BoardStreamMessage | null) => void,
): StreamConnection {
  const queryClient = useQueryClient();
  const [connection, setConnection] = useState<StreamConnection>('connecting');
  const handler = useRef(onMessage);
  useEffect(() => {
    handler.current = onMessage;
  });

  useEffect(() => {
    if (repoId === '') return;
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let stopped = false;
    const refsMoved = () => void queryClient.invalidateQueries({ queryKey: repoKey(repoId) });

    const connect = () => {
      source = new EventSource(`/api/v1/repos/${encodeURIComponent(repoId)}/board/stream`);
      source.onopen = () => {
        attempt = 0;
        setConnection('open');
        // What moved while the stream was down is read again.
        refsMoved();
        handler.current?.(null);
      };
      source.onmessage = (event: MessageEvent<string>) => {
        const message = JSON.parse(event.data) as BoardStreamMessage;
        if (message.kind === 'refs.changed') refsMoved();
        handler.current?.(message);
      };
      source.onerror = () => {
        source?.close();
        source = null;
        if (stopped) return;
        setConnection('polling');
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
  }, [repoId, queryClient]);

  return connection;
}
