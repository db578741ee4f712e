/**
 * Notion against the fake Notion, on both API versions Lucid speaks: connecting by an internal
 * token (checked with users/me) and by OAuth (state checked, the client's Basic credentials sent),
 * listing databases and their pages a page at a time, a page's body as Markdown, a database's
 * mapping checked against its properties, a task started from a page keeping its link, a 429
 * retried after its Retry-After, and the token never in an answer, an event, the audit or a log.
 */
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  NotionConnection,
  NotionDatabaseDetail,
  NotionDatabaseList,
  NotionMapping,
  NotionPageDetail,
  NotionPageList,
  NotionStatus,
  TaskNotionLink,
} from '@lucid/contracts';
import { auditLog, events, notionConnections, taskNotionLinks } from '../src/db/schema.ts';
import {
  richText,
  startFakeNotion,
  type FakeDatabase,
  type FakeNotion,
  type NotionVersion,
} from './fakes/notion/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { pushedRepo } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { addMember } from '../src/workspaces/workspaces.ts';

const CLIENT_ID = 'lucid-notion-client';
const CLIENT_SECRET = 'notion-client-secret-value';

/** A page with every kind of block Lucid writes, its body longer than one page of children. */
const EVERY_BLOCK = [
  { type: 'heading_1', content: { rich_text: [richText('Goal')] } },
  {
    type: 'paragraph',
    content: {
      rich_text: [
        richText('Make the '),
        richText('login', { bold: true }),
        richText(' page '),
        richText('fast', { italic: true }),
        richText(', see '),
        richText('the spec', {}, 'https://example.com/spec'),
        richText(' and '),
        richText('npm test', { code: true }),
        richText('.'),
      ],
    },
  },
  { type: 'heading_2', content: { rich_text: [richText('Steps')] } },
  {
    type: 'bulleted_list_item',
    content: { rich_text: [richText('Measure')] },
    children: [
      { type: 'bulleted_list_item', content: { rich_text: [richText('with the bench')] } },
    ],
  },
  { type: 'bulleted_list_item', content: { rich_text: [richText('Fix')] } },
  { type: 'numbered_list_item', content: { rich_text: [richText('First')] } },
  { type: 'numbered_list_item', content: { rich_text: [richText('Second')] } },
  { type: 'to_do', content: { rich_text: [richText('Write tests')], checked: true } },
  { type: 'to_do', content: { rich_text: [richText('Ship it')], checked: false } },
  { type: 'heading_3', content: { rich_text: [richText('Notes')] } },
  {
    type: 'code',
    content: { rich_text: [richText('const a = 1;\nconsole.log(a);')], language: 'typescript' },
  },
  { type: 'quote', content: { rich_text: [richText('Speed is a feature.')] } },
  {
    type: 'callout',
    content: { rich_text: [richText('Mind the cache.')], icon: { type: 'emoji', emoji: '💡' } },
  },
  {
    type: 'toggle',
    content: { rich_text: [richText('Details')] },
    children: [{ type: 'paragraph', content: { rich_text: [richText('Hidden text')] } }],
  },
  { type: 'divider', content: {} },
  ...Array.from({ length: 105 }, (_, i) => ({
    type: 'paragraph',
    content: { rich_text: [richText(`Line ${i + 1}`)] },
  })),
];

const EXPECTED_MARKDOWN = [
  '# Goal',
  'Make the **login** page *fast*, see [the spec](https://example.com/spec) and `npm test`.',
  '## Steps',
  '- Measure\n  - with the bench\n- Fix\n1. First\n2. Second\n- [x] Write tests\n- [ ] Ship it',
  '### Notes',
  '```typescript\nconst a = 1;\nconsole.log(a);\n```',
  '> Speed is a feature.',
  '> 💡 Mind the cache.',
  '<details>\n<summary>Details</summary>\n\nHidden text\n\n</details>',
  '---',
  ...Array.from({ length: 105 }, (_, i) => `Line ${i + 1}`),
].join('\n\n');

