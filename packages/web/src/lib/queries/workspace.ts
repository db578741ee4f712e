/**
 * @module lib/queries/workspace
 * A task's files, one file's content and its diff against the base branch, read from its sandbox
 * or its branch. `version` is part of each key, so a newer `file.changed` reloads them.
 */
import { useQuery } from '@tanstack/react-query';
import type { FileContent, FileList, TaskDiff } from '@lucid/contracts';
import { api } from '../api.ts';

function taskPath(taskId: string, rest: string): string {
  return `/api/v1/tasks/${encodeURIComponent(taskId)}/${rest}`;
}

export function useFiles(taskId: string, path: string, version: number, enabled = true) {
  return useQuery({
    queryKey: ['tasks', taskId, 'files', path, version],
    queryFn: ({ signal }) =>
      api<FileList>(taskPath(taskId, `files?path=${encodeURIComponent(path)}`), { signal }),
    placeholderData: (previous) => previous,
    enabled,
  });
}

export function useFileContent(taskId: string, path: string | null, version: number) {
  return useQuery({
    queryKey: ['tasks', taskId, 'file', path, version],
    queryFn: ({ signal }) =>
      api<FileContent>(taskPath(taskId, `files/content?path=${encodeURIComponent(path ?? '')}`), {
        signal,
      }),
    placeholderData: (previous) => previous,
    enabled: path !== null,
  });
}

export function useDiff(taskId: string, version: number, enabled: boolean) {
  return useQuery({
    queryKey: ['tasks', taskId, 'diff', version],
    queryFn: ({ signal }) => api<TaskDiff>(taskPath(taskId, 'diff'), { signal }),
    placeholderData: (previous) => previous,
    enabled,
  });
}
