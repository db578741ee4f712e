/**
 * @module features/workspaces/api/credentials
 * A workspace's own credentials over the REST API: its forge connections and model provider keys
 * (listed without secrets), set and removed by its admins.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  ForgeProvider,
  Integration,
  KeyProvider,
  ProviderKey,
  ProviderKeyList,
  WorkspaceConnectionList,
} from '@lucid/contracts';
import { api } from '../../../lib/api.ts';
import { modelsQueryKey } from '../../../lib/queries/providers.ts';

const path = (id: string, rest: string) => `/api/v1/workspaces/${encodeURIComponent(id)}${rest}`;

function credentialsKey(workspaceId: string) {
  return ['workspaces', workspaceId, 'credentials'] as const;
}

export function useWorkspaceConnections(workspaceId: string) {
  return useQuery({
    queryKey: [...credentialsKey(workspaceId), 'connections'],
    queryFn: ({ signal }) =>
      api<WorkspaceConnectionList>(path(workspaceId, '/connections'), { signal }).then(
        (r) => r.connections,
      ),
  });
}

export function useWorkspaceProviderKeys(workspaceId: string) {
  return useQuery({
    queryKey: [...credentialsKey(workspaceId), 'keys'],
    queryFn: ({ signal }) =>
      api<ProviderKeyList>(path(workspaceId, '/provider-keys'), { signal }).then((r) => r.keys),
  });
}

function useRefresh(workspaceId: string) {
  const queryClient = useQueryClient();
  return async () => {
    await queryClient.invalidateQueries({ queryKey: credentialsKey(workspaceId) });
    await queryClient.invalidateQueries({ queryKey: modelsQueryKey });
  };
}

export function useConnectWorkspaceForge(workspaceId: string) {
  const refresh = useRefresh(workspaceId);
  return useMutation({
    mutationFn: ({ provider, token }: { provider: ForgeProvider; token: string }) =>
      api<Integration>(path(workspaceId, `/connections/${provider}/token`), {
        method: 'POST',
        json: { token },
      }),
    onSuccess: refresh,
  });
}

export function useDisconnectWorkspaceForge(workspaceId: string) {
  const refresh = useRefresh(workspaceId);
  return useMutation({
    mutationFn: (provider: ForgeProvider) =>
      api<void>(path(workspaceId, `/connections/${provider}`), { method: 'DELETE' }),
    onSuccess: refresh,
  });
}

export function useSaveWorkspaceKey(workspaceId: string) {
  const refresh = useRefresh(workspaceId);
  return useMutation({
    mutationFn: ({ provider, apiKey }: { provider: KeyProvider; apiKey: string }) =>
      api<ProviderKey>(path(workspaceId, `/provider-keys/${provider}`), {
        method: 'PUT',
        json: { apiKey },
      }),
    onSuccess: refresh,
  });
}

export function useDeleteWorkspaceKey(workspaceId: string) {
  const refresh = useRefresh(workspaceId);
  return useMutation({
    mutationFn: (provider: KeyProvider) =>
      api<void>(path(workspaceId, `/provider-keys/${provider}`), { method: 'DELETE' }),
    onSuccess: refresh,
  });
}
