/**
 * What Lucid writes back to the Notion page a task came from, against the fake Notion and a real
 * runner: started (status and a comment linking the task), in review (a comment naming the branch
 * with no forge; with a forge, the PR property and a comment with its link), done on approval,
 * failed with the reason as a comment; each told on the task. A 429 or 5xx storm, and a comment
 * whose answer was lost, still land once; a revoked token ends the job at once with the task's
 * error line and the connection shown as needing a reconnect; no token in an event, job or log.
 * The whole journey runs on both Notion API versions.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { and, eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotionStatus } from '@lucid/contracts';
import { events, jobs } from '../src/db/schema.ts';
import { NOTION_REFUSED_MESSAGE } from '../src/notion/write-back.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { startFakeGitHub, type FakeGitHub } from './fakes/github/index.ts';
import { shellTrajectory, startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { startFakeNotion, type FakeDatabase, type FakeNotion } from './fakes/notion/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { linkedRepo, waitForEvent } from './support/forges.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { pushedRepo, taskEvents, waitForStatus, type EventView } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const STATUS = {
  type: 'status' as const,
  options: ['Not started', 'In progress', 'In review', 'Done', 'Failed'],
};
const OPTIONS = {
  todo: 'Not started',
  inProgress: 'In progress',
  inReview: 'In review',
  done: 'Done',
  failed: 'Failed',
};

let notion: FakeNotion;
let github: FakeGitHub;
let llm: FakeLlm;
let server: TestServer;
let user: TestUser;
let local: FakeDatabase;
let forged: FakeDatabase;
let localRepoId: string;
let forgeRepoId: string;
const logLines: string[] = [];

/** Shell that writes a file, commits it and pushes the task's branch. */
function commitFile(file: string): string {
  return [
    `printf 'x' > ${file}`,
    'git add -A',
    `git -c user.name=Agent -c user.email=agent@example.test commit -qm 'Write ${file}'`,
    'git push -q origin HEAD:refs/heads/$(git branch --show-current)',
  ].join(' && ');
}

const api = <T>(method: string, url: string, json?: unknown) =>
  request<T>(server.url, method, url, { token: user.token, ...(json !== undefined && { json }) });

async function map(database: FakeDatabase, repoId: string): Promise<void> {
  const saved = await api('PUT', `/api/v1/notion/databases/${database.id}/mapping`, {
    repoId,
    baseBranch: 'main',
    statusProperty: 'Status',
    statusOptions: OPTIONS,
    prLinkProperty: 'PR',
  });
  expect(saved.status, JSON.stringify(saved.body)).toBe(200);
}

/**
 * Starts a task from a new page of `database`, running `command` (or left in To Do), or the agent
 * when there is no command.
 */
