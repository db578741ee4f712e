/**
 * @module notion
 * Notion: a connected Notion workspace, its databases and their pages, how a database maps onto a
 * repository, and the link a task started from a page keeps to it.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.ts';
import { CreateTaskBody } from './tasks.ts';

/** A Notion id as Notion writes it: 32 hex digits, with or without dashes. */
export const NotionId = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F-]{32,36}$/, 'must be a Notion id (32 hexadecimal digits)');

/** A connected Notion workspace (never its token). */
export const NotionConnection = z
  .object({
    id: Id,
    /** Whose it is: the caller's own, or a Lucid workspace's (connected by an admin). */
    owner: z.enum(['user', 'workspace']),
    workspaceId: Id.nullable(),
    method: z.enum(['oauth', 'token']),
    /** The Notion workspace's name and icon (an emoji or an image URL). */
    workspaceName: z.string().nullable(),
    workspaceIcon: z.string().nullable(),
    connectedAt: Timestamp,
    /** When Notion last refused the token (revoked, or the integration removed); null while it works. */
    refusedAt: Timestamp.nullable(),
  })
  .meta({ id: 'NotionConnection' });
export type NotionConnection = z.infer<typeof NotionConnection>;

export const NotionStatus = z.object({
  connections: z.array(NotionConnection),
  /** Whether this server connects Notion by OAuth (NOTION_CLIENT_ID and NOTION_CLIENT_SECRET). */
  oauth: z.boolean(),
  /** The `Notion-Version` this server speaks. */
  apiVersion: z.string(),
});
export type NotionStatus = z.infer<typeof NotionStatus>;

export const ConnectNotionTokenBody = z.object({
  token: z.string().trim().min(10).max(500).describe("An internal integration's secret."),
  workspaceId: Id.optional().describe(
    "Connect it for this Lucid workspace (its admins only); the caller's own otherwise.",
  ),
});

export const NotionAuthQuery = z.object({
  returnTo: z.string().max(500).optional(),
});

/** Which connection a request uses: the caller's own unless named. */
export const NotionConnectionQuery = z.object({
  connectionId: Id.optional(),
});

/** The status options Lucid moves a page through; each names an option of the status property. */
export const NotionStatusOptions = z.object({
  todo: z.string().min(1).max(200).optional(),
  inProgress: z.string().min(1).max(200).optional(),
  inReview: z.string().min(1).max(200).optional(),
  done: z.string().min(1).max(200).optional(),
  failed: z.string().min(1).max(200).optional(),
});
export type NotionStatusOptions = z.infer<typeof NotionStatusOptions>;

/** How a database's pages become tasks. */
export const NotionMappingBody = z.object({
  repoId: Id,
  baseBranch: z.string().trim().min(1).max(200).nullable().default(null),
  statusProperty: z.string().min(1).max(200).nullable().default(null),
  statusOptions: NotionStatusOptions.default({}),
  prLinkProperty: z.string().min(1).max(200).nullable().default(null),
  previewProperty: z.string().min(1).max(200).nullable().default(null),
  pickupStatus: z
    .string()
    .min(1)
    .max(200)
    .nullable()
    .default(null)
    .describe(
      'Start a task from each page whose status becomes this option of the status property ' +
        '(once per page), as the user saving the mapping; null turns automatic pickup off.',
    ),
});
export type NotionMappingBody = z.infer<typeof NotionMappingBody>;

/** How automatic pickup of a mapping fares: whose tasks it starts, its last poll, why it stopped. */
export const NotionPickupState = z
  .object({
    startedBy: z.string().nullable().describe('The name of the user the picked tasks belong to.'),
    lastPolledAt: Timestamp.nullable(),
    error: z
      .string()
      .nullable()
      .describe('What went wrong at the last poll, in words; null when it went well.'),
    stopped: z
      .boolean()
      .describe(
        'Pickup stopped (Notion refused the token, or the database is gone) until saved again.',
      ),
  })
  .meta({ id: 'NotionPickupState' });
