/**
 * @module features/repos/api/delete-repo
 * Deleting a repository and its storage.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api.ts';
import { reposQueryKey } from '../../../lib/queries/repos.ts';

export function useDeleteRepo(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api<void>(`/api/v1/repos/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...reposQueryKey, 'list'] }),
  });
}
