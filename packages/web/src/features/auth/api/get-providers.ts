/**
 * @module features/auth/api/get-providers
 * The sign-in methods this server offers, who may sign up, and whether no account exists yet.
 */
import { useQuery } from '@tanstack/react-query';
import type { AuthProviders } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';

export const authProvidersQueryKey = ['auth-providers'] as const;

export function useAuthProviders() {
  return useQuery({
    queryKey: authProvidersQueryKey,
    queryFn: () => api<AuthProviders>('/api/v1/auth/providers'),
    staleTime: Infinity,
  });
}
