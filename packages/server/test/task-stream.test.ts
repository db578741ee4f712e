import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAFT_MAX_CHARS, DRAFT_PIECE_MAX_CHARS, type EventBody } from '@lucid/contracts';
import { loadConfig } from '../src/config.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import type { DbRunnerBackend } from '../src/control/runner-backend.ts';
import { EventSink } from '../src/runner/event-sink.ts';
import { HttpRunnerBackend } from '../src/runner/http-backend.ts';
import { claimedRun, runnerBackendOn } from './support/runner-backend.ts';
import { lastSeqOf } from '../src/tasks/events.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { withDatabase } from './support/global-setup.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { openStream, type TaskStream } from './support/stream.ts';
import { pushedRepo, startTask, taskEvents } from './support/tasks.ts';
import {
  freePort,
  onPostgres,
  openTestDatabase,
  startTestServer,
  type TestServer,
} from './support/test-server.ts';

let server: TestServer;
let user: TestUser;
let repoId: string;

beforeAll(async () => {
  server = await startTestServer();
  user = await signUp(server.url);
  repoId = (await pushedRepo(server.url, user, 'stream-repo')).id;
});
afterAll(async () => {
  await server.close();
});

/** A runner reporting to `base` as the server's own does: drafts go to its live hub. */
function backendOn(base: RunningServer, runnerId = 'rnr_streamtest'): DbRunnerBackend {
  return runnerBackendOn(base, runnerId);
}

/** A task whose run this test holds as its runner would. */
async function runningTask(base: RunningServer = server, owner = user, repo = repoId) {
  const backend = backendOn(base);
  const { taskId, runId } = await claimedRun(base, backend, owner, repo);
  return { taskId, runId, backend };
}

const output = (chunk: string): EventBody => ({ type: 'tool.output', stream: 'stdout', chunk });

const streams: TaskStream[] = [];
async function stream(...args: Parameters<typeof openStream>): Promise<TaskStream> {
  const opened = await openStream(...args);
  streams.push(opened);
  return opened;
}
afterAll(() => {
  for (const s of streams) s.close();
});

/**
 * Runs `send` while a transaction holds the runs table: a draft piece that needed a statement (the
 * check that its runner holds the run) would wait until the end.
 */
async function whileRunsLocked(send: () => Promise<void>): Promise<void> {
  let release = (): void => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked = (): void => {};
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holder = server.database.db.transaction(async (tx) => {
    await tx.execute(sql`LOCK TABLE runs IN ACCESS EXCLUSIVE MODE`);
    locked();
    await held;
  });
  try {
    await isLocked;
    await send();
  } finally {
    release();
    await holder;
  }
}

const seqs = (s: TaskStream) => s.events().map((e) => e.seq);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const reached = (seq: number) => (m: { kind: string; event?: { seq: number } }) =>
  m.kind === 'event' && (m.event?.seq ?? 0) >= seq;

