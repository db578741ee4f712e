/**
 * Automatic pickup against the fake Notion, on both API versions: a mapping's pickup status is
 * checked like its other options; a page entering it is started once and only once, as the user
 * who turned pickup on, over several polls and by two servers polling one database; a 429 is
 * waited out; a page in another status, or a mapping without pickup, starts nothing; a database
 * gone or a token refused stops that mapping's pickup with the reason while the others go on,
 * and a member whose role no longer allows tasks starts none. The token never reaches a log. A
 * real `lucid serve`, killed after a pick and started again on its data dir, does not pick the
 * page again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotionDatabaseDetail, NotionMapping, TaskList, Workspace } from '@lucid/contracts';
import { notionMappings, notionPickups, taskNotionLinks, tasks } from '../src/db/schema.ts';
import { addMember } from '../src/workspaces/workspaces.ts';
import {
  startFakeNotion,
  type FakeDatabase,
  type FakeNotion,
  type FakePage,
  type NotionVersion,
} from './fakes/notion/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { pushedRepo } from './support/tasks.ts';
import { freePort, startTestServer, type TestServer } from './support/test-server.ts';

const READY = 'Ready for Lucid';

/** A board whose status has a pickup option; no "in progress" mapped, so pages stay ready. */
function addBoard(notion: FakeNotion, title: string): FakeDatabase {
  return notion.addDatabase({
    title,
    properties: {
      Name: { type: 'title' },
      Status: { type: 'status', options: ['Not started', READY, 'In progress', 'Done'] },
    },
  });
}

