/**
 * @module lib/queries/repo-history
 * A repository's branches and its recent commits across branches.
 */
import { useQuery } from '@tanstack/react-query';
import type { CommitList } from '@lucid/contracts';
import { api } from '../api.ts';
import { repoKey } from '../repo-branches.ts';

export { useBranches } from '../repo-branches.ts';

export function useCommits(repoId: string, limit = 20) {
  return useQuery({
    queryKey: [...repoKey(repoId), 'commits', limit],
    queryFn: ({ signal }) =>
      api<CommitList>(`/api/v1/repos/${encodeURIComponent(repoId)}/commits?limit=${limit}`, {
        signal,
      }).then((r) => r.commits),
  });
}
