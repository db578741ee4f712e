/**
 * @module features/evals/api/evals
 * Evals over the REST API: the list with each eval's figures, one eval with its results (both
 * read again every few seconds while an eval runs), and cancelling one.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { EvalDetail, EvalList } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';

export const evalsQueryKey = ['evals'] as const;

export function useEvals() {
  return useQuery({
    queryKey: evalsQueryKey,
    queryFn: ({ signal }) => api<EvalList>('/api/v1/evals', { signal }),
    refetchInterval: (query) =>
      query.state.data?.evals.some((run) => run.status === 'running') ? 3000 : false,
  });
}

export function useEval(id: string) {
  return useQuery({
    queryKey: [...evalsQueryKey, id],
    queryFn: ({ signal }) => api<EvalDetail>(`/api/v1/evals/${encodeURIComponent(id)}`, { signal }),
    refetchInterval: (query) => (query.state.data?.status === 'running' ? 2000 : false),
  });
}

export function useCancelEval(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () =>
      api<EvalDetail>(`/api/v1/evals/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
    onSuccess: (answer) => {
      queryClient.setQueryData([...evalsQueryKey, id], answer);
      return queryClient.invalidateQueries({ queryKey: evalsQueryKey });
    },
  });
}
