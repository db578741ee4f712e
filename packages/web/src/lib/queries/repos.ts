/**
 * @module lib/queries/repos
 * The repositories of the active workspace, and one repository by id.
 */
import { useQuery } from '@tanstack/react-query';
import type { Repo, RepoList } from '@lucid/contracts';
import { api } from '../api.ts';
import { useActiveWorkspace } from '../active-workspace.ts';

export const reposQueryKey = ['repos'] as const;

export function repoQueryKey(id: string) {
  return ['repos', id] as const;
}

/** The repositories of the active workspace. */
export function useRepos() {
  const { workspace } = useActiveWorkspace();
  const id = workspace?.id;
  return useQuery({
    queryKey: [...reposQueryKey, 'list', id],
    queryFn: ({ signal }) =>
      api<RepoList>(`/api/v1/repos?workspaceId=${encodeURIComponent(id ?? '')}`, {
        signal,
      }).then((r) => r.repos),
    enabled: id !== undefined,
  });
}

export function useRepo(id: string) {
  return useQuery({
    queryKey: repoQueryKey(id),
    queryFn: ({ signal }) => api<Repo>(`/api/v1/repos/${encodeURIComponent(id)}`, { signal }),
  });
}
