/**
 * @module lib/use-repo-stream
 * Follows a repository's live stream (`GET /api/v1/repos/{id}/board/stream`): a task of it was
 * created, changed status or was deleted (`board.changed`), or one of its branches moved
 * (`refs.changed`: a push, an approval). Each message is handed to the caller; a branch move also
 * invalidates every query under `['repos', id]` (the repository, its branches and commits), so
 * "Last push", the branch list, recent commits and commit graphs follow without a reload. After an
 * error the stream reconnects with a growing delay (lib/use-event-stream.ts).
 */
import { useEffect, useRef } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { BoardStreamMessage } from '@lucid/contracts';
import { repoKey } from './repo-branches.ts';
import { useEventStream, type StreamConnection } from './use-event-stream.ts';

export type { StreamConnection };

/**
 * @example
 * const connection = useRepoStream(repoId, () => void refetchBoard());
 */
export function useRepoStream(
  repoId: string,
  onMessage?: (message: BoardStreamMessage | null) => void,
): StreamConnection {
  const queryClient = useQueryClient();
  const handler = useRef(onMessage);
  useEffect(() => {
    handler.current = onMessage;
  });

  return useEventStream(repoId === '' ? null : repoId, () => {
    const refsMoved = () => void queryClient.invalidateQueries({ queryKey: repoKey(repoId) });
    return {
      url: () => `/api/v1/repos/${encodeURIComponent(repoId)}/board/stream`,
      onOpen: () => {
        // What moved while the stream was down is read again.
        refsMoved();
        handler.current?.(null);
      },
      onMessage: (_name, data) => {
        const message = JSON.parse(data) as BoardStreamMessage;
        if (message.kind === 'refs.changed') refsMoved();
        handler.current?.(message);
      },
    };
  });
}
