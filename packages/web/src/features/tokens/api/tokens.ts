/**
 * @module features/tokens/api/tokens
 * Personal API tokens: list, create (the secret comes back once), revoke.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiTokenList, CreateTokenBody, CreatedApiToken } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';

export const tokensQueryKey = ['tokens'] as const;

export function useTokens() {
  return useQuery({
    queryKey: tokensQueryKey,
    queryFn: ({ signal }) => api<ApiTokenList>('/api/v1/tokens', { signal }).then((r) => r.tokens),
  });
}

export function useCreateToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateTokenBody) =>
      api<CreatedApiToken>('/api/v1/tokens', { method: 'POST', json: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tokensQueryKey }),
  });
}

export function useRevokeToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      api<void>(`/api/v1/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tokensQueryKey }),
  });
}
