/**
 * @module features/repos/api/get-history
 * A repository's branches and its recent commits across branches.
 */
import { useQuery } from '@tanstack/react-query';
import type { BranchList, CommitList } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';

export function useBranches(repoId: string) {
  return useQuery({
    queryKey: ['repos', repoId, 'branches'],
    queryFn: ({ signal }) =>
      api<BranchList>(`/api/v1/repos/${encodeURIComponent(repoId)}/branches`, { signal }).then(
        (r) => r.branches,
      ),
    enabled: repoId !== '',
  });
}

export function useCommits(repoId: string, limit = 20) {
  return useQuery({
    queryKey: ['repos', repoId, 'commits', limit],
    queryFn: ({ signal }) =>
      api<CommitList>(`/api/v1/repos/${encodeURIComponent(repoId)}/commits?limit=${limit}`, {
        signal,
      }).then((r) => r.commits),
  });
}
