/**
 * @module features/repos/api/create-repo
 * Creating an empty repository to push into, in the active workspace.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateRepoBody, Repo } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';
import { reposQueryKey } from '../../../lib/queries/repos.ts';
import { useActiveWorkspace } from '../../../lib/active-workspace.ts';

/** Creates a repository in the active workspace. */
export function useCreateRepo() {
  const queryClient = useQueryClient();
  const { workspace } = useActiveWorkspace();
  return useMutation({
    mutationFn: (input: CreateRepoBody) =>
      api<Repo>('/api/v1/repos', {
        method: 'POST',
        json: { workspaceId: workspace?.id, ...input },
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: reposQueryKey }),
  });
}
