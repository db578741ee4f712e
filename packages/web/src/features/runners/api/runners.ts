/**
 * @module features/runners/api/runners
 * The runners over the REST API: the list (refreshed every few seconds), scaling the server's own
 * runner (instance admins), minting a token for `lucid runner` on another host, and whether the
 * signed-in user is an instance admin (`GET /api/v1/me`).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Me, Runner } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';

export const runnersQueryKey = ['runners'] as const;

export function useRunners() {
  return useQuery({
    queryKey: runnersQueryKey,
    queryFn: ({ signal }) =>
      api<{ runners: Runner[] }>('/api/v1/runners', { signal }).then((r) => r.runners),
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
      api<{ runners: Runner[] }>('/api/v1/runners/scale', { method: 'POST', json: { slots } }),
    onSuccess: (answer) => queryClient.setQueryData(runnersQueryKey, answer.runners),
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

/** What the pool holds: runners online, slots, runs in progress and free slots. */
export function poolStats(runners: readonly Runner[]) {
  const online = runners.filter((r) => r.status !== 'offline');
  const slots = online.reduce((sum, r) => sum + r.capacity, 0);
  const running = online.reduce((sum, r) => sum + r.currentRuns.length, 0);
  return {
    runners: runners.length,
    online: online.length,
    slots,
    running,
    free: Math.max(0, slots - running),
  };
}
