/**
 * @module lib/use-me
 * The signed-in user as the REST API describes them (`GET /api/v1/me`): their workspaces and
 * whether they are an instance admin.
 */
import { useQuery } from '@tanstack/react-query';
import type { Me } from '@lucid/contracts';
import { api } from './api.ts';

export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: ({ signal }) => api<Me>('/api/v1/me', { signal }),
    staleTime: 60_000,
  });
}
