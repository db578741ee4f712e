/**
 * @module lib/queries/repos
 * The repositories the user can see, and one repository by id.
 */
import { useQuery } from '@tanstack/react-query';
import type { Repo, RepoList } from '@lucid/contracts';
import { api } from '../api.ts';

export const reposQueryKey = ['repos'] as const;

export function repoQueryKey(id: string) {
  return ['repos', id] as const;
}

export function useRepos() {
  return useQuery({
    queryKey: reposQueryKey,
    queryFn: ({ signal }) => api<RepoList>('/api/v1/repos', { signal }).then((r) => r.repos),
  });
}

export function useRepo(id: string) {
  return useQuery({
    queryKey: repoQueryKey(id),
    queryFn: ({ signal }) => api<Repo>(`/api/v1/repos/${encodeURIComponent(id)}`, { signal }),
  });
}
