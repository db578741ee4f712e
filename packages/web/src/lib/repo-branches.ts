/**
 * @module lib/repo-branches
 * A repository's branches (`GET /api/v1/repos/{id}/branches`), shared by the pages that show or
 * pick them. Their query keys sit under `['repos', id]`, which a move of the repository's branches
 * invalidates (see use-repo-stream.ts).
 */
import { useQuery } from '@tanstack/react-query';
import type { BranchList } from '@lucid/contracts';
import { api } from './api.ts';

/** The query key of everything read about one repository: itself, its branches, its history. */
export function repoKey(repoId: string) {
  return ['repos', repoId] as const;
}

/** The repository's branches, most recently moved first. */
export function useBranches(repoId: string) {
  return useQuery({
    queryKey: [...repoKey(repoId), 'branches'],
    queryFn: ({ signal }) =>
      api<BranchList>(`/api/v1/repos/${encodeURIComponent(repoId)}/branches`, { signal }).then(
        (r) => r.branches,
      ),
    enabled: repoId !== '',
  });
}