describe.each(['2025-09-03', '2022-06-28'] as NotionVersion[])('Notion pickup on %s', (version) => {
  let notion: FakeNotion;
  let server: TestServer;
  let user: TestUser;
  let repoId: string;
  let board: FakeDatabase;
  const logLines: string[] = [];

  beforeAll(async () => {
    notion = await startFakeNotion();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    server = await startTestServer({
      env: {
        ...fakeProviderEnv('http://127.0.0.1:9', { anthropic: 'a', openai: 'o', compatible: 'c' }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        NOTION_API_URL: notion.url,
        NOTION_API_VERSION: version,
        // The test polls by hand.
        NOTION_PICKUP_INTERVAL_MS: '0',
      },
      logger: pino({ level: 'trace' }, sink),
    });
    user = await signUp(server.url, 'Ada Lovelace');
    const connected = await api('POST', '/api/integrations/notion/token', { token: notion.token });
    expect(connected.status, JSON.stringify(connected.body)).toBe(200);
    repoId = (await pushedRepo(server.url, user, `pickup-${version}`)).id;
    board = addBoard(notion, 'Roadmap');
  });

  afterAll(async () => {
    await server?.close();
    await notion?.stop();
  });

  function api<T>(method: string, path: string, json?: unknown, as: TestUser = user) {
    return request<T>(server.url, method, path, {
      token: as.token,
      ...(json !== undefined && { json }),
    });
  }

  function saveMapping(database: FakeDatabase, pickupStatus: string | null, as = user) {
    return api<NotionMapping>(
      'PUT',
      `/api/v1/notion/databases/${database.id}/mapping`,
      { repoId, statusProperty: 'Status', statusOptions: { todo: 'Not started' }, pickupStatus },
      as,
    );
  }

  async function mappingOf(database: FakeDatabase, as = user): Promise<NotionMapping> {
    const detail = await api<NotionDatabaseDetail>(
      'GET',
      `/api/v1/notion/databases/${database.id}`,
      undefined,
      as,
    );
    expect(detail.status, JSON.stringify(detail.body)).toBe(200);
    return detail.body.mapping!;
  }

  /** The tasks started from a page. */
  async function tasksFrom(page: FakePage) {
    return server.database.db
      .select({
        id: tasks.id,
        title: tasks.title,
        createdBy: tasks.createdBy,
        source: tasks.source,
      })
      .from(taskNotionLinks)
      .innerJoin(tasks, eq(tasks.id, taskNotionLinks.taskId))
      .where(eq(taskNotionLinks.pageId, page.id.replace(/-/g, '')));
  }

  it('refuses a pickup status the database does not have, in Notion’s words', async () => {
    const refused = await saveMapping(board, 'Ready');
    expect(refused.status).toBe(400);
    expect((refused.body as unknown as { error: { code: string; message: string } }).error).toEqual(
      {
        code: 'invalid_notion_mapping',
        message:
          'The property “Status” of “Roadmap” has no option “Ready” to start tasks from; its options ' +
          `are “Not started”, “${READY}”, “In progress”, “Done”.`,
      },
    );
  });

  it('starts nothing while pickup is off', async () => {
    const saved = await saveMapping(board, null);
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ pickupStatus: null, pickup: null });
    const page = notion.addPage(board, { title: 'Left alone', values: { Status: READY } });
    const queries = notion.requests.length;
    expect(await server.notionPickup.pollOnce()).toEqual([]);
    expect(notion.requests.length).toBe(queries);
    expect(await tasksFrom(page)).toEqual([]);
  });

  it('starts a page entering the pickup status once and only once over several polls, as the user who turned it on', async () => {
    const other = notion.addPage(board, { title: 'Not yet', values: { Status: 'Not started' } });
    const page = notion.addPage(board, {
      title: 'Add a changelog',
      values: { Status: READY },
      blocks: [{ type: 'paragraph', content: { rich_text: [{ plain_text: 'Keep it short.' }] } }],
    });
    const saved = await saveMapping(board, READY);
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({
      pickupStatus: READY,
      pickup: { startedBy: 'Ada Lovelace', lastPolledAt: null, error: null, stopped: false },
    });

    const first = await server.notionPickup.pollOnce();
    // The page left alone while pickup was off is ready too: it starts now, once.
    expect(first).toHaveLength(2);
    const [started] = await tasksFrom(page);
    expect(started).toMatchObject({
      title: 'Add a changelog',
      createdBy: user.id,
      source: 'notion',
    });
    const task = await api<{ prompt: string; status: string }>(
      'GET',
      `/api/v1/tasks/${started!.id}`,
    );
    expect(task.body.prompt).toBe(
      `# Add a changelog\n\nKeep it short.\n\nNotion page: ${page.url}`,
    );
    expect(task.body.status).toBe('queued');
    const queries = notion.requests.filter((r) => r.path.endsWith('/query'));
    expect(queries.at(-1)?.path).toBe(
      version === '2025-09-03'
        ? `/v1/data_sources/${board.dataSourceId}/query`
        : `/v1/databases/${board.id}/query`,
    );
    expect(JSON.parse(queries.at(-1)!.body).filter).toEqual({
      property: 'Status',
      status: { equals: READY },
    });

    // The page is still in the pickup status (no "in progress" is mapped): it is not started again.
    expect(await server.notionPickup.pollOnce()).toEqual([]);
    expect(await server.notionPickup.pollOnce()).toEqual([]);
    expect(await tasksFrom(page)).toHaveLength(1);
    expect(await tasksFrom(other)).toEqual([]);

    const mapping = await mappingOf(board);
    expect(mapping.pickup).toMatchObject({ error: null, stopped: false });
    expect(mapping.pickup?.lastPolledAt).not.toBeNull();

    // A page in another status starts when it enters the pickup status.
    other.values.Status = READY;
    const later = await server.notionPickup.pollOnce();
    expect(later).toHaveLength(1);
    expect(await tasksFrom(other)).toHaveLength(1);
  });

  it('starts a page once when two servers poll one database at the same time', async () => {
    const second = await startTestServer({
      env: {
        ...fakeProviderEnv('http://127.0.0.1:9', { anthropic: 'a', openai: 'o', compatible: 'c' }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        NOTION_API_URL: notion.url,
        NOTION_API_VERSION: version,
        NOTION_PICKUP_INTERVAL_MS: '0',
        // Servers sharing a database share its sealing key.
        ENCRYPTION_KEY: server.config.encryptionKey.toString('base64'),
      },
      sharedDatabase: server.database,
    });
    try {
      const page = notion.addPage(board, { title: 'Raced for', values: { Status: READY } });
      const [a, b] = await Promise.all([
        server.notionPickup.pollOnce(),
        second.notionPickup.pollOnce(),
      ]);
      expect([...a, ...b]).toHaveLength(1);
      expect(await tasksFrom(page)).toHaveLength(1);
      const picks = await server.database.db
        .select()
        .from(notionPickups)
        .where(eq(notionPickups.pageId, page.id.replace(/-/g, '')));
      expect(picks).toHaveLength(1);
      expect((await mappingOf(board)).pickup).toMatchObject({ error: null, stopped: false });
    } finally {
      await second.close();
    }
  });

  it('waits out a 429 during a poll and still starts the page once', async () => {
    const page = notion.addPage(board, { title: 'Slow down', values: { Status: READY } });
    const before = notion.requests.length;
    notion.failNext(429, { retryAfter: 1 });
    expect(await server.notionPickup.pollOnce()).toHaveLength(1);
    const [limited, retried] = notion.requests.slice(before);
    expect(limited?.path).toBe(retried?.path);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(1000);
    expect(await tasksFrom(page)).toHaveLength(1);
    expect((await mappingOf(board)).pickup?.error).toBeNull();
    expect(await server.notionPickup.pollOnce()).toEqual([]);
    expect(await tasksFrom(page)).toHaveLength(1);
  });

  it('stops the pickup of a database gone, with the reason, and goes on with the others', async () => {
    const gone = addBoard(notion, 'Old board');
    const kept = addBoard(notion, 'New board');
    expect((await saveMapping(gone, READY)).status).toBe(200);
    expect((await saveMapping(kept, READY)).status).toBe(200);
    const goneMapping = await mappingOf(gone);
    notion.removeDatabase(gone);
    const page = notion.addPage(kept, { title: 'Still picked', values: { Status: READY } });

    expect(await server.notionPickup.pollOnce()).toHaveLength(1);
    expect(await tasksFrom(page)).toHaveLength(1);
    const [stopped] = await server.database.db
      .select()
      .from(notionMappings)
      .where(eq(notionMappings.databaseId, goneMapping.databaseId));
    expect(stopped).toMatchObject({ pickupStopped: true });
    expect(stopped?.pickupError).toContain('Notion has no such page or database');

    // Stopped, it is not polled again until saved.
    const before = notion.requests.length;
    expect(await server.notionPickup.pollOnce()).toEqual([]);
    expect(
      notion.requests.slice(before).some((r) => r.path.includes(gone.id.replace(/-/g, ''))),
    ).toBe(false);
  });

  it('does not start tasks as a member whose role no longer allows them, and says why', async () => {
    const owner = await signUp(server.url, 'Grace Hopper');
    const team = await api<Workspace>(
      'POST',
      '/api/v1/workspaces',
      { name: `Team ${version}` },
      owner,
    );
    expect(team.status, JSON.stringify(team.body)).toBe(201);
    const member = await signUp(server.url, 'Katherine Johnson');
    await addMember(server.database.db, {
      workspaceId: team.body.id,
      userId: member.id,
      role: 'member',
    });
    const repo = await api<{ id: string }>(
      'POST',
      '/api/v1/repos',
      { name: `team-${version}`, workspaceId: team.body.id },
      member,
    );
    expect(repo.status, JSON.stringify(repo.body)).toBe(201);
    expect(
      (await api('POST', '/api/integrations/notion/token', { token: notion.token }, member)).status,
    ).toBe(200);
    const teamBoard = addBoard(notion, 'Team board');
    const saved = await api<NotionMapping>(
      'PUT',
      `/api/v1/notion/databases/${teamBoard.id}/mapping`,
      { repoId: repo.body.id, statusProperty: 'Status', pickupStatus: READY },
      member,
    );
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    const demoted = await api(
      'PATCH',
      `/api/v1/workspaces/${team.body.id}/members/${member.id}`,
      { role: 'viewer' },
      owner,
    );
    expect(demoted.status, JSON.stringify(demoted.body)).toBe(200);
    const page = notion.addPage(teamBoard, { title: 'Not as a viewer', values: { Status: READY } });

    await server.notionPickup.pollOnce();
    expect(await tasksFrom(page)).toEqual([]);
    const mapping = await mappingOf(teamBoard, member);
    expect(mapping.pickup).toMatchObject({ stopped: false, startedBy: 'Katherine Johnson' });
    expect(mapping.pickup?.error).toBe(
      'No task was started: Katherine Johnson, who turned automatic pickup on, can no longer ' +
        `start tasks on team-${version} (a member of its workspace or above can); a member ` +
        'saving the mapping again starts them as themselves.',
    );
  });

  it('stops the pickup of a connection whose token Notion refuses, and never logs the token', async () => {
    const page = notion.addPage(board, { title: 'Never started', values: { Status: READY } });
    notion.revoke(notion.token);
    expect(await server.notionPickup.pollOnce()).toEqual([]);
    expect(await tasksFrom(page)).toEqual([]);
    const [row] = await server.database.db
      .select()
      .from(notionMappings)
      .where(eq(notionMappings.databaseId, board.id.replace(/-/g, '')));
    expect(row).toMatchObject({ pickupStopped: true });
    expect(row?.pickupError).toContain('Notion refused the token of the connected workspace');
    expect(logLines.join('')).not.toContain(notion.token);
  });
});