async function taskFromPage(
  database: FakeDatabase,
  repoId: string,
  title: string,
  command: string | null,
  start = true,
) {
  const page = notion.addPage(database, { title, values: { Status: 'Not started' } });
  const created = await api<{ task: { id: string; branch: string } }>(
    'POST',
    '/api/v1/notion/tasks',
    {
      pageId: page.id,
      repoId,
      baseBranch: 'main',
      prompt: title,
      ...(command ? { commands: [command] } : {}),
      start,
    },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { page, task: created.body.task };
}

const commentsOn = (pageId: string) =>
  notion.comments.filter((c) => c.pageId === pageId).map((c) => c.text);

const patchesOf = (pageId: string) =>
  notion.requests
    .filter(
      (r) =>
        r.method === 'PATCH' &&
        r.path.replace(/-/g, '') === `/v1/pages/${pageId.replace(/-/g, '')}`,
    )
    .map((r) => JSON.parse(r.body) as unknown);

const updatesOf = (list: EventView[]) => list.filter((e) => e.type === 'notion.updated');

async function waitForUpdate(taskId: string, stage: string): Promise<EventView> {
  return waitForEvent(
    server,
    user,
    taskId,
    (e) => e.type === 'notion.updated' && e.stage === stage,
  );
}

/** The fakes, a server speaking Notion's `version`, a user connected, and both boards mapped. */
async function setUp(version: string): Promise<void> {
  logLines.length = 0;
  notion = await startFakeNotion();
  github = await startFakeGitHub();
  llm = await startFakeLlm();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  server = await startTestServer({
    env: {
      ...github.env(),
      ...fakeProviderEnv(llm.url, {
        anthropic: 'sk-ant-notion-test-0123456789',
        openai: 'sk-openai-notion-test-0123456789',
        compatible: 'sk-local-notion-test-0123456789',
      }),
      LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      NOTION_API_URL: notion.url,
      NOTION_API_VERSION: version,
    },
    logger: pino({ level: 'trace' }, sink),
    runner: {
      driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
      slots: 1,
      pollMs: 100,
      warmPool: 0,
    },
  });
  user = await signUp(server.url, 'Nina');
  const connected = await api('POST', '/api/integrations/notion/token', { token: notion.token });
  expect(connected.status, JSON.stringify(connected.body)).toBe(200);
  local = notion.addDatabase({
    title: 'Local board',
    properties: { Name: { type: 'title' }, Status: STATUS, PR: { type: 'url' } },
  });
  forged = notion.addDatabase({
    title: 'Forge board',
    properties: { Name: { type: 'title' }, Status: STATUS, PR: { type: 'url' } },
  });
  localRepoId = (await pushedRepo(server.url, user, 'notion-local')).id;
  const account = github.addUser({ login: 'nina' });
  forgeRepoId = (
    await linkedRepo(server, {
      user,
      provider: 'github',
      fake: github,
      login: account.login,
      token: account.token,
      name: 'notion-forge',
    })
  ).id;
  await map(local, localRepoId);
  await map(forged, forgeRepoId);
}

async function tearDown(): Promise<void> {
  await server?.close();
  await github?.close();
  await llm?.close();
  await notion?.stop();
}

describe.each(['2025-09-03', '2022-06-28'])('Notion write-back on %s', (version) => {
  beforeAll(() => setUp(version), 120_000);
  afterAll(tearDown);

  it('says it started with the task’s link, names the branch in review, and says done on approval', async () => {
    const { page, task } = await taskFromPage(
      local,
      localRepoId,
      'Add a file',
      commitFile('a.txt'),
    );
    const taskUrl = `${server.config.publicUrl}/tasks/${task.id}`;
    await waitForUpdate(task.id, 'inProgress');
    expect(notion.page(page.id)?.values.Status).not.toBe('Not started');
    expect(commentsOn(page.id)[0]).toBe(`Lucid started: ${taskUrl}`);
    const started = notion.comments.find((c) => c.pageId === page.id);
    expect(started?.richText).toEqual([
      { type: 'text', text: { content: 'Lucid started: ', link: null } },
      { type: 'text', text: { content: taskUrl, link: { url: taskUrl } } },
    ]);

    await waitForStatus(server.url, user, task.id, ['in_review']);
    await waitForUpdate(task.id, 'inReview');
    expect(notion.page(page.id)?.values.Status).toBe('In review');
    const approved = await api('POST', `/api/v1/tasks/${task.id}/approve`);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    await waitForUpdate(task.id, 'done');

    expect(notion.page(page.id)?.values.Status).toBe('Done');
    expect(notion.page(page.id)?.values.PR ?? null).toBeNull();
    expect(commentsOn(page.id)).toEqual([
      `Lucid started: ${taskUrl}`,
      `Lucid's work is ready for review on branch ${task.branch}: ${taskUrl}`,
      `Lucid's work was approved and merged: ${taskUrl}`,
    ]);
    expect(updatesOf(await taskEvents(server.url, user, task.id))).toMatchObject([
      {
        stage: 'inProgress',
        option: 'In progress',
        prLink: null,
        comment: true,
        pageUrl: page.url,
      },
      { stage: 'inReview', option: 'In review', prLink: null, comment: true, pageUrl: page.url },
      { stage: 'done', option: 'Done', prLink: null, comment: true, pageUrl: page.url },
    ]);
  });

  it('sets the PR property and comments the PR’s link once the forge’s pull request is open', async () => {
    llm.script(
      shellTrajectory([{ command: 'echo b > b.txt' }], 'Added b.txt.', { finishTool: 'finish' }),
    );
    const { page, task } = await taskFromPage(forged, forgeRepoId, 'Add b', null);
    await waitForStatus(server.url, user, task.id, ['in_review']);
    const opened = await waitForEvent(server, user, task.id, (e) => e.type === 'pr.opened');
    const prUrl = String(opened.url);
    // The job of the task's review may write the link first, with no comment: wait for the
    // one the pull request's opening stored, which comments it.
    const update = await waitForEvent(
      server,
      user,
      task.id,
      (e) => e.type === 'notion.updated' && e.prLink !== null && e.comment === true,
    );
    expect(update).toMatchObject({ stage: 'inReview', option: 'In review', prLink: prUrl });
    expect(notion.page(page.id)?.values).toMatchObject({ Status: 'In review', PR: prUrl });
    expect(commentsOn(page.id).filter((t) => t.includes(prUrl))).toEqual([
      `Lucid opened a pull request for review: ${prUrl}`,
    ]);
    expect(commentsOn(page.id).some((t) => t.includes('on branch'))).toBe(false);
  });

  it('marks a failed task Failed with the reason as a comment', async () => {
    const { page, task } = await taskFromPage(
      local,
      localRepoId,
      'Break it',
      'echo broken >&2; exit 3',
    );
    await waitForStatus(server.url, user, task.id, ['failed']);
    await waitForUpdate(task.id, 'failed');
    const all = await taskEvents(server.url, user, task.id);
    const reason = String(
      all.findLast((e) => e.type === 'task.status' && e.status === 'failed')?.reason ?? '',
    );
    expect(reason).not.toBe('');
    expect(notion.page(page.id)?.values.Status).toBe('Failed');
    expect(commentsOn(page.id).at(-1)).toBe(
      `Lucid failed: ${reason} ${server.config.publicUrl}/tasks/${task.id}`,
    );
  });

  it('lands the status and the comment once through a storm of 429s, then of 5xx', async () => {
    for (const storm of [
      // The status lands, then the comment meets the storm: the retries leave the status alone.
      () => notion.failNext(429, { count: 9, retryAfter: 0, path: '/v1/comments' }),
      () => notion.failNext(503, { count: 5 }),
    ]) {
      const { page, task } = await taskFromPage(local, localRepoId, 'Storm', 'true', false);
      storm();
      const started = await api('POST', `/api/v1/tasks/${task.id}/runs`, { commands: ['true'] });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      await waitForUpdate(task.id, 'inProgress');
      const all = await taskEvents(server.url, user, task.id);
      expect(all.filter((e) => e.type === 'notion.pending').length).toBeGreaterThan(0);
      expect(all.find((e) => e.type === 'notion.pending')).toMatchObject({
        attempt: 1,
        maxAttempts: 5,
      });
      expect(
        patchesOf(page.id).filter((p) => JSON.stringify(p).includes('In progress')),
      ).toHaveLength(1);
      expect(commentsOn(page.id).filter((t) => t.startsWith('Lucid started'))).toHaveLength(1);
      expect(updatesOf(all).filter((e) => e.stage === 'inProgress')).toHaveLength(1);
    }
  });

  it('does not post a comment twice when Notion stored it but its answer was lost', async () => {
    const { page, task } = await taskFromPage(local, localRepoId, 'Lost answer', 'true', false);
    notion.loseNextCommentAnswer();
    const started = await api('POST', `/api/v1/tasks/${task.id}/runs`, { commands: ['true'] });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    await waitForUpdate(task.id, 'inProgress');
    const all = await taskEvents(server.url, user, task.id);
    expect(all.some((e) => e.type === 'notion.pending')).toBe(true);
    expect(commentsOn(page.id).filter((t) => t.startsWith('Lucid started'))).toHaveLength(1);
  });

  it('ends the job at once on a revoked token, with the task’s error line, until a reconnect', async () => {
    const { task } = await taskFromPage(local, localRepoId, 'Revoked', 'true', false);
    notion.revoke(notion.token);
    const started = await api('POST', `/api/v1/tasks/${task.id}/runs`, { commands: ['true'] });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const error = await waitForEvent(
      server,
      user,
      task.id,
      (e) => e.type === 'error' && e.code === 'invalid_notion_token',
    );
    expect(error.message).toBe(NOTION_REFUSED_MESSAGE);
    // Its run's publish job is the task's too: only the write-backs are read (in progress, and in
    // review once the run ends), each ended at its first attempt.
    await expect
      .poll(async () =>
        (
          await server.database.db
            .select()
            .from(jobs)
            .where(and(eq(jobs.taskId, task.id), eq(jobs.kind, 'notion.status')))
        ).map((job) => ({ status: job.status, attempts: job.attempts })),
      )
      .toSatisfy(
        (ended: { status: string; attempts: number }[]) =>
          ended.length > 0 && ended.every((job) => job.status === 'failed' && job.attempts === 1),
      );
    const all = await taskEvents(server.url, user, task.id);
    expect(all.some((e) => e.type === 'notion.pending')).toBe(false);
    const status = await api<NotionStatus>('GET', '/api/integrations/notion');
    expect(status.body.connections[0]?.refusedAt).not.toBeNull();

    notion.grant(notion.token);
    const again = await api('POST', '/api/integrations/notion/token', { token: notion.token });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const reconnected = await api<NotionStatus>('GET', '/api/integrations/notion');
    expect(reconnected.body.connections[0]?.refusedAt).toBeNull();
  });

  it('never lets the token out: not in an event, a job or a log line', async () => {
    const stored = JSON.stringify(await server.database.db.select().from(events));
    const queued = JSON.stringify(await server.database.db.select().from(jobs));
    const logs = logLines.join('\n');
    expect(stored).toContain('notion.updated');
    for (const text of [stored, queued, logs]) {
      expect(text).not.toContain(notion.token);
      expect(text).not.toContain('ntn_');
    }
  });
});
