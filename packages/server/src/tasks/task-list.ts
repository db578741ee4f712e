/**
 * @module tasks/task-list
 * The conversations list: the tasks of every workspace the user is a member of, most recently
 * updated first, each with its repository's name.
 */
import { and, desc, eq, ilike, isNull, ne, or, type SQL } from 'drizzle-orm';
import type { TaskStatus } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { repositories, tasks, workspaceMembers, workspaces } from '../db/schema.ts';
import type { TaskRow } from './runs.ts';

export interface TaskListFilter {
  repoId?: string | undefined;
  workspaceId?: string | undefined;
  status?: TaskStatus | undefined;
  /** Matches the title or the prompt, case-insensitively. */
  q?: string | undefined;
  limit: number;
}

/**
 * @example
 * const rows = await listTasks(db, { userId, filter: { status: 'running', limit: 50 } });
 */
export async function listTasks(
  db: Db,
  { userId, filter }: { userId: string; filter: TaskListFilter },
): Promise<{ task: TaskRow; repoName: string; workspaceName: string }[]> {
  // Attempts are read through their best-of-N task; an eval's tasks through their eval.
  const conditions: (SQL | undefined)[] = [
    eq(workspaceMembers.userId, userId),
    isNull(tasks.attemptOf),
    ne(tasks.source, 'eval'),
  ];
  if (filter.repoId) conditions.push(eq(tasks.repoId, filter.repoId));
  if (filter.workspaceId) conditions.push(eq(tasks.workspaceId, filter.workspaceId));
  if (filter.status) conditions.push(eq(tasks.status, filter.status));
  if (filter.q) {
    const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(or(ilike(tasks.title, pattern), ilike(tasks.prompt, pattern)));
  }
  return db
    .select({ task: tasks, repoName: repositories.name, workspaceName: workspaces.name })
    .from(tasks)
    .innerJoin(workspaceMembers, eq(workspaceMembers.workspaceId, tasks.workspaceId))
    .innerJoin(workspaces, eq(workspaces.id, tasks.workspaceId))
    .innerJoin(repositories, eq(repositories.id, tasks.repoId))
    .where(and(...conditions))
    .orderBy(desc(tasks.updatedAt), desc(tasks.id))
    .limit(filter.limit);
}
