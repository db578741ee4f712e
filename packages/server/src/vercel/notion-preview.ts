/**
 * @module vercel/notion-preview
 * A ready preview's URL, set on the Notion page a task came from: in the mapping's preview
 * property (a URL property, or text with the link), when the mapping names one.
 */
import { eq } from 'drizzle-orm';
import type { NotionConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import { notionConnections, taskNotionLinks } from '../db/schema.ts';
import { notionClient, notionFailure } from '../notion/client.ts';
import { openNotionToken } from '../notion/connections.ts';
import { mappingOf } from '../notion/databases.ts';
import type { NotionPage } from '../notion/wire.ts';

/**
 * Sets the preview property of the task's Notion page to `url`; nothing when the task came from no
 * page, its connection is gone, or its mapping names no preview property.
 *
 * @example
 * await writeNotionPreview(ctx, { taskId, url: 'https://web-abc.vercel.app' });
 */
export async function writeNotionPreview(
  ctx: { db: Db; encryptionKey: Buffer; notion: NotionConfig },
  { taskId, url }: { taskId: string; url: string },
): Promise<void> {
  const [row] = await ctx.db
    .select({ link: taskNotionLinks, connection: notionConnections })
    .from(taskNotionLinks)
    .innerJoin(notionConnections, eq(notionConnections.id, taskNotionLinks.connectionId))
    .where(eq(taskNotionLinks.taskId, taskId));
  if (!row) return;
  const notionCtx = { ...ctx, publicUrl: '' };
  const mapping = await mappingOf(notionCtx, row.connection.id, row.link.databaseId);
  const property = mapping?.previewProperty;
  if (!property) return;
  try {
    const client = notionClient(ctx.notion, openNotionToken(ctx, row.connection));
    const page = await client.request<NotionPage>({
      path: `pages/${row.link.pageId}`,
      method: 'get',
    });
    const value =
      page.properties[property]?.type === 'rich_text'
        ? { rich_text: [{ type: 'text', text: { content: url, link: { url } } }] }
        : { url };
    await client.request({
      path: `pages/${row.link.pageId}`,
      method: 'patch',
      body: { properties: { [property]: value } },
    });
  } catch (error) {
    throw notionFailure(error);
  }
}
