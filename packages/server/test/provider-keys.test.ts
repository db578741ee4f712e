import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, providerKeys } from '../src/db/schema.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { openSecret } from '../src/secrets/secret-box.ts';
import { startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { pushedRepo, taskEvents, waitForStatus } from './support/tasks.ts';
import { freePort, startTestServer, type TestServer } from './support/test-server.ts';

const USER_ANTHROPIC_KEY = 'sk-ant-user-own-key-0123456789abcdef';
const USER_OPENAI_KEY = 'sk-proj-user-own-key-0123456789abcdef';
const SERVER_OPENAI_KEY = 'sk-proj-server-key-0123456789abcdef';
const USER_GEMINI_KEY = 'AIzaUserOwnGeminiKey0123456789abcdef';

let anthropic: FakeLlm;
let openai: FakeLlm;
let gemini: FakeLlm;
let server: TestServer;

beforeAll(async () => {
  anthropic = await startFakeLlm({ apiKey: USER_ANTHROPIC_KEY });
  openai = await startFakeLlm({ apiKey: USER_OPENAI_KEY });
  gemini = await startFakeLlm({ apiKey: USER_GEMINI_KEY });
  const driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) });
  server = await startTestServer({
    env: {
      ANTHROPIC_BASE_URL: `${anthropic.url}/v1`,
      OPENAI_API_KEY: SERVER_OPENAI_KEY,
      OPENAI_BASE_URL: `${openai.url}/v1`,
      GEMINI_BASE_URL: gemini.url,
      LUCID_AGENT_MAX_STEPS: '4',
    },
    runner: { driver, slots: 1, leaseMs: 3_000, maxRuntimeMs: 120_000, pollMs: 100, warmPool: 0 },
  });
});
afterAll(async () => {
  await server?.close();
  await anthropic?.close();
  await openai?.close();
  await gemini?.close();
});
beforeEach(() => {
  anthropic.reset();
  openai.reset();
});

const settings = (provider = '') =>
  `/api/v1/settings/provider-keys${provider ? `/${provider}` : ''}`;

interface Listed {
  provider: string;
  hint: string;
  baseUrl: string | null;
  updatedAt: string;
}

async function listKeys(user: TestUser) {
  const list = await request<{ keys: Listed[] }>(server.url, 'GET', settings(), {
    token: user.token,
  });
  expect(list.status).toBe(200);
  return list.body.keys;
}

async function putKey(user: TestUser, provider: string, json: object) {
  return request<Listed & { error?: { code: string; message: string } }>(
    server.url,
    'PUT',
    settings(provider),
    { token: user.token, json },
  );
}

async function rowsOf(user: TestUser) {
  return server.database.db.select().from(providerKeys).where(eq(providerKeys.userId, user.id));
}

async function auditOf(user: TestUser) {
  const rows = await server.database.db
    .select()
    .from(auditLog)
    .where(eq(auditLog.actorUserId, user.id))
    .orderBy(auditLog.at);
  return rows.filter((row) => row.action.startsWith('provider_key.'));
}

