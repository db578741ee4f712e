/**
 * Helpers for tests that run tasks: make a repository with a first commit, start a task, and wait
 * for it to reach a status.
 */
import { expect } from 'vitest';
import { request, type TestUser } from './client.ts';
import { authedUrl, gitOk, makeLocalRepo } from './git.ts';

export interface TaskView {
  id: string;
  status: string;
  branch: string;
}

export interface EventView {
  seq: number;
  type: string;
  [key: string]: unknown;
}

/** A repository on the server holding one commit on main, in `workspaceId` when given. */
export async function pushedRepo(
  baseUrl: string,
  user: TestUser,
  name: string,
  workspaceId?: string,
) {
  const repo = await request<{ id: string; cloneUrl: string }>(baseUrl, 'POST', '/api/v1/repos', {
    token: user.token,
    json: { name, ...(workspaceId ? { workspaceId } : {}) },
  });
  expect(repo.status).toBe(201);
  const local = await makeLocalRepo({ 'README.md': `# ${name}\n` });
  await gitOk(['push', '--quiet', authedUrl(repo.body.cloneUrl, user.token), 'main'], local);
  return repo.body;
}

export async function startTask(
  baseUrl: string,
  user: TestUser,
  json: { repoId: string; prompt: string; commands: string[] },
): Promise<{ task: TaskView; run: { id: string } }> {
  const created = await request<{ task: TaskView; run: { id: string } }>(
    baseUrl,
    'POST',
    '/api/v1/tasks',
    { token: user.token, json },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

/** Polls the task until its status is one of `statuses`; fails after `timeoutMs`. */
export async function waitForStatus(
  baseUrl: string,
  user: TestUser,
  taskId: string,
  statuses: string[],
  timeoutMs = 30_000,
): Promise<TaskView> {
  const deadline = Date.now() + timeoutMs;
  let last: TaskView | undefined;
  while (Date.now() < deadline) {
    last = (
      await request<TaskView>(baseUrl, 'GET', `/api/v1/tasks/${taskId}`, { token: user.token })
    ).body;
    if (statuses.includes(last.status)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`task ${taskId} stayed ${last?.status}, never reached ${statuses.join(' or ')}`);
}

export async function taskEvents(
  baseUrl: string,
  user: TestUser,
  taskId: string,
): Promise<EventView[]> {
  const response = await request<{ events: EventView[] }>(
    baseUrl,
    'GET',
    `/api/v1/tasks/${taskId}/events`,
    {
      token: user.token,
    },
  );
  return response.body.events;
}

/** All stdout the task's commands printed, joined. */
export function stdoutOf(events: EventView[]): string {
  return events
    .filter((e) => e.type === 'tool.output' && e.stream === 'stdout')
    .map((e) => String(e.chunk))
    .join('');
}
