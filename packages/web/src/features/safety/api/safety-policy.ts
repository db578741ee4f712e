/**
 * @module features/safety/api/safety-policy
 * A workspace's safety policy: read it (members), set it (owners and admins).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { SafetyPolicy, SafetyPolicyView } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';

const policyPath = (workspaceId: string) =>
  `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/safety-policy`;

const policyKey = (workspaceId: string) => ['workspaces', workspaceId, 'safety-policy'] as const;

export function useSafetyPolicy(workspaceId: string) {
  return useQuery({
    queryKey: policyKey(workspaceId),
    queryFn: ({ signal }) => api<SafetyPolicyView>(policyPath(workspaceId), { signal }),
    enabled: workspaceId !== '',
  });
}

export function useSaveSafetyPolicy(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (policy: SafetyPolicy) =>
      api<SafetyPolicyView>(policyPath(workspaceId), { method: 'PUT', json: policy }),
    onSuccess: (saved) => queryClient.setQueryData(policyKey(workspaceId), saved),
  });
}
