/**
 * @module A faithful fake of Notion's API for tests, on one loopback port. It speaks the wire
 * protocol of what Lucid uses, on both `Notion-Version`s it accepts (2022-06-28: databases;
 * 2025-09-03: databases holding data sources): the OAuth code exchange (Basic client
 * credentials), `users/me`, `search`, databases, data sources and their queries, pages, block
 * children with cursors, page updates, and comments (on a page or a discussion, exactly one of
 * the two, and listed per page); Notion's error bodies (`{object:"error",status,code,message}`),
 * and what a test injects: 429s or 5xx, a comment stored whose answer is lost, a revoked token.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basicCredentials, parseBody, readBody, sendJson } from '../forge-shared/http.ts';

export const NOTION_VERSIONS = ['2022-06-28', '2025-09-03'] as const;
export type NotionVersion = (typeof NOTION_VERSIONS)[number];

/** One request as the fake received it. */
export interface NotionRequest {
  method: string;
  path: string;
  version: string | undefined;
  authorization: string | undefined;
  body: string;
  /** When it arrived (ms since the epoch). */
  at: number;
}

/** A property of a database's schema: its type and, for status and select, its options. */
export interface FakeProperty {
  type: 'title' | 'status' | 'select' | 'url' | 'rich_text' | 'number' | 'checkbox';
  options?: string[];
}

export interface FakeDatabase {
  id: string;
  dataSourceId: string;
  title: string;
  icon: string | null;
  properties: Record<string, FakeProperty>;
}

/** A block to put on a page: its type, the content under that type, and its children. */
export interface FakeBlockInput {
  type: string;
  content?: Record<string, unknown>;
  children?: FakeBlockInput[];
}

interface FakeBlock {
  id: string;
  type: string;
  content: Record<string, unknown>;
  children: FakeBlock[];
}

export interface FakePage {
  id: string;
  databaseId: string;
  title: string;
  url: string;
  lastEditedTime: string;
  /** Property values by name: the title, a status or select option's name, a URL or text. */
  values: Record<string, string | null>;
  blocks: FakeBlock[];
}

export interface FakeComment {
  id: string;
  pageId: string;
  discussionId: string;
  text: string;
  /** The rich text as it was sent. */
  richText: unknown[];
}

/** Rich text as Notion sends it. */
export function richText(
  content: string,
  annotations: { bold?: boolean; italic?: boolean; strikethrough?: boolean; code?: boolean } = {},
  href: string | null = null,
) {
  return {
    type: 'text',
    text: { content, link: href ? { url: href } : null },
    annotations: {
      bold: false,
      italic: false,
      strikethrough: false,
      underline: false,
      code: false,
      color: 'default',
      ...annotations,
    },
    plain_text: content,
    href,
  };
}

function plain(value: unknown): string {
  if (!Array.isArray(value)) return '';
  return value
    .map(
      (t: { plain_text?: string; text?: { content?: string } }) =>
        t.plain_text ?? t.text?.content ?? '',
    )
    .join('');
}

const undash = (id: string) => id.replace(/-/g, '').toLowerCase();

export interface FakeNotionOptions {
  /** The public integration's credentials (OAuth); none, only tokens work. */
  clientId?: string;
  clientSecret?: string;
  workspaceName?: string;
  workspaceIcon?: string;
}

export interface FakeNotion {
  url: string;
  /** A valid internal integration token. */
  token: string;
  workspaceName: string;
  requests: NotionRequest[];
  comments: FakeComment[];
  addDatabase(input: {
    title: string;
    icon?: string;
    properties: Record<string, FakeProperty>;
  }): FakeDatabase;
  addPage(
    database: FakeDatabase,
    input: { title: string; values?: Record<string, string | null>; blocks?: FakeBlockInput[] },
  ): FakePage;
  page(id: string): FakePage | undefined;
  /** Deletes a database: Notion answers 404 for it (and its data source) from now on. */
  removeDatabase(database: FakeDatabase): void;
  /**
   * The next `count` API requests (to `path` only, when given) answer this error (429 with
   * `Retry-After` seconds).
   */
  failNext(
    status: 429 | 500 | 503,
    options?: { count?: number; retryAfter?: number; path?: string },
  ): void;
  /** The next comment is stored, but its answer is lost: a 504, as when a gateway times out. */
  loseNextCommentAnswer(): void;
  /** Notion no longer accepts this token (the integration removed, or the OAuth grant revoked). */
  revoke(token: string): void;
  /** The tokens Notion accepts now: the internal one and those OAuth handed out. */
  issuedTokens(): string[];
  /** Notion accepts this token again (the integration added back). */
  grant(token: string): void;
  /** OAuth token exchanges: the Basic credentials and the body each carried. */
  tokenExchanges: { clientId: string; clientSecret: string; body: Record<string, unknown> }[];
  stop(): Promise<void>;
}

