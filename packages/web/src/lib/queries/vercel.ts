/**
 * @module lib/queries/vercel
 * Vercel over the REST API: the connected Vercel accounts (never their tokens), connecting with a
 * token and an optional team, disconnecting; the projects a connection reaches and a repository's
 * link to one; a task's deployments and the gate to production (promote, ask, roll back, deploy
 * again). Shared by Settings → Integrations, the repository page and the task page.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  DeploymentList,
  VercelConnection,
  VercelLinkAnswer,
  VercelProject,
  VercelStatus,
} from '@lucid/contracts';
import { api } from '../api.ts';

const vercelKey = ['vercel'] as const;

export function useVercelStatus() {
  return useQuery({
    queryKey: [...vercelKey, 'status'],
    queryFn: ({ signal }) => api<VercelStatus>('/api/integrations/vercel', { signal }),
  });
}

export function useConnectVercel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (json: { token: string; teamId?: string | undefined }) =>
      api<VercelConnection>('/api/integrations/vercel/token', { method: 'POST', json }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: vercelKey }),
  });
}

export function useDisconnectVercel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      api<void>(`/api/integrations/vercel/connections/${encodeURIComponent(id)}`, {
        method: 'DELETE',
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: vercelKey }),
  });
}

export function useVercelProjects(connectionId: string) {
  return useQuery({
    queryKey: [...vercelKey, 'projects', connectionId],
    queryFn: ({ signal }) =>
      api<{ projects: VercelProject[] }>(
        `/api/v1/vercel/projects?connectionId=${encodeURIComponent(connectionId)}`,
        { signal },
      ),
    enabled: connectionId !== '',
  });
}

export function useVercelLink(repoId: string) {
  return useQuery({
    queryKey: [...vercelKey, 'link', repoId],
    queryFn: ({ signal }) =>
      api<VercelLinkAnswer>(`/api/v1/repos/${encodeURIComponent(repoId)}/vercel`, { signal }),
  });
}

export function useLinkVercel(repoId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (json: { connectionId: string; projectId: string } | null) => {
      await (json
        ? api<VercelLinkAnswer>(`/api/v1/repos/${encodeURIComponent(repoId)}/vercel`, {
            method: 'PUT',
            json,
          })
        : api<void>(`/api/v1/repos/${encodeURIComponent(repoId)}/vercel`, { method: 'DELETE' }));
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...vercelKey, 'link', repoId] }),
  });
}

/** A task's deployments, looked at again every few seconds while one is under way. */
export function useDeployments(taskId: string) {
  return useQuery({
    queryKey: [...vercelKey, 'deployments', taskId],
    queryFn: ({ signal }) =>
      api<DeploymentList>(`/api/v1/tasks/${encodeURIComponent(taskId)}/deployments`, { signal }),
    refetchInterval: (query) =>
      query.state.data?.deployments.some((d) => !['READY', 'ERROR', 'CANCELED'].includes(d.state))
        ? 2_000
        : 10_000,
  });
}

/** One step of the gate on a deployment: `promote`, `promote-request`, `rollback` or `redeploy`. */
export function useDeploymentAction(taskId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({
      deploymentId,
      action,
    }: {
      deploymentId: string;
      action: 'promote' | 'promote-request' | 'rollback' | 'redeploy';
    }) =>
      api<DeploymentList>(
        `/api/v1/tasks/${encodeURIComponent(taskId)}/deployments/${encodeURIComponent(deploymentId)}/${action}`,
        { method: 'POST' },
      ),
    onSuccess: (list) => queryClient.setQueryData([...vercelKey, 'deployments', taskId], list),
  });
}
