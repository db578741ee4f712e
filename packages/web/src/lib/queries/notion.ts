/**
 * @module lib/queries/notion
 * Notion over the REST API: the connected Notion workspaces (never their tokens), connecting with
 * an internal integration's secret, disconnecting; a connection's databases, a database's schema
 * and mapping, its pages, one page as Markdown; a task started from a page, and the page a task
 * came from. Shared by Settings → Integrations, New task and the task page.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  CreateNotionTaskBody,
  NotionConnection,
  NotionDatabaseDetail,
  NotionDatabaseList,
  NotionMapping,
  NotionMappingBody,
  NotionPageDetail,
  NotionPageList,
  NotionStatus,
  TaskNotionLink,
} from '@lucid/contracts';
import { api } from '../api.ts';
import { tasksQueryKey, type CreatedTask } from './tasks.ts';

const notionKey = ['notion'] as const;

/** The page that starts connecting Notion by OAuth, coming back to `returnTo`. */
export function notionAuthorizeHref(returnTo?: string): string {
  const query = returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : '';
  return `/api/integrations/notion/auth${query}`;
}

export function useNotionStatus() {
  return useQuery({
    queryKey: [...notionKey, 'status'],
    queryFn: ({ signal }) => api<NotionStatus>('/api/integrations/notion', { signal }),
  });
}

export function useConnectNotion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (token: string) =>
      api<NotionConnection>('/api/integrations/notion/token', { method: 'POST', json: { token } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: notionKey }),
  });
}

export function useDisconnectNotion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      api<void>(`/api/integrations/notion/connections/${encodeURIComponent(id)}`, {
        method: 'DELETE',
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: notionKey }),
  });
}

export function useNotionDatabases(connectionId: string, q: string, cursor: string | null) {
  const params = new URLSearchParams({ connectionId });
  if (q.trim()) params.set('q', q.trim());
  if (cursor) params.set('cursor', cursor);
  return useQuery({
    queryKey: [...notionKey, 'databases', connectionId, q.trim(), cursor],
    queryFn: ({ signal }) =>
      api<NotionDatabaseList>(`/api/v1/notion/databases?${params.toString()}`, { signal }),
    placeholderData: keepPreviousData,
    enabled: connectionId !== '',
  });
}

export function useNotionDatabase(connectionId: string, databaseId: string) {
  return useQuery({
    queryKey: [...notionKey, 'database', connectionId, databaseId],
    queryFn: ({ signal }) =>
      api<NotionDatabaseDetail>(
        `/api/v1/notion/databases/${encodeURIComponent(databaseId)}?connectionId=${encodeURIComponent(connectionId)}`,
        { signal },
      ),
    enabled: connectionId !== '' && databaseId !== '',
  });
}

export function useSaveNotionMapping(connectionId: string, databaseId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: NotionMappingBody) =>
      api<NotionMapping>(
        `/api/v1/notion/databases/${encodeURIComponent(databaseId)}/mapping?connectionId=${encodeURIComponent(connectionId)}`,
        { method: 'PUT', json: body },
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: notionKey }),
  });
}

export function useNotionPages(
  connectionId: string,
  databaseId: string,
  filter: { q: string; status: string; cursor: string | null },
) {
  const params = new URLSearchParams({ connectionId, limit: '10' });
  if (filter.q.trim()) params.set('q', filter.q.trim());
  if (filter.status) params.set('status', filter.status);
  if (filter.cursor) params.set('cursor', filter.cursor);
  return useQuery({
    queryKey: [...notionKey, 'pages', connectionId, databaseId, params.toString()],
    queryFn: ({ signal }) =>
      api<NotionPageList>(
        `/api/v1/notion/databases/${encodeURIComponent(databaseId)}/pages?${params.toString()}`,
        { signal },
      ),
    placeholderData: keepPreviousData,
    enabled: connectionId !== '' && databaseId !== '',
  });
}

export function useNotionPage(connectionId: string, pageId: string) {
  return useQuery({
    queryKey: [...notionKey, 'page', connectionId, pageId],
    queryFn: ({ signal }) =>
      api<NotionPageDetail>(
        `/api/v1/notion/pages/${encodeURIComponent(pageId)}?connectionId=${encodeURIComponent(connectionId)}`,
        { signal },
      ),
    enabled: connectionId !== '' && pageId !== '',
  });
}

export function useCreateNotionTask() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (
      input: Omit<CreateNotionTaskBody, 'start' | 'agent'> & Partial<CreateNotionTaskBody>,
    ) => api<CreatedTask>('/api/v1/notion/tasks', { method: 'POST', json: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tasksQueryKey }),
  });
}

/**
 * The Notion page a task came from, or null; read again whenever `version` changes (the last
 * write-back Lucid made to the page).
 */
export function useTaskNotionLink(taskId: string, version = 0) {
  return useQuery<TaskNotionLink | null>({
    queryKey: [...notionKey, 'task', taskId, version],
    placeholderData: keepPreviousData,
    queryFn: ({ signal }) =>
      api<{ link: TaskNotionLink | null }>(`/api/v1/tasks/${encodeURIComponent(taskId)}/notion`, {
        signal,
      }).then((answer) => answer.link),
  });
}
