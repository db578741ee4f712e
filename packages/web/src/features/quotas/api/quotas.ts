/**
 * @module features/quotas/api/quotas
 * A workspace's quotas: read them (members), change them (the owner).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { UpdateWorkspaceQuotas, WorkspaceQuotas } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';

const quotasPath = (workspaceId: string) =>
  `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/quotas`;

export function useQuotas(workspaceId: string) {
  return useQuery({
    queryKey: ['workspaces', workspaceId, 'quotas'],
    queryFn: ({ signal }) => api<WorkspaceQuotas>(quotasPath(workspaceId), { signal }),
    enabled: workspaceId !== '',
  });
}

export function useUpdateQuotas(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: UpdateWorkspaceQuotas) =>
      api<WorkspaceQuotas>(quotasPath(workspaceId), { method: 'PATCH', json: change }),
    onSuccess: (quotas) => queryClient.setQueryData(['workspaces', workspaceId, 'quotas'], quotas),
  });
}
