/**
 * @module features/repos/api/update-repo
 * Renaming a repository, or changing its description or default branch.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Repo, UpdateRepoBody } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';
import { repoQueryKey, reposQueryKey } from '../../../lib/queries/repos.ts';

export function useUpdateRepo(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: UpdateRepoBody) =>
      api<Repo>(`/api/v1/repos/${encodeURIComponent(id)}`, { method: 'PATCH', json: input }),
    onSuccess: (repo) => {
      queryClient.setQueryData(repoQueryKey(id), repo);
      return queryClient.invalidateQueries({ queryKey: [...reposQueryKey, 'list'] });
    },
  });
}