const ERROR_CODES: Record<number, string> = {
  400: 'validation_error',
  401: 'unauthorized',
  404: 'object_not_found',
  429: 'rate_limited',
  500: 'internal_server_error',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

function notionError(
  res: ServerResponse,
  status: number,
  message: string,
  code = ERROR_CODES[status] ?? 'invalid_request',
  headers: Record<string, string> = {},
): void {
  sendJson(
    res,
    status,
    { object: 'error', status, code, message, request_id: randomUUID() },
    headers,
  );
}

/**
 * Starts the fake on a loopback port.
 *
 * @example
 * const notion = await startFakeNotion();
 * const db = notion.addDatabase({ title: 'Tasks', properties: { Name: { type: 'title' } } });
 */
export async function startFakeNotion(options: FakeNotionOptions = {}): Promise<FakeNotion> {
  const workspaceName = options.workspaceName ?? 'Acme HQ';
  const workspaceIcon = options.workspaceIcon ?? '🚀';
  const internalToken = `ntn_${randomUUID().replace(/-/g, '')}`;
  const botId = randomUUID();
  const tokens = new Set<string>([internalToken]);
  const databases = new Map<string, FakeDatabase>();
  const pages = new Map<string, FakePage>();
  const blocks = new Map<string, FakeBlock>();
  const codes = new Map<string, string>();
  const requests: NotionRequest[] = [];
  const comments: FakeComment[] = [];
  const tokenExchanges: FakeNotion['tokenExchanges'] = [];
  const faults: {
    status: number;
    retryAfter?: number | undefined;
    path?: string | undefined;
  }[] = [];
  let lostCommentAnswers = 0;
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  let url = '';

  const findDatabase = (id: string) =>
    [...databases.values()].find((d) => undash(d.id) === undash(id));
  const findDataSource = (id: string) =>
    [...databases.values()].find((d) => undash(d.dataSourceId) === undash(id));
  const findPage = (id: string) => [...pages.values()].find((p) => undash(p.id) === undash(id));
  const findBlock = (id: string) => [...blocks.values()].find((b) => undash(b.id) === undash(id));

  function toBlocks(inputs: FakeBlockInput[] = []): FakeBlock[] {
    return inputs.map((input) => {
      const block: FakeBlock = {
        id: randomUUID(),
        type: input.type,
        content: input.content ?? {},
        children: toBlocks(input.children),
      };
      blocks.set(block.id, block);
      return block;
    });
  }

  function schemaOf(database: FakeDatabase) {
    return Object.fromEntries(
      Object.entries(database.properties).map(([name, p], i) => [
        name,
        {
          id: p.type === 'title' ? 'title' : `p${i}`,
          name,
          type: p.type,
          [p.type]:
            p.type === 'status' || p.type === 'select'
              ? {
                  options: (p.options ?? []).map((o, j) => ({
                    id: `o${j}`,
                    name: o,
                    color: 'default',
                  })),
                }
              : {},
        },
      ]),
    );
  }

  const icon = (emoji: string | null) => (emoji ? { type: 'emoji', emoji } : null);

  function databaseJson(database: FakeDatabase, version: NotionVersion) {
    const common = {
      object: 'database',
      id: database.id,
      created_time: '2026-01-01T00:00:00.000Z',
      last_edited_time: '2026-01-01T00:00:00.000Z',
      title: [richText(database.title)],
      description: [],
      icon: icon(database.icon),
      cover: null,
      parent: { type: 'workspace', workspace: true },
      url: `https://www.notion.so/${undash(database.id)}`,
      archived: false,
      in_trash: false,
      is_inline: false,
      public_url: null,
    };
    return version === '2025-09-03'
      ? { ...common, data_sources: [{ id: database.dataSourceId, name: database.title }] }
      : { ...common, properties: schemaOf(database) };
  }

  function dataSourceJson(database: FakeDatabase) {
    return {
      object: 'data_source',
      id: database.dataSourceId,
      created_time: '2026-01-01T00:00:00.000Z',
      last_edited_time: '2026-01-01T00:00:00.000Z',
      title: [richText(database.title)],
      description: [],
      icon: icon(database.icon),
      parent: { type: 'database_id', database_id: database.id },
      database_parent: { type: 'workspace', workspace: true },
      properties: schemaOf(database),
      url: `https://www.notion.so/${undash(database.dataSourceId)}`,
      archived: false,
      in_trash: false,
    };
  }

  function pageJson(page: FakePage, version: NotionVersion) {
    const database = findDatabase(page.databaseId);
    const properties = Object.fromEntries(
      Object.entries(database?.properties ?? {}).map(([name, p], i) => {
        const id = p.type === 'title' ? 'title' : `p${i}`;
        const value = name in page.values ? page.values[name] : null;
        switch (p.type) {
          case 'title':
            return [name, { id, type: 'title', title: [richText(page.title)] }];
          case 'status':
          case 'select':
            return [
              name,
              {
                id,
                type: p.type,
                [p.type]: value ? { id: 'o', name: value, color: 'default' } : null,
              },
            ];
          case 'url':
            return [name, { id, type: 'url', url: value ?? null }];
          case 'rich_text':
            return [name, { id, type: 'rich_text', rich_text: value ? [richText(value)] : [] }];
          default:
            return [name, { id, type: p.type, [p.type]: null }];
        }
      }),
    );
    return {
      object: 'page',
      id: page.id,
      created_time: page.lastEditedTime,
      last_edited_time: page.lastEditedTime,
      archived: false,
      in_trash: false,
      icon: null,
      cover: null,
      parent:
        version === '2025-09-03'
          ? {
              type: 'data_source_id',
              data_source_id: database?.dataSourceId,
              database_id: page.databaseId,
            }
          : { type: 'database_id', database_id: page.databaseId },
      properties,
      url: page.url,
      public_url: null,
    };
  }

  function blockJson(block: FakeBlock, parentId: string) {
    return {
      object: 'block',
      id: block.id,
      parent: { type: 'block_id', block_id: parentId },
      created_time: '2026-01-01T00:00:00.000Z',
      last_edited_time: '2026-01-01T00:00:00.000Z',
      has_children: block.children.length > 0,
      archived: false,
      in_trash: false,
      type: block.type,
      [block.type]: block.content,
    };
  }

  /** One page of a list, by Notion's cursors (here, the index of the first result). */
  function paginate<T>(items: T[], body: Record<string, unknown>, query: URLSearchParams) {
    const size = Math.min(Number(body.page_size ?? query.get('page_size') ?? 100) || 100, 100);
    const cursor = String(body.start_cursor ?? query.get('start_cursor') ?? '0');
    const start = Number(cursor);
    const slice = items.slice(start, start + size);
    const more = start + size < items.length;
    return { results: slice, has_more: more, next_cursor: more ? String(start + size) : null };
  }

  type Filter = Record<string, unknown>;
  function matches(
    page: FakePage,
    database: FakeDatabase,
    filter: Filter | undefined,
  ): string | boolean {
    if (!filter) return true;
    if (Array.isArray(filter.and)) {
      for (const f of filter.and as Filter[]) {
        const r = matches(page, database, f);
        if (r !== true) return r;
      }
      return true;
    }
    const name = String(filter.property);
    const property = database.properties[name];
    if (!property) return `Could not find property with name or id: ${name}`;
    if (filter.title) {
      const contains = String((filter.title as { contains?: string }).contains ?? '');
      return page.title.toLowerCase().includes(contains.toLowerCase());
    }
    for (const kind of ['status', 'select'] as const) {
      if (filter[kind]) {
        if (property.type !== kind) {
          return `Property type in filter does not match property type in database. Property "${name}" has type "${property.type}".`;
        }
        return page.values[name] === (filter[kind] as { equals?: string }).equals;
      }
    }
    return true;
  }

  function query(
    res: ServerResponse,
    database: FakeDatabase,
    body: Record<string, unknown>,
    q: URLSearchParams,
    version: NotionVersion,
  ): void {
    const found: FakePage[] = [];
    for (const page of [...pages.values()].filter((p) => p.databaseId === database.id)) {
      const r = matches(page, database, body.filter as Filter | undefined);
      if (typeof r === 'string') return notionError(res, 400, r);
      if (r) found.push(page);
    }
    found.sort((a, b) => b.lastEditedTime.localeCompare(a.lastEditedTime));
    const list = paginate(found, body, q);
    sendJson(res, 200, {
      object: 'list',
      ...list,
      results: list.results.map((p) => pageJson(p, version)),
      type: 'page_or_database',
      page_or_database: {},
      request_id: randomUUID(),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', url);
    const path = parsed.pathname;
    const text = await readBody(req);
    const version = req.headers['notion-version'] as string | undefined;
    requests.push({
      method: req.method ?? 'GET',
      path,
      version,
      authorization: req.headers.authorization,
      body: text,
      at: Date.now(),
    });
    const body = parseBody(req, text);

    if (req.method === 'GET' && path === '/v1/oauth/authorize') {
      // Notion's consent page, consented at once: back to the integration with a code.
      const redirect = parsed.searchParams.get('redirect_uri') ?? '';
      if (parsed.searchParams.get('client_id') !== options.clientId || !redirect) {
        return notionError(res, 400, 'Invalid client_id or redirect_uri.', 'invalid_request');
      }
      const code = randomUUID();
      codes.set(code, redirect);
      const back = new URL(redirect);
      back.searchParams.set('code', code);
      back.searchParams.set('state', parsed.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      res.end();
      return;
    }

    const at = faults.findIndex((f) => f.path === undefined || f.path === path);
    const fault = at >= 0 ? faults.splice(at, 1)[0] : undefined;
    if (fault) {
      return notionError(
        res,
        fault.status,
        fault.status === 429
          ? 'You have been rate limited. Please try again in a few minutes.'
          : 'Unexpected error occurred.',
        undefined,
        fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
      );
    }

    if (!version) {
      return notionError(
        res,
        400,
        'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.',
        'missing_version',
      );
    }
    if (!(NOTION_VERSIONS as readonly string[]).includes(version)) {
      return notionError(res, 400, `Notion-Version ${version} is not supported by this fake.`);
    }
    const v = version as NotionVersion;

    if (req.method === 'POST' && path === '/v1/oauth/token') {
      const credentials = basicCredentials(req);
      if (
        !credentials ||
        credentials.username !== options.clientId ||
        credentials.password !== options.clientSecret
      ) {
        return notionError(res, 401, 'Invalid client credentials.', 'unauthorized');
      }
      tokenExchanges.push({
        clientId: credentials.username,
        clientSecret: credentials.password,
        body,
      });
      const code = String(body.code ?? '');
      const redirect = codes.get(code);
      codes.delete(code);
      if (body.grant_type !== 'authorization_code' || !redirect || body.redirect_uri !== redirect) {
        return notionError(res, 400, 'Invalid code.', 'invalid_grant');
      }
      const accessToken = `ntn_oauth_${randomUUID().replace(/-/g, '')}`;
      tokens.add(accessToken);
      return sendJson(res, 200, {
        access_token: accessToken,
        token_type: 'bearer',
        refresh_token: null,
        bot_id: botId,
        workspace_name: workspaceName,
        workspace_icon: workspaceIcon,
        workspace_id: undash(botId),
        owner: { type: 'user', user: { object: 'user', id: randomUUID() } },
        duplicated_template_id: null,
        request_id: randomUUID(),
      });
    }

    const bearer = req.headers.authorization?.startsWith('Bearer ')
      ? req.headers.authorization.slice(7)
      : '';
    if (!tokens.has(bearer)) return notionError(res, 401, 'API token is invalid.');

    let m: RegExpMatchArray | null;
    if (req.method === 'GET' && path === '/v1/users/me') {
      return sendJson(res, 200, {
        object: 'user',
        id: botId,
        name: 'Lucid',
        avatar_url: null,
        type: 'bot',
        bot: { owner: { type: 'workspace', workspace: true }, workspace_name: workspaceName },
        request_id: randomUUID(),
      });
    }
    if (req.method === 'POST' && path === '/v1/search') {
      const filter = body.filter as { property?: string; value?: string } | undefined;
      const allowed = v === '2025-09-03' ? ['page', 'data_source'] : ['page', 'database'];
      if (filter && !allowed.includes(String(filter.value))) {
        return notionError(
          res,
          400,
          `body failed validation: body.filter.value should be \`"${allowed[0]}"\` or \`"${allowed[1]}"\`, instead was \`"${filter.value}"\`.`,
        );
      }
      const q = String(body.query ?? '').toLowerCase();
      const found = [...databases.values()].filter((d) => d.title.toLowerCase().includes(q));
      const list = paginate(found, body, parsed.searchParams);
      return sendJson(res, 200, {
        object: 'list',
        ...list,
        results: list.results.map((d) =>
          v === '2025-09-03' ? dataSourceJson(d) : databaseJson(d, v),
        ),
        type: 'page_or_data_source',
        request_id: randomUUID(),
      });
    }
    if ((m = path.match(/^\/v1\/databases\/([^/]+)(\/query)?$/))) {
      const database = findDatabase(m[1] ?? '');
      if (!database) {
        return notionError(
          res,
          404,
          `Could not find database with ID: ${m[1]}. Make sure the relevant pages and databases are shared with your integration.`,
        );
      }
      if (req.method === 'GET' && !m[2]) return sendJson(res, 200, databaseJson(database, v));
      if (req.method === 'POST' && m[2]) {
        if (v === '2025-09-03') {
          return notionError(
            res,
            400,
            'Databases are queried by their data sources from 2025-09-03: use /v1/data_sources/{id}/query.',
            'invalid_request_url',
          );
        }
        return query(res, database, body, parsed.searchParams, v);
      }
    }
    if ((m = path.match(/^\/v1\/data_sources\/([^/]+)(\/query)?$/))) {
      if (v !== '2025-09-03') {
        return notionError(res, 400, 'Invalid request URL.', 'invalid_request_url');
      }
      const database = findDataSource(m[1] ?? '');
      if (!database) {
        return notionError(
          res,
          404,
          `Could not find data_source with ID: ${m[1]}. Make sure the relevant pages and databases are shared with your integration.`,
        );
      }
      if (req.method === 'GET' && !m[2]) return sendJson(res, 200, dataSourceJson(database));
      if (req.method === 'POST' && m[2]) return query(res, database, body, parsed.searchParams, v);
    }
    if ((m = path.match(/^\/v1\/pages\/([^/]+)$/))) {
      const page = findPage(m[1] ?? '');
      if (!page) {
        return notionError(
          res,
          404,
          `Could not find page with ID: ${m[1]}. Make sure the relevant pages and databases are shared with your integration.`,
        );
      }
      if (req.method === 'GET') return sendJson(res, 200, pageJson(page, v));
      if (req.method === 'PATCH') {
        const database = findDatabase(page.databaseId);
        const updates = (body.properties ?? {}) as Record<string, Record<string, unknown>>;
        for (const [name, value] of Object.entries(updates)) {
          const property = database?.properties[name];
          if (!property) {
            return notionError(res, 400, `${name} is not a property that exists.`);
          }
          if (property.type === 'status' || property.type === 'select') {
            const option = (value[property.type] as { name?: string } | null)?.name ?? null;
            if (option !== null && !(property.options ?? []).includes(option)) {
              return notionError(
                res,
                400,
                `Invalid ${property.type} option, "${option}" does not exist.`,
              );
            }
            page.values[name] = option;
          } else if (property.type === 'url') {
            page.values[name] = (value.url as string | null) ?? null;
          } else if (property.type === 'rich_text') {
            page.values[name] = plain(value.rich_text);
          }
        }
        clock += 1000;
        page.lastEditedTime = new Date(clock).toISOString();
        return sendJson(res, 200, pageJson(page, v));
      }
    }
    if (req.method === 'GET' && (m = path.match(/^\/v1\/blocks\/([^/]+)\/children$/))) {
      const parent = findPage(m[1] ?? '') ?? findBlock(m[1] ?? '');
      if (!parent) {
        return notionError(res, 404, `Could not find block with ID: ${m[1]}.`);
      }
      const children = 'blocks' in parent ? parent.blocks : parent.children;
      const list = paginate(children, {}, parsed.searchParams);
      return sendJson(res, 200, {
        object: 'list',
        ...list,
        results: list.results.map((b) => blockJson(b, parent.id)),
        type: 'block',
        block: {},
        request_id: randomUUID(),
      });
    }
    if (req.method === 'POST' && path === '/v1/comments') {
      // Notion's rule: exactly one of `parent` (a page or a block) and `discussion_id`.
      const parent = body.parent as { page_id?: string; block_id?: string } | undefined;
      const discussionId = typeof body.discussion_id === 'string' ? body.discussion_id : null;
      if ((parent === undefined) === (discussionId === null)) {
        return notionError(
          res,
          400,
          'body failed validation. Fix one: body.parent should be defined, instead was `undefined`. body.discussion_id should be defined, instead was `undefined`.',
        );
      }
      if (!Array.isArray(body.rich_text) || body.rich_text.length === 0) {
        return notionError(
          res,
          400,
          'body failed validation: body.rich_text should be defined, instead was `undefined`.',
        );
      }
      const thread = discussionId ? comments.find((c) => c.discussionId === discussionId) : null;
      const page = parent?.page_id
        ? findPage(parent.page_id)
        : thread
          ? findPage(thread.pageId)
          : undefined;
      if (!page) return notionError(res, 404, 'Could not find page.');
      const comment: FakeComment = {
        id: randomUUID(),
        pageId: page.id,
        discussionId: thread?.discussionId ?? randomUUID(),
        text: plain(body.rich_text),
        richText: body.rich_text,
      };
      comments.push(comment);
      if (lostCommentAnswers > 0) {
        lostCommentAnswers -= 1;
        return notionError(res, 504, 'Gateway timeout.');
      }
      return sendJson(res, 200, { ...commentJson(comment), request_id: randomUUID() });
    }
    if (req.method === 'GET' && path === '/v1/comments') {
      const blockId = parsed.searchParams.get('block_id') ?? '';
      const page = findPage(blockId);
      if (!page && !findBlock(blockId)) {
        return notionError(res, 404, `Could not find block with ID: ${blockId}.`);
      }
      const found = comments.filter((c) => undash(c.pageId) === undash(blockId));
      const list = paginate(found, {}, parsed.searchParams);
      return sendJson(res, 200, {
        object: 'list',
        ...list,
        results: list.results.map(commentJson),
        type: 'comment',
        comment: {},
        request_id: randomUUID(),
      });
    }
    return notionError(res, 400, 'Invalid request URL.', 'invalid_request_url');
  }

  function commentJson(comment: FakeComment) {
    const at = new Date(clock).toISOString();
    return {
      object: 'comment',
      id: comment.id,
      parent: { type: 'page_id', page_id: comment.pageId },
      discussion_id: comment.discussionId,
      created_time: at,
      last_edited_time: at,
      created_by: { object: 'user', id: botId },
      rich_text: (
        comment.richText as { text?: { content?: string; link?: { url: string } | null } }[]
      ).map((t) => richText(t.text?.content ?? '', {}, t.text?.link?.url ?? null)),
    };
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      notionError(res, 500, error instanceof Error ? error.message : String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token: internalToken,
    workspaceName,
    requests,
    comments,
    tokenExchanges,
    addDatabase(input) {
      const database: FakeDatabase = {
        id: randomUUID(),
        dataSourceId: randomUUID(),
        title: input.title,
        icon: input.icon ?? null,
        properties: input.properties,
      };
      databases.set(database.id, database);
      return database;
    },
    addPage(database, input) {
      const id = randomUUID();
      clock += 1000;
      const page: FakePage = {
        id,
        databaseId: database.id,
        title: input.title,
        url: `https://www.notion.so/${input.title.replace(/[^A-Za-z0-9]+/g, '-')}-${undash(id)}`,
        lastEditedTime: new Date(clock).toISOString(),
        values: { ...(input.values ?? {}) },
        blocks: toBlocks(input.blocks),
      };
      pages.set(id, page);
      return page;
    },
    page: findPage,
    removeDatabase(database) {
      databases.delete(database.id);
    },
    failNext(status, { count = 1, retryAfter, path } = {}) {
      for (let i = 0; i < count; i++) faults.push({ status, retryAfter, path });
    },
    loseNextCommentAnswer() {
      lostCommentAnswers += 1;
    },
    revoke(token) {
      tokens.delete(token);
    },
    issuedTokens() {
      return [...tokens];
    },
    grant(token) {
      tokens.add(token);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
