/**
 * @module notion/databases
 * The databases a Notion connection reaches and their schemas, on either API version: on
 * 2025-09-03 a database holds data sources (Lucid reads its first), found by searching for data
 * sources and read at `/v1/data_sources/{id}`; on 2022-06-28 the database is the table itself.
 */
import type { Client } from '@notionhq/client';
import { and, eq } from 'drizzle-orm';
import type {
  NotionDatabase,
  NotionDatabaseDetail,
  NotionDatabaseList,
  NotionMapping,
  NotionMappingBody,
  NotionProperty,
} from '@lucid/contracts';
import { notionMappings, users } from '../db/schema.ts';
import { notionClient, withNotion } from './client.ts';
import {
  notionConnectionFor,
  type NotionConnectionRow,
  type NotionContext,
} from './connections.ts';
import { iconText, plainText, type NotionContainer, type NotionList } from './wire.ts';

/** A database's schema: where its pages are queried, and its properties. */
export interface DatabaseSchema {
  database: NotionDatabase;
  properties: NotionProperty[];
  /** The title property's name (queried by the picker's search). */
  titleProperty: string | null;
}

/** The API version's own word for the tables Lucid lists. */
export function usesDataSources(ctx: NotionContext): boolean {
  return ctx.notion.version === '2025-09-03';
}

type MappingRow = typeof notionMappings.$inferSelect;

