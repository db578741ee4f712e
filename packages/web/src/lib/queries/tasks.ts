/**
 * @module lib/queries/tasks
 * Tasks over the REST API: the list (refreshed every few seconds, so statuses stay current), one
 * task with the totals of its runs, creating one, renaming and deleting one, follow-up messages,
 * stopping a run, approving or rejecting its work, approving (edited) or rejecting its plan, and
 * its pipeline's timeline with the retry a failed stage offers.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  ApproveResult,
  Plan,
  CreateTaskBody,
  PostedMessage,
  Run,
  Task,
  TaskDetail,
  TaskList,
  TaskStatus,
  TaskTimeline,
  TimelineRetry,
  UpdateTaskBody,
} from '@lucid/contracts';
import { api } from '../api.ts';
import { useActiveWorkspace } from '../active-workspace.ts';

export const tasksQueryKey = ['tasks'] as const;

export function taskQueryKey(id: string) {
  return ['tasks', id] as const;
}

export interface TaskFilters {
  repoId?: string | undefined;
  status?: TaskStatus | undefined;
  q?: string | undefined;
}

/** How often lists and pages ask again for statuses that the stream does not carry. */
const REFRESH_MS = 3000;

/** The tasks of the active workspace that match the filters. */
export function useTasks(filters: TaskFilters) {
  const { workspace } = useActiveWorkspace();
  const params = new URLSearchParams();
  if (workspace) params.set('workspaceId', workspace.id);
  if (filters.repoId) params.set('repoId', filters.repoId);
  if (filters.status) params.set('status', filters.status);
  if (filters.q?.trim()) params.set('q', filters.q.trim());
  const query = params.toString();
  return useQuery({
    queryKey: [...tasksQueryKey, 'list', query],
    queryFn: ({ signal }) =>
      api<TaskList>(`/api/v1/tasks${query ? `?${query}` : ''}`, { signal }).then((r) => r.tasks),
    refetchInterval: REFRESH_MS,
    placeholderData: (previous) => previous,
    enabled: workspace !== undefined,
  });
}

export function useTask(id: string) {
  return useQuery({
    queryKey: taskQueryKey(id),
    queryFn: ({ signal }) => api<TaskDetail>(`/api/v1/tasks/${encodeURIComponent(id)}`, { signal }),
    refetchInterval: REFRESH_MS,
  });
}

export interface CreatedTask {
  task: Task;
  run: Run | null;
}

export function useCreateTask() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: Omit<CreateTaskBody, 'start' | 'agent'> & Partial<CreateTaskBody>) =>
      api<CreatedTask>('/api/v1/tasks', { method: 'POST', json: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tasksQueryKey }),
  });
}

export function useRenameTask(taskId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (title: string) =>
      api<Task>(`/api/v1/tasks/${encodeURIComponent(taskId)}`, {
        method: 'PATCH',
        json: { title } satisfies UpdateTaskBody,
      }),
    onSuccess: (task) => {
      queryClient.setQueryData(taskQueryKey(taskId), (old: TaskDetail | undefined) =>
        old ? { ...old, ...task } : old,
      );
      return queryClient.invalidateQueries({ queryKey: [...tasksQueryKey, 'list'] });
    },
  });
}

/**
 * Deletes a task; the server refuses (409) while one of its runs is queued or running. The task's
 * own query is left alone (refetching it would answer 404): the page leaves on success.
 */
export function useDeleteTask(taskId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () =>
      api<void>(`/api/v1/tasks/${encodeURIComponent(taskId)}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...tasksQueryKey, 'list'] }),
  });
}

export function usePostMessage(taskId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (text: string) =>
      api<PostedMessage>(`/api/v1/tasks/${encodeURIComponent(taskId)}/messages`, {
        method: 'POST',
        json: { text },
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: taskQueryKey(taskId) }),
  });
}

/** Where the task's work can be downloaded as a patch file (`git format-patch` of its branch). */
export function patchUrl(taskId: string): string {
  return `/api/v1/tasks/${encodeURIComponent(taskId)}/patch`;
}

/** Where a finished run can be downloaded as its trajectory (`lucid eval replay` plays it back). */
export function runExportUrl(runId: string): string {
  return `/api/v1/runs/${encodeURIComponent(runId)}/export`;
}

/** Approves the task's work (merging its branch) or rejects it with a reason, as the board does. */
export function useReviewTask(taskId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (review: { decision: 'approve' } | { decision: 'reject'; reason: string }) =>
      api<ApproveResult | Task>(`/api/v1/tasks/${encodeURIComponent(taskId)}/${review.decision}`, {
        method: 'POST',
        ...(review.decision === 'reject' ? { json: { reason: review.reason } } : {}),
      }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: tasksQueryKey }),
  });
}

/** Approves the task's plan, as proposed or edited (the coding run starts), or rejects it with a note. */
export function usePlanDecision(taskId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (decision: { approve: true; plan?: Plan } | { approve: false; note: string }) =>
      api<Run | Task>(
        `/api/v1/tasks/${encodeURIComponent(taskId)}/plan/${decision.approve ? 'approve' : 'reject'}`,
        {
          method: 'POST',
          json: decision.approve
            ? decision.plan
              ? { plan: decision.plan }
              : {}
            : { note: decision.note },
        },
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: tasksQueryKey }),
  });
}

export function useStopTask(taskId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () =>
      api<unknown>(`/api/v1/tasks/${encodeURIComponent(taskId)}/stop`, { method: 'POST' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: taskQueryKey(taskId) }),
  });
}

/** Allows findings of the task's last secret scan once, as false positives; Lucid pushes again. */
export function useAllowFindings(taskId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (fingerprints: string[]) =>
      api<{ allowed: number }>(`/api/v1/tasks/${encodeURIComponent(taskId)}/safety/allow`, {
        method: 'POST',
        json: { fingerprints },
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: taskQueryKey(taskId) }),
  });
}

/**
 * A task's timeline, asked again whenever `version` changes (the sequence number of the last event
 * that moves a stage), keeping the previous answer on screen meanwhile.
 */
export function useTaskTimeline(taskId: string, version: number) {
  return useQuery({
    queryKey: [...taskQueryKey(taskId), 'timeline', version],
    queryFn: ({ signal }) =>
      api<TaskTimeline>(`/api/v1/tasks/${encodeURIComponent(taskId)}/timeline`, { signal }),
    placeholderData: (previous) => previous,
    refetchInterval: REFRESH_MS,
  });
}

/** Sends the retry a failed stage of the timeline offers, as the server described it. */
export function useTimelineRetry(taskId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (retry: TimelineRetry) =>
      api<unknown>(retry.path, {
        method: retry.method,
        ...(retry.body ? { json: retry.body } : {}),
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: taskQueryKey(taskId) }),
  });
}
