/**
 * @module features/board/api/board
 * A repository's board over the REST API (`GET /api/v1/repos/{id}/board`, filtered by words,
 * status and agent), kept live by the repository's stream (`…/board/stream`, lib/use-repo-stream:
 * each message refetches it) and refetched on
 * a timer while the stream is down; the board actions on a card (start, approve, reject with a
 * reason, retry, cancel); creating, editing and deleting cards; a card's runs.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  AgentName,
  Board,
  CreateTaskBody,
  KeepMode,
  PlanMode,
  Run,
  Task,
  UpdateTaskBody,
} from '@lucid/contracts';
import { api } from '../../../lib/api.ts';
import { tasksQueryKey } from '../../../lib/queries/tasks.ts';
import { useRepoStream, type StreamConnection } from '../../../lib/use-repo-stream.ts';
import type { BoardAction } from '../columns.ts';

export function boardQueryKey(repoId: string) {
  return [...tasksQueryKey, 'board', repoId] as const;
}

/** Refetch interval while the stream is open (a safety net) and while it is down. */
const LIVE_REFRESH_MS = 15_000;
const FALLBACK_REFRESH_MS = 3_000;

export type BoardConnection = StreamConnection;

/**
 * Follows the repository's stream: every message means a card (or a branch, and so a card's diff
 * stats) changed, so the cards are refetched. While the stream is down it reconnects with a
 * growing delay and the cards are polled.
 */
export function useBoardStream(repoId: string): BoardConnection {
  const queryClient = useQueryClient();
  return useRepoStream(
    repoId,
    () => void queryClient.invalidateQueries({ queryKey: tasksQueryKey }),
  );
}

/** Finding cards: words in the title or description, a status, an agent; empty means any. */
export interface CardFilters {
  q: string;
  status: string;
  agent: string;
}

/** The board's five columns of cards, filtered as the URL says. */
export function useBoard(repoId: string, filters: CardFilters, connection: BoardConnection) {
  const params = new URLSearchParams();
  if (filters.q.trim()) params.set('q', filters.q.trim());
  if (filters.status) params.set('status', filters.status);
  if (filters.agent) params.set('agent', filters.agent);
  const query = params.toString();
  return useQuery({
    queryKey: [...boardQueryKey(repoId), query],
    queryFn: ({ signal }) =>
      api<Board>(`/api/v1/repos/${encodeURIComponent(repoId)}/board${query ? `?${query}` : ''}`, {
        signal,
      }),
    refetchInterval: connection === 'open' ? LIVE_REFRESH_MS : FALLBACK_REFRESH_MS,
    placeholderData: (previous) => previous,
  });
}

function taskPath(taskId: string, rest = ''): string {
  return `/api/v1/tasks/${encodeURIComponent(taskId)}${rest}`;
}

export interface ActionInput {
  taskId: string;
  action: BoardAction;
  /** Why the result is rejected: given to the card's next run. */
  reason?: string;
}

export function useBoardAction() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ taskId, action, reason }: ActionInput) =>
      api<unknown>(taskPath(taskId, `/${action}`), {
        method: 'POST',
        ...(action === 'reject' ? { json: { reason: reason ?? '' } } : {}),
      }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: tasksQueryKey }),
  });
}

export interface CardInput {
  title: string;
  prompt: string;
  agent: AgentName;
  model?: string | undefined;
  /** The branch the card's work starts from and is merged into; the default branch if absent. */
  baseBranch?: string | undefined;
  /** Plan before coding; the workspace's default when left out. */
  planMode?: PlanMode | undefined;
  /** Best-of-N: this many attempts (2 to 5), started with the card; one when left out. */
  attempts?: number | undefined;
  /** With attempts: who keeps one. */
  keep?: KeepMode | undefined;
}

/** A new card in To Do: a task that is not started. */
export function useCreateCard(repoId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (card: CardInput) =>
      api<{ task: Task }>('/api/v1/tasks', {
        method: 'POST',
        json: {
          repoId,
          title: card.title,
          prompt: card.prompt,
          agent: card.agent,
          ...(card.model ? { model: card.model } : {}),
          ...(card.baseBranch ? { baseBranch: card.baseBranch } : {}),
          ...(card.planMode ? { planMode: card.planMode } : {}),
          ...(card.attempts ? { attempts: card.attempts, keep: card.keep } : {}),
          start: false,
          source: 'board',
        } satisfies Partial<CreateTaskBody>,
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tasksQueryKey }),
  });
}

/** Edits a card: its title at any time; its description, agent and model before it first runs. */
export function useUpdateCard(taskId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: UpdateTaskBody) =>
      api<Task>(taskPath(taskId), { method: 'PATCH', json: change }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tasksQueryKey }),
  });
}

export function useDeleteCard(taskId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api<void>(taskPath(taskId), { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...tasksQueryKey, 'board'] }),
  });
}

export function useRuns(taskId: string) {
  return useQuery({
    queryKey: [...tasksQueryKey, taskId, 'runs'],
    queryFn: ({ signal }) =>
      api<{ runs: Run[] }>(taskPath(taskId, '/runs'), { signal }).then((r) => r.runs),
    refetchInterval: FALLBACK_REFRESH_MS,
  });
}
