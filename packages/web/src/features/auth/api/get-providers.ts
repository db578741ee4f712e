/**
 * @module features/auth/api/get-providers
 * The sign-in methods this server offers.
 */
import { useQuery } from '@tanstack/react-query';
import type { AuthProviders } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';

export function useAuthProviders() {
  return useQuery({
    queryKey: ['auth-providers'],
    queryFn: () => api<AuthProviders>('/api/v1/auth/providers'),
    staleTime: Infinity,
  });
}