describe('provider keys', () => {
  it('are checked, stored sealed, listed by hint only, replaced and removed, all audited', async () => {
    const user = await signUp(server.url);
    const put = await request<Listed>(server.url, 'PUT', settings('anthropic'), {
      cookie: user.cookie,
      json: { apiKey: USER_ANTHROPIC_KEY },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toEqual({
      provider: 'anthropic',
      hint: '…cdef',
      baseUrl: null,
      updatedAt: expect.any(String),
    });
    expect(anthropic.requests).toMatchObject([
      { method: 'GET', path: '/v1/models', headers: { 'x-api-key': USER_ANTHROPIC_KEY } },
    ]);

    const openaiPut = await putKey(user, 'openai', { apiKey: USER_OPENAI_KEY });
    expect(openaiPut.status, JSON.stringify(openaiPut.body)).toBe(200);
    expect(openai.requests).toMatchObject([
      { path: '/v1/models', headers: { authorization: `Bearer ${USER_OPENAI_KEY}` } },
    ]);
    // Another user may not aim the server at an address of their choosing.
    const nonAdmin = await signUp(server.url);
    const aimed = await putKey(nonAdmin, 'openai-compatible', {
      apiKey: 'sk-local-user-key-9876',
      baseUrl: 'http://127.0.0.1:11434/v1/',
    });
    expect(aimed.status).toBe(403);
    // The first user of this server is its instance admin, who may.
    const compatible = await putKey(user, 'openai-compatible', {
      apiKey: 'sk-local-user-key-9876',
      baseUrl: 'http://127.0.0.1:11434/v1/',
    });
    expect(compatible.status, JSON.stringify(compatible.body)).toBe(200);
    expect(compatible.body.baseUrl).toBe('http://127.0.0.1:11434/v1');

    const keys = await listKeys(user);
    expect(keys.map((k) => [k.provider, k.hint])).toEqual([
      ['anthropic', '…cdef'],
      ['openai', '…cdef'],
      ['openai-compatible', '…9876'],
    ]);
    expect(JSON.stringify(keys)).not.toContain(USER_ANTHROPIC_KEY);
    expect(JSON.stringify(keys)).not.toContain(USER_OPENAI_KEY);

    const rows = await rowsOf(user);
    expect(rows).toHaveLength(3);
    const stored = JSON.stringify(rows);
    for (const secret of [USER_ANTHROPIC_KEY, USER_OPENAI_KEY, 'sk-local-user-key-9876']) {
      expect(stored).not.toContain(secret);
    }
    const sealed = rows.find((row) => row.provider === 'anthropic')!.sealedKey;
    expect(openSecret(server.config.encryptionKey, sealed)).toBe(USER_ANTHROPIC_KEY);

    const again = await putKey(user, 'anthropic', { apiKey: USER_ANTHROPIC_KEY });
    expect(again.status).toBe(200);
    const replaced = (await rowsOf(user)).find((row) => row.provider === 'anthropic')!;
    expect(replaced.sealedKey).not.toBe(sealed);
    expect(await rowsOf(user)).toHaveLength(3);

    const removed = await request(server.url, 'DELETE', settings('openai'), { token: user.token });
    expect(removed.status).toBe(204);
    expect((await listKeys(user)).map((k) => k.provider)).toEqual([
      'anthropic',
      'openai-compatible',
    ]);
    const missing = await request<{ error: { code: string } }>(
      server.url,
      'DELETE',
      settings('openai'),
      { token: user.token },
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('provider_key_not_found');

    const other = await signUp(server.url);
    expect(await listKeys(other)).toEqual([]);

    const audit = await auditOf(user);
    expect(audit.map((e) => [e.action, (e.metadata as { provider: string }).provider])).toEqual([
      ['provider_key.set', 'anthropic'],
      ['provider_key.set', 'openai'],
      ['provider_key.set', 'openai-compatible'],
      ['provider_key.set', 'anthropic'],
      ['provider_key.delete', 'openai'],
    ]);
    expect(audit.filter((e) => e.actorTokenId !== null)).toHaveLength(4);
    const logged = JSON.stringify(
      (await request(server.url, 'GET', '/api/v1/audit', { token: user.token })).body,
    );
    expect(logged).toContain('provider_key.set');
    for (const text of [JSON.stringify(audit), logged]) {
      expect(text).not.toContain(USER_ANTHROPIC_KEY);
      expect(text).not.toContain(USER_OPENAI_KEY);
    }
  });

  it('refuses a key the provider refuses, and bad requests, storing nothing', async () => {
    const user = await signUp(server.url);
    const wrong = 'sk-ant-not-a-real-key-000000000000';
    const refused = await putKey(user, 'anthropic', { apiKey: wrong });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('invalid_provider_key');
    expect(refused.body.error?.message).toMatch(/anthropic refused this key \(HTTP 401\)/);
    const refusedOpenai = await putKey(user, 'openai', { apiKey: 'sk-proj-wrong-000000000' });
    expect(refusedOpenai.status).toBe(400);
    expect(refusedOpenai.body.error?.code).toBe('invalid_provider_key');

    const withBase = await putKey(user, 'anthropic', {
      apiKey: USER_ANTHROPIC_KEY,
      baseUrl: 'http://127.0.0.1:9/v1',
    });
    expect(withBase.status).toBe(400);
    expect(withBase.body.error?.message).toMatch(/baseUrl is for openai-compatible keys only/);
    const noServer = await putKey(user, 'openai-compatible', { apiKey: 'sk-local-0000000' });
    expect(noServer.status).toBe(400);
    expect(noServer.body.error?.message).toMatch(/set OPENAI_COMPATIBLE_BASE_URL/);
    const unknown = await putKey(user, 'mistral', { apiKey: 'sk-mistral-00000000' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.code).toBe('validation_failed');

    expect(await rowsOf(user)).toEqual([]);
    expect(await auditOf(user)).toEqual([]);
  });

  it('answers provider_unreachable when the provider cannot be reached to check the key', async () => {
    const closed = await freePort();
    const lonely = await startTestServer({
      env: { ANTHROPIC_BASE_URL: `http://127.0.0.1:${closed}/v1` },
    });
    try {
      const user = await signUp(lonely.url);
      const put = await request<{ error: { code: string; message: string } }>(
        lonely.url,
        'PUT',
        settings('anthropic'),
        { token: user.token, json: { apiKey: USER_ANTHROPIC_KEY } },
      );
      expect(put.status).toBe(502);
      expect(put.body.error.code).toBe('provider_unreachable');
      expect(put.body.error.message).toMatch(/could not reach anthropic/);
    } finally {
      await lonely.close();
    }
  });

  it('run a task through the gateway with the owner’s key; a user without one is refused', async () => {
    const owner = await signUp(server.url);
    const other = await signUp(server.url);
    const repoId = (await pushedRepo(server.url, owner, 'own-keys')).id;
    const otherRepoId = (await pushedRepo(server.url, other, 'no-keys')).id;

    const modelsOf = async (user: TestUser) =>
      (
        await request<{ models: { id: string }[] }>(server.url, 'GET', '/api/v1/models', {
          token: user.token,
        })
      ).body.models.map((m) => m.id);
    expect(await modelsOf(owner)).not.toContain('anthropic/claude-sonnet-4-5');
    expect((await putKey(owner, 'anthropic', { apiKey: USER_ANTHROPIC_KEY })).status).toBe(200);
    expect(await modelsOf(owner)).toContain('anthropic/claude-sonnet-4-5');
    expect(await modelsOf(other)).not.toContain('anthropic/claude-sonnet-4-5');

    const refused = await request<{ error: { code: string; message: string } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      {
        token: other.token,
        json: { repoId: otherRepoId, prompt: 'Hello', model: 'anthropic/claude-sonnet-4-5' },
      },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('model_unavailable');
    expect(refused.body.error.message).toMatch(/ANTHROPIC_API_KEY.*your own anthropic key/);

    anthropic.reset();
    anthropic.script([
      {
        text: 'Nothing to change.',
        toolCalls: [{ name: 'finish', input: { summary: 'Nothing to change.' } }],
      },
    ]);
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: owner.token,
      json: {
        repoId,
        prompt: `Look around. (My key is ${USER_ANTHROPIC_KEY}; keep it to yourself.)`,
        model: 'anthropic/claude-sonnet-4-5',
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const done = await waitForStatus(server.url, owner, created.body.task.id, [
      'todo',
      'in_review',
      'failed',
    ]);
    const events = await taskEvents(server.url, owner, created.body.task.id);
    // The agent changed nothing: the task is back to do, with nothing to review.
    expect(done.status, JSON.stringify(events.filter((e) => e.type === 'error'))).toBe('todo');

    const calls = anthropic.requests.filter((r) => r.protocol === 'anthropic');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.headers['x-api-key']).toBe(USER_ANTHROPIC_KEY);
    const forwarded = JSON.stringify(calls.map((call) => call.body));
    expect(forwarded).not.toContain(USER_ANTHROPIC_KEY);
    expect(forwarded).toContain('[redacted]');
    expect(events.some((e) => e.type === 'usage')).toBe(true);
  });

  it('take a Gemini key: checked at GEMINI_BASE_URL, then used for the owner’s gemini/ tasks', async () => {
    const owner = await signUp(server.url);
    const repoId = (await pushedRepo(server.url, owner, 'own-gemini')).id;
    const wrong = await putKey(owner, 'gemini', { apiKey: 'AIza-not-the-right-key-0000' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error?.code).toBe('invalid_provider_key');
    expect(wrong.body.error?.message).toMatch(/gemini refused this key \(HTTP 400\)/);
    const stored = await putKey(owner, 'gemini', { apiKey: USER_GEMINI_KEY });
    expect(stored.status, JSON.stringify(stored.body)).toBe(200);
    expect(stored.body).toMatchObject({ provider: 'gemini', hint: '…cdef' });

    gemini.reset();
    gemini.script([
      {
        text: 'Nothing to change.',
        toolCalls: [{ name: 'finish', input: { summary: 'Nothing to change.' } }],
      },
    ]);
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: owner.token,
      json: { repoId, prompt: 'Look around.', model: 'gemini/gemini-2.5-pro' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const done = await waitForStatus(server.url, owner, created.body.task.id, [
      'todo',
      'in_review',
      'failed',
    ]);
    const events = await taskEvents(server.url, owner, created.body.task.id);
    // The agent changed nothing: the task is back to do, with nothing to review.
    expect(done.status, JSON.stringify(events.filter((e) => e.type === 'error'))).toBe('todo');
    const calls = gemini.requests.filter((r) => r.protocol === 'gemini');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.headers['x-goog-api-key']).toBe(USER_GEMINI_KEY);
    expect(events.some((e) => e.type === 'usage' && e.model === 'gemini/gemini-2.5-pro')).toBe(
      true,
    );
  });

  it('are preferred over the server’s key for the owner’s tasks', async () => {
    const owner = await signUp(server.url);
    const repoId = (await pushedRepo(server.url, owner, 'preferred')).id;
    expect((await putKey(owner, 'openai', { apiKey: USER_OPENAI_KEY })).status).toBe(200);
    openai.reset();
    openai.script([{ toolCalls: [{ name: 'finish', input: { summary: 'Done.' } }] }]);
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: owner.token,
      json: { repoId, prompt: 'Look around.', model: 'openai/gpt-5' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const done = await waitForStatus(server.url, owner, created.body.task.id, [
      'todo',
      'in_review',
      'failed',
    ]);
    const events = await taskEvents(server.url, owner, created.body.task.id);
    // The agent changed nothing: the task is back to do, with nothing to review.
    expect(done.status, JSON.stringify(events.filter((e) => e.type === 'error'))).toBe('todo');
    const calls = openai.requests.filter((r) => r.protocol !== undefined);
    expect(calls.map((r) => r.headers.authorization)).toEqual([`Bearer ${USER_OPENAI_KEY}`]);
    expect(JSON.stringify(events)).not.toContain(USER_OPENAI_KEY);
    expect(JSON.stringify(events)).not.toContain(SERVER_OPENAI_KEY);
  });
});

describe('who configures each provider', () => {
  it('says, per provider, the server, your key or no one, and never a key', async () => {
    const user = await signUp(server.url);
    const statuses = async () => {
      const answer = await request<{
        providers: { provider: string; source: string; server: boolean }[];
      }>(server.url, 'GET', '/api/v1/settings/providers', { token: user.token });
      expect(answer.status).toBe(200);
      expect(JSON.stringify(answer.body)).not.toContain(SERVER_OPENAI_KEY);
      return answer.body.providers;
    };
    expect(await statuses()).toEqual([
      { provider: 'anthropic', source: 'none', server: false },
      { provider: 'openai', source: 'server', server: true },
      { provider: 'openai-compatible', source: 'none', server: false },
      { provider: 'gemini', source: 'none', server: false },
    ]);
    expect((await putKey(user, 'anthropic', { apiKey: USER_ANTHROPIC_KEY })).status).toBe(200);
    expect((await putKey(user, 'openai', { apiKey: USER_OPENAI_KEY })).status).toBe(200);
    const after = await statuses();
    expect(after.find((p) => p.provider === 'anthropic')).toEqual({
      provider: 'anthropic',
      source: 'own_key',
      server: false,
    });
    expect(after.find((p) => p.provider === 'openai')).toEqual({
      provider: 'openai',
      source: 'own_key',
      server: true,
    });
    expect((await request(server.url, 'GET', '/api/v1/settings/providers')).status).toBe(401);
  });
});
