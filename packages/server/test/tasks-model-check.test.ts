import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { DEFAULT_MODELS } from './fakes/llm/models.ts';
import { startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { pushedRepo, taskEvents, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

interface ErrorBody {
  error: { code: string; message: string };
}

/** Sixty Anthropic models, so the one asked for is on Anthropic's third page of twenty. */
const MANY_CLAUDES = Array.from(
  { length: 60 },
  (_, i) => `claude-test-${String(i).padStart(2, '0')}`,
);

describe('the model a task asks for, checked against its provider’s list', () => {
  let llm: FakeLlm;
  let server: TestServer;
  let user: TestUser;
  let repoId: string;

  beforeAll(async () => {
    llm = await startFakeLlm({ models: [...DEFAULT_MODELS, ...MANY_CLAUDES] });
    server = await startTestServer({
      env: {
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-check',
          openai: 'sk-openai-check',
          compatible: 'sk-compatible-check',
          gemini: 'gemini-check',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      },
    });
    user = await signUp(server.url);
    repoId = (await pushedRepo(server.url, user, 'models-repo')).id;
  });
  afterAll(async () => {
    await server.close();
    await llm.close();
  });

  const create = (json: Record<string, unknown>) =>
    request<ErrorBody & { task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId, prompt: 'do it', start: false, ...json },
    });

  it('refuses a model the provider does not list with 400 model_not_found, naming a few it does', async () => {
    const refused = await create({ model: 'openai/nope' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('model_not_found');
    expect(refused.body.error.message).toContain('openai/nope');
    expect(refused.body.error.message).toMatch(/include openai\/[\w.-]+/);
    for (const model of ['anthropic/claude-nope', 'gemini/gemini-nope', 'openai-chat/gpt-nope']) {
      const answer = await create({ model });
      expect(answer.status, model).toBe(400);
      expect(answer.body.error.code, model).toBe('model_not_found');
    }
  });

  it('accepts a model of the list, on every provider, Anthropic’s later pages included', async () => {
    for (const model of [
      'openai/gpt-5',
      'openai-chat/gpt-4.1',
      'anthropic/claude-test-47',
      'gemini/gemini-2.5-pro',
      'openai-compatible/qwen3-coder',
    ]) {
      const answer = await create({ model });
      expect(answer.status, `${model}: ${JSON.stringify(answer.body)}`).toBe(201);
    }
    const listed = llm.requests.filter((r) => r.method === 'GET');
    expect(listed.some((r) => r.path === '/v1/models' && r.headers['anthropic-version'])).toBe(
      true,
    );
    expect(listed.some((r) => r.path === '/v1beta/models')).toBe(true);
  });

  it('checks a card’s new model the same way', async () => {
    const created = await create({ model: 'openai/gpt-5' });
    expect(created.status).toBe(201);
    const changed = await request<ErrorBody>(
      server.url,
      'PATCH',
      `/api/v1/tasks/${created.body.task.id}`,
      { token: user.token, json: { model: 'openai/gpt-nope' } },
    );
    expect(changed.status).toBe(400);
    expect(changed.body.error.code).toBe('model_not_found');
  });

  it('asks a provider for its list once in a while, not at every task', async () => {
    const before = llm.requests.filter((r) => r.method === 'GET').length;
    for (let i = 0; i < 3; i++)
      expect((await create({ model: 'openai/gpt-5-mini' })).status).toBe(201);
    expect(llm.requests.filter((r) => r.method === 'GET').length).toBe(before);
  });
});

describe('a provider whose model list cannot be read', () => {
  let llm: FakeLlm;
  let server: TestServer;
  let user: TestUser;
  let repoId: string;

  beforeAll(async () => {
    llm = await startFakeLlm({ modelListStatus: 404, refuseUnknownModels: true });
    server = await startTestServer({
      env: {
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-u',
          openai: 'sk-openai-u',
          compatible: 'c',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      },
      runner: {
        driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
        slots: 1,
        leaseMs: 3_000,
        maxRuntimeMs: 60_000,
        pollMs: 100,
        warmPool: 0,
      },
    });
    user = await signUp(server.url);
    repoId = (await pushedRepo(server.url, user, 'unlisted-repo')).id;
  });
  afterAll(async () => {
    await server.close();
    await llm.close();
  });

  it('does not block the task, and its first model call fails with a clear error', async () => {
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId, prompt: 'do it', model: 'openai/nope' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const done = await waitForStatus(server.url, user, created.body.task.id, [
      'failed',
      'in_review',
      'todo',
    ]);
    expect(done.status).toBe('failed');
    const events = await taskEvents(server.url, user, created.body.task.id);
    const error = events.find((e) => e.type === 'error');
    expect(error).toMatchObject({ code: 'model_not_found' });
    expect(String(error?.message)).toContain('openai/nope');
    expect(String(error?.message)).not.toContain('{');
  });
});
