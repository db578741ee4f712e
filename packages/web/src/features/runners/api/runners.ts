/**
 * @module features/runners/api/runners
 * The runners over the REST API: the list with the pool's figures (refreshed every few seconds),
 * scaling the server's own runner and removing a remote runner (instance admins), minting a token
 * for `lucid runner` on another host, and whether the signed-in user is an instance admin
 * (`GET /api/v1/me`).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Me, Runner, RunnerPool } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';

export const runnersQueryKey = ['runners'] as const;

/** The runners with the pool's figures. */
export interface RunnerListAnswer {
  runners: Runner[];
  pool: RunnerPool;
}

export function useRunners() {
  return useQuery({
    queryKey: runnersQueryKey,
    queryFn: ({ signal }) => api<RunnerListAnswer>('/api/v1/runners', { signal }),
    refetchInterval: 3000,
  });
}

export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: ({ signal }) => api<Me>('/api/v1/me', { signal }),
    staleTime: 60_000,
  });
}

export function useScaleRunner() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (slots: number) =>
      api<RunnerListAnswer>('/api/v1/runners/scale', { method: 'POST', json: { slots } }),
    onSuccess: (answer) => queryClient.setQueryData(runnersQueryKey, answer),
  });
}

export function useCreateRunnerToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) =>
      api<{ id: string; name: string; token: string }>('/api/v1/runners/tokens', {
        method: 'POST',
        json: { name },
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: runnersQueryKey }),
  });
}

/** Removes a remote runner (instance admins): its token stops working at once. */
export function useRemoveRunner() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (runnerId: string) =>
      api<void>(`/api/v1/runners/${encodeURIComponent(runnerId)}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: runnersQueryKey }),
  });
}