export type NotionPickupState = z.infer<typeof NotionPickupState>;

export const NotionMapping = NotionMappingBody.extend({
  databaseId: z.string(),
  dataSourceId: z.string().nullable(),
  /** How automatic pickup fares; null while it is off. */
  pickup: NotionPickupState.nullable(),
  updatedAt: Timestamp,
}).meta({ id: 'NotionMapping' });
export type NotionMapping = z.infer<typeof NotionMapping>;

/** A database the connection reaches (on 2025-09-03, with the data source Lucid reads). */
export const NotionDatabase = z
  .object({
    id: z.string(),
    dataSourceId: z.string().nullable(),
    title: z.string(),
    url: z.string().nullable(),
    icon: z.string().nullable(),
    mapped: z.boolean(),
  })
  .meta({ id: 'NotionDatabase' });
export type NotionDatabase = z.infer<typeof NotionDatabase>;

export const NotionDatabaseQuery = NotionConnectionQuery.extend({
  q: z.string().trim().max(200).optional(),
  cursor: z.string().max(200).optional(),
});

export const NotionDatabaseList = z.object({
  databases: z.array(NotionDatabase),
  nextCursor: z.string().nullable(),
});
export type NotionDatabaseList = z.infer<typeof NotionDatabaseList>;

/** A property of a database: its name, type and, for status and select, its options. */
export const NotionProperty = z.object({
  name: z.string(),
  type: z.string(),
  options: z.array(z.string()),
});
export type NotionProperty = z.infer<typeof NotionProperty>;

export const NotionDatabaseDetail = z.object({
  database: NotionDatabase,
  properties: z.array(NotionProperty),
  mapping: NotionMapping.nullable(),
  /** What the mapping editor starts from when there is no mapping: guessed from the properties. */
  suggested: NotionMappingBody.omit({ repoId: true, pickupStatus: true }),
});
export type NotionDatabaseDetail = z.infer<typeof NotionDatabaseDetail>;

export const NotionDatabaseParams = z.object({ databaseId: NotionId });
export const NotionPageParams = z.object({ pageId: NotionId });

export const NotionPageQuery = NotionConnectionQuery.extend({
  q: z.string().trim().max(200).optional().describe('Pages whose title contains this.'),
  status: z.string().max(200).optional().describe('Pages whose status is this option.'),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** A page of a database, as the picker lists it. */
export const NotionPageSummary = z.object({
  id: z.string(),
  title: z.string(),
  url: z.string(),
  status: z.string().nullable(),
  lastEditedAt: z.string(),
});
export type NotionPageSummary = z.infer<typeof NotionPageSummary>;

export const NotionPageList = z.object({
  pages: z.array(NotionPageSummary),
  nextCursor: z.string().nullable(),
});
export type NotionPageList = z.infer<typeof NotionPageList>;

/** A page with its body as Markdown, and the prompt a task started from it begins with. */
export const NotionPageDetail = NotionPageSummary.extend({
  databaseId: z.string().nullable(),
  markdown: z.string(),
  prompt: z.string(),
});
export type NotionPageDetail = z.infer<typeof NotionPageDetail>;

/** A task started from a Notion page: the task's body, and the page it links to. */
export const CreateNotionTaskBody = CreateTaskBody.omit({ source: true }).extend({
  pageId: NotionId,
  connectionId: Id.optional(),
});
export type CreateNotionTaskBody = z.infer<typeof CreateNotionTaskBody>;

/** The Notion page a task came from (its status read from Notion when it answers). */
export const TaskNotionLink = z
  .object({
    pageId: z.string(),
    url: z.string(),
    title: z.string(),
    databaseId: z.string(),
    status: z.string().nullable(),
  })
  .meta({ id: 'TaskNotionLink' });
export type TaskNotionLink = z.infer<typeof TaskNotionLink>;

export const TaskNotionLinkAnswer = z.object({ link: TaskNotionLink.nullable() });
