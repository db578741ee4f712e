/**
 * @module notion/task-links
 * A task started from a Notion page, and the link it keeps to the page (its id, address, title and
 * database) so the task page shows a Notion card and the page's status can later be written back.
 */
import { eq } from 'drizzle-orm';
import type { CreateNotionTaskBody, TaskNotionLink } from '@lucid/contracts';
import { notionConnections, taskNotionLinks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { loadTask, type CreateTaskInput } from '../tasks/tasks.ts';
import { notionClient } from './client.ts';
import { openNotionToken, type NotionContext } from './connections.ts';
import { mappingOf, normalId } from './databases.ts';
import { notionPageDetail } from './pages.ts';
import { pageStatus, type NotionPage } from './wire.ts';
import { enqueueNotionStatus } from './write-back.ts';

/**
 * Starts a task from a Notion page: the page is read again (title, address, database, status),
 * the task is created with source `notion` with the repository and base branch given, and the link
 * to the page is stored, with the job moving the page to in progress when the task started.
 *
 * @example
 * const { task } = await startTaskFromNotion(ctx, { actor, body, create });
 */
export async function startTaskFromNotion<
  T extends { id: string },
  R extends { id: string } | null,
>(
  ctx: NotionContext,
  {
    actor,
    body,
    create,
  }: {
    actor: Principal;
    body: CreateNotionTaskBody;
    create: (input: CreateTaskInput) => Promise<{ task: T; run: R }>;
  },
): Promise<{ task: T; run: R; link: TaskNotionLink }> {
  const { pageId, connectionId, ...input } = body;
  const page = await notionPageDetail(ctx, { userId: actor.userId, connectionId, pageId });
  if (!page.databaseId) {
    throw new AppError(
      'bad_request',
      'This Notion page is not in a database: start tasks from the pages of a mapped database.',
    );
  }
  const created = await create({ ...input, title: input.title ?? page.title, source: 'notion' });
  const link = {
    pageId: normalId(page.id),
    url: page.url,
    title: page.title,
    databaseId: normalId(page.databaseId),
    status: page.status,
  };
  await ctx.db.transaction(async (tx) => {
    await tx.insert(taskNotionLinks).values({
      taskId: created.task.id,
      connectionId: page.connectionId,
      dataSourceId: page.dataSourceId,
      ...link,
    });
    // The run was queued before the link existed: its page moves to in progress from here.
    if (created.run) {
      await enqueueNotionStatus(tx, {
        taskId: created.task.id,
        stage: 'inProgress',
        key: created.run.id,
      });
    }
  });
  return { ...created, link };
}

/**
 * The Notion page a task came from, its status read from Notion now when it can be (the stored
 * one otherwise), or null for a task that did not come from Notion.
 *
 * @example
 * const link = await taskNotionLink(ctx, { userId, taskId });
 */
export async function taskNotionLink(
  ctx: NotionContext,
  { userId, taskId }: { userId: string; taskId: string },
): Promise<TaskNotionLink | null> {
  await loadTask(ctx.db, userId, taskId);
  const [row] = await ctx.db
    .select({ link: taskNotionLinks, connection: notionConnections })
    .from(taskNotionLinks)
    .leftJoin(notionConnections, eq(notionConnections.id, taskNotionLinks.connectionId))
    .where(eq(taskNotionLinks.taskId, taskId));
  if (!row) return null;
  const { link, connection } = row;
  let status = link.status;
  if (connection) {
    try {
      const page = await notionClient(
        ctx.notion,
        openNotionToken(ctx, connection),
      ).request<NotionPage>({ path: `pages/${link.pageId}`, method: 'get' });
      const mapping = await mappingOf(ctx, connection.id, link.databaseId);
      const property =
        mapping?.statusProperty ??
        Object.entries(page.properties).find(([, p]) => p.type === 'status')?.[0] ??
        null;
      status = pageStatus(page, property) ?? status;
    } catch {
      // Notion unreachable or the page gone: the card shows what was stored.
    }
  }
  return {
    pageId: link.pageId,
    url: link.url,
    title: link.title,
    databaseId: link.databaseId,
    status,
  };
}
