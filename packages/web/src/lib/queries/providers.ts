/**
 * @module lib/queries/providers
 * The models tasks can use, who configures each provider (the user's key, the server, no one), and
 * the user's own provider keys: list, save (checked by the server), remove. A key is sent once and
 * never read back; only its hint is listed.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  KeyProvider,
  ModelInfo,
  ProviderKey,
  ProviderKeyList,
  ProviderStatus,
  ProviderStatusList,
  PutProviderKeyBody,
} from '@lucid/contracts';
import { api } from '../api.ts';
import { useActiveWorkspace } from '../active-workspace.ts';

export const modelsQueryKey = ['models'] as const;
export const providerKeysQueryKey = ['provider-keys'] as const;

/** The models tasks in the active workspace can use: by the server's, the user's and its keys. */
export function useModels() {
  const workspaceId = useActiveWorkspace().workspace?.id;
  const query = workspaceId ? `?workspaceId=${encodeURIComponent(workspaceId)}` : '';
  return useQuery({
    queryKey: [...modelsQueryKey, workspaceId ?? null],
    queryFn: ({ signal }) =>
      api<{ models: ModelInfo[] }>(`/api/v1/models${query}`, { signal }).then((r) => r.models),
  });
}

/** Per provider: configured by the user's key, by the server, or not available. */
export function useProviderStatuses() {
  return useQuery({
    queryKey: [...providerKeysQueryKey, 'statuses'],
    queryFn: ({ signal }) =>
      api<ProviderStatusList>('/api/v1/settings/providers', { signal }).then(
        (r): ProviderStatus[] => r.providers,
      ),
  });
}

export function useProviderKeys() {
  return useQuery({
    queryKey: providerKeysQueryKey,
    queryFn: ({ signal }) =>
      api<ProviderKeyList>('/api/v1/settings/provider-keys', { signal }).then((r) => r.keys),
  });
}

function keyPath(provider: KeyProvider): string {
  return `/api/v1/settings/provider-keys/${encodeURIComponent(provider)}`;
}

export function useSaveProviderKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ provider, ...body }: PutProviderKeyBody & { provider: KeyProvider }) =>
      api<ProviderKey>(keyPath(provider), { method: 'PUT', json: body }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: providerKeysQueryKey });
      await queryClient.invalidateQueries({ queryKey: modelsQueryKey });
    },
  });
}

export function useDeleteProviderKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (provider: KeyProvider) => api<void>(keyPath(provider), { method: 'DELETE' }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: providerKeysQueryKey });
      await queryClient.invalidateQueries({ queryKey: modelsQueryKey });
    },
  });
}