describe('the task stream', () => {
  it('replays exactly the events after N, then sends new ones as they are stored', async () => {
    const { taskId, runId, backend } = await runningTask();
    await backend.append(
      runId,
      range(1, 6).map((i) => output(`line ${i}\n`)),
    );
    const last = (await taskEvents(server.url, user, taskId)).at(-1)?.seq ?? 0;

    const listed = await request<{ events: { seq: number }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${taskId}/events?after=3`,
      { token: user.token },
    );
    expect(listed.body.events.map((e) => e.seq)).toEqual(range(4, last));

    const viewer = await stream(server.url, taskId, { token: user.token }, { after: 3 });
    expect(viewer.status).toBe(200);
    await viewer.waitFor(reached(last));
    await backend.append(runId, [output('live\n')]);
    await viewer.waitFor(reached(last + 1));
    expect(seqs(viewer)).toEqual(range(4, last + 1));
    // SSE ids are the seqs, so EventSource resumes where it stopped.
    expect(viewer.messages.map((m) => m.id)).toEqual(range(4, last + 1).map(String));
    expect(viewer.events().at(-1)).toMatchObject({ type: 'tool.output', chunk: 'live\n' });

    const resumed = await stream(server.url, taskId, { token: user.token }, { lastEventId: last });
    await resumed.waitFor(reached(last + 1));
    expect(seqs(resumed)).toEqual([last + 1]);
  });

  it('gives a viewer connecting mid-answer the text so far, then the rest, exactly once', async () => {
    const { taskId, runId, backend } = await runningTask();
    await backend.draft(runId, 0, 'Looking at ');
    await backend.draft(runId, 11, 'the tests');

    const viewer = await stream(server.url, taskId, { token: user.token });
    await viewer.waitFor((m) => m.kind === 'draft');
    await backend.draft(runId, 20, ', then the code.');
    await viewer.waitFor((m) => m.kind === 'delta');
    await backend.append(runId, [
      { type: 'message.assistant', text: 'Looking at the tests, then the code.' },
    ]);
    await viewer.waitFor((m) => m.kind === 'event' && m.event.type === 'message.assistant');

    const live = viewer.messages.map((m) => m.message).filter((m) => m.kind !== 'event');
    expect(live).toEqual([
      { kind: 'draft', runId, text: 'Looking at the tests' },
      { kind: 'delta', runId, offset: 20, text: ', then the code.' },
    ]);
    expect(viewer.draftText(runId)).toBe('Looking at the tests, then the code.');

    // The answer is stored once, as message.assistant; its pieces are not stored.
    const stored = await taskEvents(server.url, user, taskId);
    expect(stored.filter((e) => e.type === 'message.assistant')).toHaveLength(1);
    expect(stored.filter((e) => e.type === 'message.delta')).toEqual([]);

    // Once stored, the answer is no longer a draft: a later viewer gets the event alone.
    const later = await stream(server.url, taskId, { token: user.token });
    await later.waitFor((m) => m.kind === 'event' && m.event.type === 'message.assistant');
    expect(later.messages.filter((m) => m.message.kind !== 'event')).toEqual([]);

    // A new answer starts a new draft, even though the notification of the stored answer may
    // arrive after it started.
    await backend.draft(runId, 0, 'Next');
    await backend.draft(runId, 4, ' answer');
    await later.waitFor((m) => m.kind === 'delta');
    expect(later.draftText(runId)).toBe('Next answer');
    await backend.append(runId, [output('more\n')]);
    await backend.draft(runId, 11, '.');
    await later.waitFor((m) => m.kind === 'delta' && m.offset === 11);
    expect(later.draftText(runId)).toBe('Next answer.');
  });

  it('streams draft pieces without waiting for the database', async () => {
    const { taskId, runId, backend } = await runningTask();
    await backend.draft(runId, 0, 'Reading');
    const viewer = await stream(server.url, taskId, { token: user.token });
    await viewer.waitFor((m) => m.kind === 'draft');
    await whileRunsLocked(async () => {
      await backend.draft(runId, 7, ' the code');
      await viewer.waitFor((m) => m.kind === 'delta');
    });
    expect(viewer.draftText(runId)).toBe('Reading the code');
  });

  it("starts an answer's draft without a statement once its runner has claimed the run or stored its events", async () => {
    const { taskId, runId, backend } = await runningTask();
    const viewer = await stream(server.url, taskId, { token: user.token });
    await viewer.waitFor(reached((await taskEvents(server.url, user, taskId)).at(-1)?.seq ?? 0));
    // The claim checked that this runner holds the run: the first piece needs no check of its own.
    await whileRunsLocked(async () => {
      await backend.draft(runId, 0, 'First');
      await viewer.waitFor((m) => m.kind === 'draft' && m.text === 'First');
    });
    // Storing the answer ends its draft; the append checked the holder, so the next answer
    // starts without a check too.
    await backend.append(runId, [{ type: 'message.assistant', text: 'First' }]);
    await viewer.waitFor((m) => m.kind === 'event' && m.event.type === 'message.assistant');
    await whileRunsLocked(async () => {
      await backend.draft(runId, 0, 'Second');
      await viewer.waitFor((m) => m.kind === 'draft' && m.text === 'Second');
    });
  });

  it('stops a draft growing at its cap, and the stored answer still ends it', async () => {
    const { taskId, runId, backend } = await runningTask();
    const viewer = await stream(server.url, taskId, { token: user.token });
    await viewer.waitFor(reached((await taskEvents(server.url, user, taskId)).at(-1)?.seq ?? 0));
    const head = 'a'.repeat(DRAFT_MAX_CHARS - 10);
    await backend.draft(runId, 0, head);
    await backend.draft(runId, head.length, 'b'.repeat(20));
    await backend.draft(runId, head.length + 20, 'c'.repeat(5));
    // Events and pieces reach viewers in the order sent: once this shows, every piece was handled.
    await backend.append(runId, [output('marker\n')]);
    await viewer.waitFor((m) => m.kind === 'event' && m.event.type === 'tool.output');

    const kept = head + 'b'.repeat(10);
    expect(viewer.draftText(runId)).toBe(kept);
    expect(server.live.draftOf(taskId, runId)).toBe(kept);
    const live = viewer.messages.map((m) => m.message).filter((m) => m.kind !== 'event');
    expect(live.map((m) => [m.kind, m.kind === 'delta' ? m.offset : 0, m.text.length])).toEqual([
      ['draft', 0, head.length],
      ['delta', head.length, 10],
    ]);
    const later = await stream(server.url, taskId, { token: user.token });
    await later.waitFor((m) => m.kind === 'draft');
    expect(later.draftText(runId)).toBe(kept);

    const answer = `${head}${'b'.repeat(20)}${'c'.repeat(5)}`;
    await backend.append(runId, [{ type: 'message.assistant', text: answer }]);
    for (const v of [viewer, later]) {
      await v.waitFor((m) => m.kind === 'event' && m.event.type === 'message.assistant');
    }
    expect(later.events().at(-1)).toMatchObject({ type: 'message.assistant', text: answer });
    expect(server.live.draftOf(taskId, runId)).toBeUndefined();
    await backend.draft(runId, 0, 'Next');
    await later.waitFor((m) => m.kind === 'draft' && m.text === 'Next');
  });

  it('a runner may send drafts only for its own running runs', async () => {
    const { runId } = await runningTask();
    const stranger = backendOn(server, 'rnr_stranger');
    await expect(stranger.draft(runId, 0, 'hijack')).rejects.toMatchObject({
      code: 'run_not_found',
    });
  });

  it('refuses drafts for a run once it is over, though its runner was checked before', async () => {
    const { runId, backend } = await runningTask();
    await backend.draft(runId, 0, 'Almost');
    await backend.finish(runId, { status: 'succeeded' });
    await expect(backend.draft(runId, 6, ' done')).rejects.toMatchObject({
      code: 'run_not_found',
    });
  });

  it("publishes a remote runner's drafts sent over the runner API, for its own runs only", async () => {
    const runnerToken = async (name: string) =>
      (
        await request<{ token: string }>(server.url, 'POST', '/api/v1/runners/tokens', {
          token: user.token,
          json: { name },
        })
      ).body.token;
    const remote = await runnerToken('remote');
    const other = await runnerToken('other');
    const { task, run } = await startTask(server.url, user, {
      repoId,
      prompt: 'remote',
      commands: ['true'],
    });
    const claim = await request<{ run: { id: string } }>(
      server.url,
      'POST',
      '/api/v1/runner/claim',
      {
        token: remote,
        json: {},
      },
    );
    expect(claim.body.run.id).toBe(run.id);
    const draft = (token: string, offset: number, text: string) =>
      request<{ error: { code: string } }>(
        server.url,
        'POST',
        `/api/v1/runner/runs/${run.id}/draft`,
        { token, json: { offset, text } },
      );

    expect((await draft(remote, 0, 'From afar')).status).toBe(204);
    const viewer = await stream(server.url, task.id, { token: user.token });
    await viewer.waitFor((m) => m.kind === 'draft');
    expect((await draft(remote, 9, ', live')).status).toBe(204);
    await viewer.waitFor((m) => m.kind === 'delta');
    expect(viewer.draftText(run.id)).toBe('From afar, live');

    const refused = await draft(other, 15, ' (not mine)');
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('run_not_found');
    const tooLong = await draft(remote, 15, 'x'.repeat(DRAFT_PIECE_MAX_CHARS + 1));
    expect(tooLong.status).toBe(400);
    expect(viewer.draftText(run.id)).toBe('From afar, live');
  });

  it("sends a remote runner's long answer in pieces the runner API takes, up to the draft's cap", async () => {
    const made = await request<{ token: string }>(server.url, 'POST', '/api/v1/runners/tokens', {
      token: user.token,
      json: { name: 'long answers' },
    });
    const backend = new HttpRunnerBackend(server.url, made.body.token);
    const { task, run } = await startTask(server.url, user, {
      repoId,
      prompt: 'long',
      commands: ['true'],
    });
    expect((await backend.claim())?.run.id).toBe(run.id);
    const viewer = await stream(server.url, task.id, { token: user.token });
    await viewer.waitFor(reached((await taskEvents(server.url, user, task.id)).at(-1)?.seq ?? 0));

    const sink = new EventSink(backend, run.id);
    const answer = 'x'.repeat(DRAFT_PIECE_MAX_CHARS * 5);
    sink.push({ type: 'message.delta', text: answer });
    sink.push({ type: 'tool.output', stream: 'stdout', chunk: 'marker\n' });
    await sink.flush();
    await viewer.waitFor((m) => m.kind === 'event' && m.event.type === 'tool.output');
    expect(viewer.draftText(run.id)).toBe(answer.slice(0, DRAFT_MAX_CHARS));
  });

  it('misses nothing and repeats nothing while events are appended during the replay', async () => {
    const { taskId, runId, backend } = await runningTask();
    // More than one page of replay.
    for (let i = 0; i < 3; i += 1) {
      await backend.append(
        runId,
        range(1, 500).map((n) => output(`${i}.${n}\n`)),
      );
    }
    const viewers: Promise<TaskStream>[] = [];
    const writer = (async () => {
      for (let batch = 0; batch < 40; batch += 1) {
        await backend.append(
          runId,
          range(1, 5).map((n) => output(`race ${batch}.${n}\n`)),
        );
        if (batch % 8 === 0) viewers.push(stream(server.url, taskId, { token: user.token }));
        if (batch % 8 === 4) {
          viewers.push(stream(server.url, taskId, { token: user.token }, { after: 700 }));
        }
      }
    })();
    viewers.push(stream(server.url, taskId, { token: user.token }));
    await writer;
    const total = await lastSeqOf(server.database.db, taskId);
    expect(total).toBeGreaterThan(1700);
    const all = await Promise.all(viewers);
    for (const viewer of all) await viewer.waitFor(reached(total));
    for (const viewer of all) {
      const got = seqs(viewer);
      expect(got).toEqual(range(got[0] ?? 0, total));
      expect([1, 701]).toContain(got[0]);
    }
  });

  it('answers 404 for a task of someone else, and 401 without credentials', async () => {
    const { taskId } = await runningTask();
    const other = await signUp(server.url, 'Other');
    const stranger = await openStream(server.url, taskId, { token: other.token });
    expect(stranger.status).toBe(404);
    const anonymous = await openStream(server.url, taskId, {});
    expect(anonymous.status).toBe(401);
    // The session cookie works too, as EventSource sends it.
    const browser = await stream(server.url, taskId, { cookie: user.cookie });
    expect(browser.status).toBe(200);
    await browser.waitFor((m) => m.kind === 'event');
  });
});

describe.skipIf(onPostgres)('after a server restart', () => {
  it('replays the same events after N, by GET and by the stream', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-stream-restart-'));
    const config = loadConfig({
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LUCID_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
    });
    const start = async (database?: Database) =>
      startServer({
        config,
        database: database ?? (await openDatabase({ pgliteDir: path.join(dataDir, 'db') })),
        authRateLimit: false,
        runner: { slots: 0 },
      });
    let running = await start((await openTestDatabase(dataDir)).database);
    try {
      const owner = await signUp(running.url);
      const repo = await pushedRepo(running.url, owner, 'restart');
      const { taskId, runId, backend } = await runningTask(running, owner, repo.id);
      await backend.append(
        runId,
        range(1, 5).map((i) => output(`${i}\n`)),
      );
      const before = await taskEvents(running.url, owner, taskId);

      await running.close();
      running = await start();
      const after = await request<{ events: { seq: number }[] }>(
        running.url,
        'GET',
        `/api/v1/tasks/${taskId}/events?after=2`,
        { token: owner.token },
      );
      expect(after.body.events).toEqual(before.filter((e) => e.seq > 2));
      const viewer = await stream(running.url, taskId, { token: owner.token }, { after: 2 });
      const last = before.at(-1)?.seq ?? 0;
      await viewer.waitFor(reached(last));
      expect(viewer.events()).toEqual(before.filter((e) => e.seq > 2));
    } finally {
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!onPostgres)('two servers on one PostgreSQL', () => {
  let name: string;
  let servers: RunningServer[] = [];
  let admin: pg.Client;
  const dirs: string[] = [];

  beforeAll(async () => {
    const url = process.env.LUCID_TEST_DATABASE_URL ?? '';
    name = `lucid_test_stream_${process.pid}`;
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    const databaseUrl = withDatabase(url, name);
    servers = [];
    for (let i = 0; i < 2; i += 1) {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-stream-pg-'));
      dirs.push(dataDir);
      servers.push(
        await startServer({
          config: loadConfig({
            DATABASE_URL: databaseUrl,
            ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
            HOST: '127.0.0.1',
            PORT: String(await freePort()),
            LUCID_DATA_DIR: dataDir,
            LOG_LEVEL: 'silent',
          }),
          database: await openDatabase({ url: databaseUrl }),
          authRateLimit: false,
          runner: { slots: 0 },
        }),
      );
    }
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('a viewer on one server sees the events and drafts of a run reported to the other', async () => {
    const [a, b] = servers as [RunningServer, RunningServer];
    const owner = await signUp(a.url);
    const repo = await pushedRepo(a.url, owner, 'shared-stream');
    const { taskId, runId, backend } = await runningTask(a, owner, repo.id);
    const local = await stream(a.url, taskId, { token: owner.token });
    await backend.draft(runId, 0, 'Half an ');

    const viewer = await stream(b.url, taskId, { token: owner.token });
    await viewer.waitFor((m) => m.kind === 'draft');
    await backend.draft(runId, 8, 'answer');
    // Stored at once: the pieces still gathering for the other server are sent first.
    await backend.append(runId, [
      output('out\n'),
      { type: 'message.assistant', text: 'Half an answer' },
    ]);
    const stored = await taskEvents(a.url, owner, taskId);
    for (const watcher of [viewer, local]) {
      await watcher.waitFor((m) => m.kind === 'event' && m.event.type === 'message.assistant');
      expect(watcher.messages.map((m) => m.message).filter((m) => m.kind !== 'event')).toEqual([
        { kind: 'draft', runId, text: 'Half an ' },
        { kind: 'delta', runId, offset: 8, text: 'answer' },
      ]);
      expect(watcher.events()).toEqual(stored);
    }
  });
});
