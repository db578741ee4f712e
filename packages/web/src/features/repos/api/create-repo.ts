/**
 * @module features/repos/api/create-repo
 * Creating an empty repository to push into.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateRepoBody, Repo } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';
import { reposQueryKey } from '../../../lib/queries/repos.ts';

export function useCreateRepo() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateRepoBody) =>
      api<Repo>('/api/v1/repos', { method: 'POST', json: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: reposQueryKey }),
  });
}
