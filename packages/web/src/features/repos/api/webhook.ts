/**
 * @module features/repos/api/webhook
 * Making a new webhook secret for a repository linked from a forge (its workspace's admins): the
 * answer holds the secret, shown once, and the payload URL.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { RepoWebhookSecret } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';
import { repoQueryKey } from '../../../lib/queries/repos.ts';

export function useNewWebhookSecret(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () =>
      api<RepoWebhookSecret>(`/api/v1/repos/${encodeURIComponent(id)}/webhook`, {
        method: 'POST',
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: repoQueryKey(id) }),
  });
}
