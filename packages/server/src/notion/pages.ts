/**
 * @module notion/pages
 * The pages of a mapped database, as the task picker lists them (searched by title, filtered by
 * status, a page at a time), and one page with its body as Markdown and the prompt a task
 * started from it begins with.
 */
import type { NotionPageDetail, NotionPageList, NotionPageSummary } from '@lucid/contracts';
import { notionClient, withNotion } from './client.ts';
import { notionConnectionFor, type NotionContext } from './connections.ts';
import { mappingOf, notionDatabaseDetail, usesDataSources } from './databases.ts';
import { readBlocks, treesMarkdown } from './markdown.ts';
import { pageStatus, pageTitle, type NotionList, type NotionPage } from './wire.ts';

function summary(page: NotionPage, statusProperty: string | null): NotionPageSummary {
  return {
    id: page.id,
    title: pageTitle(page),
    url: page.url,
    status: pageStatus(page, statusProperty),
    lastEditedAt: page.last_edited_time,
  };
}

/**
 * A database's pages, most recently edited first, searched by title and filtered by the status
 * property's option (the mapping's status property, or the one guessed).
 *
 * @example
 * await listNotionPages(ctx, { userId, databaseId, status: 'Not started', limit: 20 });
 */
export async function listNotionPages(
  ctx: NotionContext,
  {
    userId,
    connectionId,
    databaseId,
    q,
    status,
    cursor,
    limit,
  }: {
    userId: string;
    connectionId?: string | undefined;
    databaseId: string;
    q?: string | undefined;
    status?: string | undefined;
    cursor?: string | undefined;
    limit: number;
  },
): Promise<NotionPageList> {
  const detail = await notionDatabaseDetail(ctx, { userId, connectionId, databaseId });
  const { token } = await notionConnectionFor(ctx, userId, detail.connection.id);
  const statusName = detail.mapping?.statusProperty ?? detail.suggested.statusProperty;
  const statusProperty = detail.properties.find((p) => p.name === statusName) ?? null;
  const filters: Record<string, unknown>[] = [];
  if (q && detail.titleProperty) {
    filters.push({ property: detail.titleProperty, title: { contains: q } });
  }
  if (status && statusProperty) {
    const kind = statusProperty.type === 'status' ? 'status' : 'select';
    filters.push({ property: statusProperty.name, [kind]: { equals: status } });
  }
  const filter = filters.length > 1 ? { and: filters } : filters[0];
  const path =
    usesDataSources(ctx) && detail.database.dataSourceId
      ? `data_sources/${detail.database.dataSourceId}/query`
      : `databases/${detail.database.id}/query`;
  const client = notionClient(ctx.notion, token);
  const list = await withNotion(() =>
    client.request<NotionList<NotionPage>>({
      path,
      method: 'post',
      body: {
        ...(filter ? { filter } : {}),
        sorts: [{ timestamp: 'last_edited_time', direction: 'descending' }],
        page_size: limit,
        ...(cursor ? { start_cursor: cursor } : {}),
      },
    }),
  );
  return {
    pages: list.results.map((page) => summary(page, statusProperty?.name ?? null)),
    nextCursor: list.has_more ? list.next_cursor : null,
  };
}

/** The prompt a task started from a page begins with: its title, its body and its address. */
export function pagePrompt(title: string, markdown: string, url: string): string {
  return `# ${title}\n\n${markdown ? `${markdown}\n\n` : ''}Notion page: ${url}`;
}

/**
 * A page with its body as Markdown (every page of its children, nested ones too) and the prompt
 * it makes.
 *
 * @example
 * const { title, markdown, prompt } = await notionPageDetail(ctx, { userId, pageId });
 */
export async function notionPageDetail(
  ctx: NotionContext,
  {
    userId,
    connectionId,
    pageId,
  }: { userId: string; connectionId?: string | undefined; pageId: string },
): Promise<NotionPageDetail & { connectionId: string; dataSourceId: string | null }> {
  const { row, token } = await notionConnectionFor(ctx, userId, connectionId);
  const client = notionClient(ctx.notion, token);
  const page = await withNotion(() =>
    client.request<NotionPage>({ path: `pages/${pageId}`, method: 'get' }),
  );
  const databaseId = page.parent.database_id ?? null;
  const mapping = databaseId ? await mappingOf(ctx, row.id, databaseId) : null;
  const statusProperty =
    mapping?.statusProperty ??
    Object.entries(page.properties).find(([, p]) => p.type === 'status')?.[0] ??
    null;
  const markdown = treesMarkdown(await readBlocks(client, page.id));
  const base = summary(page, statusProperty);
  return {
    ...base,
    databaseId,
    markdown,
    prompt: pagePrompt(base.title, markdown, page.url),
    connectionId: row.id,
    dataSourceId: page.parent.data_source_id ?? mapping?.dataSourceId ?? null,
  };
}