describe('Notion pickup across a restart of `lucid serve`', () => {
  const bin = fileURLToPath(new URL('../bin/lucid.js', import.meta.url));
  let notion: FakeNotion;
  let dir: string;
  let child: ChildProcess | null = null;

  beforeAll(async () => {
    notion = await startFakeNotion();
    dir = await mkdtemp(path.join(tmpdir(), 'lucid-pickup-restart-'));
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await notion?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** `lucid serve` on the test's data dir, polling every 200 ms; resolves with its URL. */
  async function serve(): Promise<string> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const started = spawn(process.execPath, [bin, 'serve'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        PORT: String(port),
        HOST: '127.0.0.1',
        LUCID_PUBLIC_URL: url,
        LUCID_DATA_DIR: path.join(dir, 'data'),
        LUCID_SIGNUP: 'open',
        LUCID_SANDBOX: 'local',
        LUCID_SANDBOX_WARM_POOL: '0',
        LUCID_RUNNER_SLOTS: '0',
        LOG_LEVEL: 'warn',
        ...fakeProviderEnv('http://127.0.0.1:9', { anthropic: 'a', openai: 'o', compatible: 'c' }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        NOTION_API_URL: notion.url,
        NOTION_PICKUP_INTERVAL_MS: '200',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = started;
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    for (;;) {
      if (started.exitCode !== null) throw new Error(`lucid serve exited: ${stderr}`);
      const answered = await fetch(`${url}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (answered) return url;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('does not start a picked page again after the server starts again', async () => {
    let url = await serve();
    const user = await signUp(url, 'Mary Jackson');
    const as = { token: user.token };
    expect(
      (
        await request(url, 'POST', '/api/integrations/notion/token', {
          ...as,
          json: { token: notion.token },
        })
      ).status,
    ).toBe(200);
    const repo = await pushedRepo(url, user, 'restarted');
    const board = addBoard(notion, 'Launch board');
    const page = notion.addPage(board, {
      title: 'Picked before the restart',
      values: { Status: READY },
    });
    const saved = await request(url, 'PUT', `/api/v1/notion/databases/${board.id}/mapping`, {
      ...as,
      json: { repoId: repo.id, statusProperty: 'Status', pickupStatus: READY },
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);

    const picked = async (at: string) =>
      (await request<TaskList>(at, 'GET', '/api/v1/tasks', as)).body.tasks.filter(
        (t) => t.title === page.title,
      );
    while ((await picked(url)).length === 0) await new Promise((r) => setTimeout(r, 100));

    const exited = once(child!, 'exit');
    child!.kill('SIGKILL');
    await exited;
    url = await serve();
    const restartedAt = Date.now();
    // Two whole polls of the restarted server, the page still in the pickup status.
    const polledAt = async () =>
      Date.parse(
        (
          await request<NotionDatabaseDetail>(
            url,
            'GET',
            `/api/v1/notion/databases/${board.id}`,
            as,
          )
        ).body.mapping?.pickup?.lastPolledAt ?? '0',
      );
    let first = 0;
    while ((first = await polledAt()) <= restartedAt) await new Promise((r) => setTimeout(r, 100));
    while ((await polledAt()) <= first) await new Promise((r) => setTimeout(r, 100));

    expect(notion.page(page.id)?.values.Status).toBe(READY);
    expect(await picked(url)).toHaveLength(1);
    child!.kill('SIGTERM');
    await once(child!, 'exit');
    child = null;
  }, 180_000);
});