function toMapping(row: MappingRow, pickupBy: string | null): NotionMapping {
  return {
    databaseId: row.databaseId,
    dataSourceId: row.dataSourceId,
    repoId: row.repoId,
    baseBranch: row.baseBranch,
    statusProperty: row.statusProperty,
    statusOptions: row.statusOptions,
    prLinkProperty: row.prLinkProperty,
    previewProperty: row.previewProperty,
    pickupStatus: row.pickupStatus,
    pickup:
      row.pickupStatus === null
        ? null
        : {
            startedBy: pickupBy,
            lastPolledAt: row.pickupPolledAt?.toISOString() ?? null,
            error: row.pickupError,
            stopped: row.pickupStopped,
          },
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Notion's ids with and without dashes name the same object: Lucid stores them undashed. */
export function normalId(id: string): string {
  return id.replace(/-/g, '').toLowerCase();
}

/** The mapping of a database on a connection, or null. */
export async function mappingOf(
  ctx: NotionContext,
  connectionId: string,
  databaseId: string,
): Promise<NotionMapping | null> {
  const [row] = await ctx.db
    .select({ mapping: notionMappings, pickupBy: users.name })
    .from(notionMappings)
    .leftJoin(users, eq(users.id, notionMappings.pickupUserId))
    .where(
      and(
        eq(notionMappings.connectionId, connectionId),
        eq(notionMappings.databaseId, normalId(databaseId)),
      ),
    );
  return row ? toMapping(row.mapping, row.pickupBy) : null;
}

/**
 * The databases the connection reaches, one page of Notion's search at a time, each saying
 * whether it is mapped to a repository.
 *
 * @example
 * await listNotionDatabases(ctx, { userId, q: 'Sprint' }); // → { databases: [{ id, title: 'Sprint board', … }], nextCursor: null }
 */
export async function listNotionDatabases(
  ctx: NotionContext,
  {
    userId,
    connectionId,
    q,
    cursor,
  }: {
    userId: string;
    connectionId?: string | undefined;
    q?: string | undefined;
    cursor?: string | undefined;
  },
): Promise<NotionDatabaseList> {
  const { row, token } = await notionConnectionFor(ctx, userId, connectionId);
  const client = notionClient(ctx.notion, token);
  const list = await withNotion(() =>
    client.request<NotionList<NotionContainer>>({
      path: 'search',
      method: 'post',
      body: {
        ...(q ? { query: q } : {}),
        filter: { property: 'object', value: usesDataSources(ctx) ? 'data_source' : 'database' },
        page_size: 20,
        ...(cursor ? { start_cursor: cursor } : {}),
      },
    }),
  );
  const mapped = new Set(
    (
      await ctx.db
        .select({ databaseId: notionMappings.databaseId })
        .from(notionMappings)
        .where(eq(notionMappings.connectionId, row.id))
    ).map((m) => m.databaseId),
  );
  const databases = list.results.map((found) => {
    const database = containerDatabase(found);
    return { ...database, mapped: mapped.has(normalId(database.id)) };
  });
  return { databases, nextCursor: list.has_more ? list.next_cursor : null };
}

/** A database (2022) or a data source (2025) as the database Lucid lists. */
function containerDatabase(found: NotionContainer): NotionDatabase {
  const dataSource = found.object === 'data_source';
  return {
    id: dataSource && found.parent?.database_id ? found.parent.database_id : found.id,
    dataSourceId: dataSource ? found.id : null,
    title: plainText(found.title) || 'Untitled',
    url: found.url ?? null,
    icon: iconText(found.icon),
    mapped: false,
  };
}

/**
 * A database's schema, read on the configured API version: on 2025-09-03 the database names its
 * data sources and the first one's schema is read.
 */
export async function databaseSchema(
  ctx: NotionContext,
  client: Client,
  databaseId: string,
): Promise<DatabaseSchema> {
  const database = await withNotion(() =>
    client.request<NotionContainer>({ path: `databases/${databaseId}`, method: 'get' }),
  );
  let table = database;
  let dataSourceId: string | null = null;
  if (usesDataSources(ctx)) {
    const first = database.data_sources?.[0];
    if (first) {
      dataSourceId = first.id;
      table = await withNotion(() =>
        client.request<NotionContainer>({ path: `data_sources/${first.id}`, method: 'get' }),
      );
    }
  }
  const properties = Object.entries(table.properties ?? {}).map(([name, p]) => ({
    name,
    type: p.type,
    options: (p.status?.options ?? p.select?.options ?? []).map((o) => o.name),
  }));
  return {
    database: {
      id: database.id,
      dataSourceId,
      title: plainText(database.title) || plainText(table.title) || 'Untitled',
      url: database.url ?? null,
      icon: iconText(database.icon),
      mapped: false,
    },
    properties,
    titleProperty: properties.find((p) => p.type === 'title')?.name ?? null,
  };
}

const GUESSES: [keyof NotionMappingBody['statusOptions'], RegExp][] = [
  ['todo', /^(to ?do|not started|backlog|todo|open|ready)$/i],
  ['inProgress', /progress|doing|started|working/i],
  ['inReview', /review/i],
  ['done', /^(done|complete(d)?|shipped|closed)$/i],
  ['failed', /fail|blocked|error/i],
];

/**
 * What the mapping editor starts from: the status property (a `status` property, else a select
 * named like one) with its options matched by name, and URL properties named like a PR and a
 * preview.
 */
export function suggestMapping(properties: NotionProperty[]): NotionDatabaseDetail['suggested'] {
  const status =
    properties.find((p) => p.type === 'status') ??
    properties.find((p) => p.type === 'select' && /status|stage|state/i.test(p.name)) ??
    null;
  const statusOptions: NotionMappingBody['statusOptions'] = {};
  for (const [key, pattern] of GUESSES) {
    const option = status?.options.find(
      (o) => pattern.test(o) && !Object.values(statusOptions).includes(o),
    );
    if (option) statusOptions[key] = option;
  }
  const urlNamed = (pattern: RegExp) =>
    properties.find((p) => p.type === 'url' && pattern.test(p.name))?.name ?? null;
  return {
    baseBranch: null,
    statusProperty: status?.name ?? null,
    statusOptions,
    prLinkProperty: urlNamed(/\b(pr|pull|merge request|mr)\b/i),
    previewProperty: urlNamed(/preview|deploy/i),
  };
}

/**
 * A database with its properties, its mapping and the mapping guessed for it.
 *
 * @example
 * const { properties, mapping, suggested } = await notionDatabaseDetail(ctx, { userId, databaseId });
 */
export async function notionDatabaseDetail(
  ctx: NotionContext,
  {
    userId,
    connectionId,
    databaseId,
  }: { userId: string; connectionId?: string | undefined; databaseId: string },
): Promise<
  NotionDatabaseDetail & { connection: NotionConnectionRow; titleProperty: string | null }
> {
  const { row, token } = await notionConnectionFor(ctx, userId, connectionId);
  const schema = await databaseSchema(ctx, notionClient(ctx.notion, token), databaseId);
  const mapping = await mappingOf(ctx, row.id, databaseId);
  return {
    database: { ...schema.database, mapped: mapping !== null },
    properties: schema.properties,
    mapping,
    suggested: suggestMapping(schema.properties),
    connection: row,
    titleProperty: schema.titleProperty,
  };
}