describe.each(['2025-09-03', '2022-06-28'] as NotionVersion[])('Notion on %s', (version) => {
  let notion: FakeNotion;
  let server: TestServer;
  let user: TestUser;
  let board: FakeDatabase;
  const logLines: string[] = [];

  beforeAll(async () => {
    notion = await startFakeNotion({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    server = await startTestServer({
      env: {
        NOTION_API_URL: notion.url,
        NOTION_API_VERSION: version,
        NOTION_CLIENT_ID: CLIENT_ID,
        NOTION_CLIENT_SECRET: CLIENT_SECRET,
      },
      logger: pino({ level: 'trace' }, sink),
    });
    user = await signUp(server.url, 'Nora');
    board = notion.addDatabase({
      title: 'Sprint board',
      icon: '🗂️',
      properties: {
        Name: { type: 'title' },
        Status: { type: 'status', options: ['Not started', 'In progress', 'In review', 'Done'] },
        PR: { type: 'url' },
        Preview: { type: 'url' },
        Points: { type: 'number' },
      },
    });
    for (let i = 1; i <= 24; i++) {
      notion.addDatabase({ title: `Archive ${i}`, properties: { Name: { type: 'title' } } });
    }
    notion.addPage(board, {
      title: 'Fix the login page',
      values: { Status: 'Not started' },
      blocks: EVERY_BLOCK,
    });
    notion.addPage(board, { title: 'Add dark mode', values: { Status: 'Not started' } });
    notion.addPage(board, { title: 'Write the changelog', values: { Status: 'Done' } });
  });

  afterAll(async () => {
    await server?.close();
    await notion?.stop();
  });

  const api = <T>(method: string, path: string, json?: unknown) =>
    request<T>(server.url, method, path, {
      token: user.token,
      ...(json !== undefined && { json }),
    });

  it('refuses a token Notion refuses, in Notion’s words, and connects with a good one', async () => {
    const bad = await api<{ error: { code: string; message: string } }>(
      'POST',
      '/api/integrations/notion/token',
      { token: 'ntn_not-a-real-token-at-all' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_notion_token');
    expect(bad.body.error.message).toContain('API token is invalid.');

    const good = await api<NotionConnection>('POST', '/api/integrations/notion/token', {
      token: notion.token,
    });
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    expect(good.body).toMatchObject({ owner: 'user', method: 'token', workspaceName: 'Acme HQ' });
    const me = notion.requests.filter((r) => r.path === '/v1/users/me');
    expect(me.at(-1)).toMatchObject({ authorization: `Bearer ${notion.token}`, version });

    const status = await api<NotionStatus>('GET', '/api/integrations/notion');
    expect(status.body).toMatchObject({ oauth: true, apiVersion: version });
    expect(status.body.connections).toHaveLength(1);
    expect(JSON.stringify(status.body)).not.toContain(notion.token);
  });

  it('lists databases a page of Notion’s search at a time', async () => {
    const first = await api<NotionDatabaseList>('GET', '/api/v1/notion/databases');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.databases).toHaveLength(20);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await api<NotionDatabaseList>(
      'GET',
      `/api/v1/notion/databases?cursor=${first.body.nextCursor}`,
    );
    expect(second.body.databases).toHaveLength(5);
    expect(second.body.nextCursor).toBeNull();
    const found = [...first.body.databases, ...second.body.databases].find(
      (d) => d.title === 'Sprint board',
    );
    expect(found).toMatchObject({
      id: board.id,
      dataSourceId: version === '2025-09-03' ? board.dataSourceId : null,
      icon: '🗂️',
      mapped: false,
    });
    const search = notion.requests.filter((r) => r.path === '/v1/search').at(-1);
    expect(JSON.parse(search?.body ?? '{}').filter.value).toBe(
      version === '2025-09-03' ? 'data_source' : 'database',
    );
  });

  it('guesses a mapping, and refuses one naming a property or option Notion does not have', async () => {
    const detail = await api<NotionDatabaseDetail>('GET', `/api/v1/notion/databases/${board.id}`);
    expect(detail.status, JSON.stringify(detail.body)).toBe(200);
    expect(detail.body.suggested).toEqual({
      baseBranch: null,
      statusProperty: 'Status',
      statusOptions: {
        todo: 'Not started',
        inProgress: 'In progress',
        inReview: 'In review',
        done: 'Done',
      },
      prLinkProperty: 'PR',
      previewProperty: 'Preview',
    });
    const repo = await pushedRepo(server.url, user, `app-${version}`);
    const missing = await api<{ error: { code: string; message: string } }>(
      'PUT',
      `/api/v1/notion/databases/${board.id}/mapping`,
      { repoId: repo.id, statusProperty: 'Stage' },
    );
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('invalid_notion_mapping');
    expect(missing.body.error.message).toBe(
      'The Notion database “Sprint board” has no property “Stage”; its properties are “Name”, ' +
        '“Status”, “PR”, “Preview”, “Points”.',
    );
    const option = await api<{ error: { code: string; message: string } }>(
      'PUT',
      `/api/v1/notion/databases/${board.id}/mapping`,
      { repoId: repo.id, statusProperty: 'Status', statusOptions: { done: 'Shipped' } },
    );
    expect(option.status).toBe(400);
    expect(option.body.error.message).toContain('has no option “Shipped”');
    const wrongType = await api<{ error: { message: string } }>(
      'PUT',
      `/api/v1/notion/databases/${board.id}/mapping`,
      { repoId: repo.id, prLinkProperty: 'Points' },
    );
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toContain('is a number property');

    const saved = await api<NotionMapping>('PUT', `/api/v1/notion/databases/${board.id}/mapping`, {
      ...detail.body.suggested,
      repoId: repo.id,
      baseBranch: 'main',
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({
      repoId: repo.id,
      baseBranch: 'main',
      statusProperty: 'Status',
      prLinkProperty: 'PR',
    });
    const again = await api<NotionDatabaseDetail>('GET', `/api/v1/notion/databases/${board.id}`);
    expect(again.body.mapping?.repoId).toBe(repo.id);
    expect(again.body.database.mapped).toBe(true);
  });

  it('lists a database’s tasks a page at a time, searched and filtered by status', async () => {
    const base = `/api/v1/notion/databases/${board.id}/pages`;
    const first = await api<NotionPageList>('GET', `${base}?limit=2`);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.pages.map((p) => p.title)).toEqual(['Write the changelog', 'Add dark mode']);
    const second = await api<NotionPageList>(
      'GET',
      `${base}?limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.pages.map((p) => [p.title, p.status])).toEqual([
      ['Fix the login page', 'Not started'],
    ]);
    expect(second.body.nextCursor).toBeNull();
    const todo = await api<NotionPageList>(
      'GET',
      `${base}?status=${encodeURIComponent('Not started')}`,
    );
    expect(todo.body.pages.map((p) => p.title)).toEqual(['Add dark mode', 'Fix the login page']);
    const searched = await api<NotionPageList>('GET', `${base}?q=login`);
    expect(searched.body.pages.map((p) => p.title)).toEqual(['Fix the login page']);
    const queried = notion.requests.filter((r) => r.path.endsWith('/query'));
    expect(queried.length).toBeGreaterThan(0);
    for (const r of queried) {
      expect(r.path).toBe(
        version === '2025-09-03'
          ? `/v1/data_sources/${board.dataSourceId}/query`
          : `/v1/databases/${board.id}/query`,
      );
    }
  });

  it('turns a page with every kind of block, longer than a page of children, into Markdown', async () => {
    const page = [...Array(1)].map(() =>
      notion.addPage(board, { title: 'Every block', blocks: EVERY_BLOCK }),
    )[0]!;
    const detail = await api<NotionPageDetail>('GET', `/api/v1/notion/pages/${page.id}`);
    expect(detail.status, JSON.stringify(detail.body)).toBe(200);
    expect(detail.body.markdown).toBe(EXPECTED_MARKDOWN);
    expect(detail.body.prompt).toBe(
      `# Every block\n\n${EXPECTED_MARKDOWN}\n\nNotion page: ${page.url}`,
    );
    const children = notion.requests.filter((r) => r.path === `/v1/blocks/${page.id}/children`);
    expect(children).toHaveLength(2);
  });

  it('starts a task from a page and keeps its link', async () => {
    const mapping = await api<NotionDatabaseDetail>('GET', `/api/v1/notion/databases/${board.id}`);
    const [page] = (
      await api<NotionPageList>('GET', `/api/v1/notion/databases/${board.id}/pages?q=dark`)
    ).body.pages;
    const created = await api<{
      task: { id: string; source: string; title: string; baseBranch: string };
    }>('POST', '/api/v1/notion/tasks', {
      pageId: page!.id,
      repoId: mapping.body.mapping!.repoId,
      baseBranch: 'main',
      prompt: 'Add dark mode',
      commands: ['true'],
      start: false,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.task).toMatchObject({ source: 'notion', title: 'Add dark mode' });
    const [stored] = await server.database.db
      .select()
      .from(taskNotionLinks)
      .where(eq(taskNotionLinks.taskId, created.body.task.id));
    expect(stored).toMatchObject({
      pageId: page!.id.replace(/-/g, ''),
      url: page!.url,
      title: 'Add dark mode',
      databaseId: board.id.replace(/-/g, ''),
      dataSourceId: version === '2025-09-03' ? board.dataSourceId : null,
      status: 'Not started',
    });
    const link = await api<{ link: TaskNotionLink }>(
      'GET',
      `/api/v1/tasks/${created.body.task.id}/notion`,
    );
    expect(link.body.link).toMatchObject({
      title: 'Add dark mode',
      url: page!.url,
      status: 'Not started',
    });
  });

  it('moves the page along as durable jobs: in progress when its run is queued, in review after', async () => {
    const shipIt = notion.addPage(board, { title: 'Ship it', values: { Status: 'Not started' } });
    const mapping = await api<NotionDatabaseDetail>('GET', `/api/v1/notion/databases/${board.id}`);
    const runner = await api<{ token: string }>('POST', '/api/v1/runners/tokens', {
      name: `notion-${version}`,
    });
    expect(runner.status).toBe(201);
    const created = await api<{ task: { id: string }; run: { id: string } }>(
      'POST',
      '/api/v1/notion/tasks',
      {
        pageId: shipIt.id,
        repoId: mapping.body.mapping!.repoId,
        baseBranch: 'main',
        prompt: 'Ship it',
        commands: ['true'],
      },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await expect
      .poll(() => notion.page(shipIt.id)?.values.Status, { timeout: 15_000 })
      .toBe('In progress');

    const claimed = await request<{ run: { id: string } }>(
      server.url,
      'POST',
      '/api/v1/runner/claim',
      {
        token: runner.body.token,
      },
    );
    expect(claimed.body.run.id).toBe(created.body.run.id);
    const finished = await request(
      server.url,
      'POST',
      `/api/v1/runner/runs/${claimed.body.run.id}/finish`,
      { token: runner.body.token, json: { status: 'succeeded', exitCode: 0 } },
    );
    expect(finished.body).toEqual({ accepted: true });
    await expect
      .poll(() => notion.page(shipIt.id)?.values.Status, { timeout: 15_000 })
      .toBe('In review');
    const patches = notion.requests.filter(
      (r) =>
        r.method === 'PATCH' &&
        r.path.replace(/-/g, '') === `/v1/pages/${shipIt.id.replace(/-/g, '')}`,
    );
    expect(patches.map((r) => JSON.parse(r.body))).toEqual([
      { properties: { Status: { status: { name: 'In progress' } } } },
      { properties: { Status: { status: { name: 'In review' } } } },
    ]);
    const link = await api<{ link: TaskNotionLink }>(
      'GET',
      `/api/v1/tasks/${created.body.task.id}/notion`,
    );
    expect(link.body.link.status).toBe('In review');
  });

  it('retries a 429 after its Retry-After, and a 500, in the one client', async () => {
    const before = notion.requests.length;
    notion.failNext(429, { retryAfter: 1 });
    const listed = await api<NotionDatabaseList>('GET', '/api/v1/notion/databases');
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    const [limited, retried] = notion.requests.slice(before);
    expect(limited?.path).toBe('/v1/search');
    expect(retried?.path).toBe('/v1/search');
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(1000);

    notion.failNext(500, { count: 2 });
    const again = await api<NotionDatabaseList>('GET', '/api/v1/notion/databases');
    expect(again.status).toBe(200);

    notion.failNext(429, { count: 4, retryAfter: 0 });
    const refused = await api<{ error: { code: string } }>('GET', '/api/v1/notion/databases');
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
  });

  it('connects by OAuth: the state is checked and used once, the client’s credentials sent as Basic', async () => {
    const other = await signUp(server.url, 'Otto');
    const started = await fetch(`${server.url}/api/integrations/notion/auth`, {
      headers: { cookie: other.cookie },
      redirect: 'manual',
    });
    expect(started.status).toBe(302);
    const authorize = new URL(started.headers.get('location') ?? '');
    expect(authorize.origin + authorize.pathname).toBe(`${notion.url}/v1/oauth/authorize`);
    const consented = await fetch(authorize, { redirect: 'manual' });
    const callback = consented.headers.get('location') ?? '';
    expect(callback).toContain('/api/integrations/notion/callback');

    // Someone else's session cannot use this state.
    const stolen = await fetch(callback, { headers: { cookie: user.cookie }, redirect: 'manual' });
    expect(stolen.status).toBe(400);
    expect(((await stolen.json()) as { error: { code: string } }).error.code).toBe(
      'invalid_oauth_state',
    );

    const second = await fetch(
      `${server.url}/api/integrations/notion/auth?returnTo=${encodeURIComponent('/tasks/new')}`,
      { headers: { cookie: other.cookie }, redirect: 'manual' },
    );
    const consentedAgain = await fetch(new URL(second.headers.get('location') ?? ''), {
      redirect: 'manual',
    });
    const back = await fetch(consentedAgain.headers.get('location') ?? '', {
      headers: { cookie: other.cookie },
      redirect: 'manual',
    });
    expect(back.status, await back.clone().text()).toBe(302);
    expect(back.headers.get('location')).toBe('/tasks/new');
    const exchange = notion.tokenExchanges.at(-1);
    expect(exchange).toMatchObject({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      body: { grant_type: 'authorization_code' },
    });
    const replay = await fetch(consentedAgain.headers.get('location') ?? '', {
      headers: { cookie: other.cookie },
      redirect: 'manual',
    });
    expect(replay.status).toBe(400);

    const status = await request<NotionStatus>(server.url, 'GET', '/api/integrations/notion', {
      token: other.token,
    });
    expect(status.body.connections).toEqual([
      expect.objectContaining({
        owner: 'user',
        method: 'oauth',
        workspaceName: 'Acme HQ',
        workspaceIcon: '🚀',
      }),
    ]);
  });

  it('connects Notion for a workspace by its admin only, and its members use it', async () => {
    const team = await api<{ id: string }>('POST', '/api/v1/workspaces', {
      name: `Team ${version}`,
    });
    expect(team.status, JSON.stringify(team.body)).toBe(201);
    const member = await signUp(server.url, 'Mia');
    await addMember(server.database.db, {
      workspaceId: team.body.id,
      userId: member.id,
      role: 'member',
    });
    const refused = await request<{ error: { code: string; message: string } }>(
      server.url,
      'POST',
      '/api/integrations/notion/token',
      { token: member.token, json: { token: notion.token, workspaceId: team.body.id } },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(
      'This needs the admin role in the workspace; you are member.',
    );

    const shared = await api<NotionConnection>('POST', '/api/integrations/notion/token', {
      token: notion.token,
      workspaceId: team.body.id,
    });
    expect(shared.status, JSON.stringify(shared.body)).toBe(200);
    expect(shared.body).toMatchObject({ owner: 'workspace', workspaceId: team.body.id });
    const status = await request<NotionStatus>(server.url, 'GET', '/api/integrations/notion', {
      token: member.token,
    });
    expect(status.body.connections.map((c) => c.id)).toEqual([shared.body.id]);
    const listed = await request<NotionDatabaseList>(
      server.url,
      'GET',
      '/api/v1/notion/databases',
      {
        token: member.token,
      },
    );
    expect(listed.status).toBe(200);
    const notMine = await request(
      server.url,
      'DELETE',
      `/api/integrations/notion/connections/${shared.body.id}`,
      {
        token: member.token,
      },
    );
    expect(notMine.status).toBe(403);
  });

  it('never lets a token out: not in answers, events, the audit trail or a log line', async () => {
    const rows = await server.database.db.select().from(notionConnections);
    expect(rows.length).toBeGreaterThan(0);
    const tokens = [notion.token, CLIENT_SECRET];
    for (const row of rows) {
      expect(row.sealedToken.startsWith('v1:')).toBe(true);
      expect(row.sealedToken).not.toContain('ntn_');
    }
    const audit = JSON.stringify(await server.database.db.select().from(auditLog));
    const stored = JSON.stringify(await server.database.db.select().from(events));
    const logs = logLines.join('\n');
    for (const token of tokens) {
      expect(audit).not.toContain(token);
      expect(stored).not.toContain(token);
      expect(logs).not.toContain(token);
    }
    expect(logs).not.toContain('ntn_');
  });
});
