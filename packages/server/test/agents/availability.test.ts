/**
 * A server accepts tasks only for agents its runners can run, with a model the agent speaks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { request, signUp, type TestUser } from '../support/client.ts';
import { fakeProviderEnv } from '../support/providers.ts';
import { pushedRepo } from '../support/tasks.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const KEYS = {
  anthropic: 'sk-ant-avail-0123',
  openai: 'sk-oai-avail-0123',
  compatible: 'x',
  gemini: 'AIza-avail-0123',
};

describe('choosing an agent', () => {
  let server: TestServer;
  let user: TestUser;
  let repoId: string;

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        ...fakeProviderEnv('http://127.0.0.1:9', KEYS),
        LUCID_CLI_AGENTS: 'claude-code,gemini',
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      },
    });
    user = await signUp(server.url);
    repoId = (await pushedRepo(server.url, user, 'agents')).id;
  });
  afterAll(() => server.close());

  const create = (json: Record<string, unknown>) =>
    request<{ error?: { code: string; message: string }; task?: { agent: string | null } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      { token: user.token, json: { repoId, prompt: 'Do it', start: false, ...json } },
    );

  it('lists the agents the server offers, with the providers each speaks', async () => {
    const listed = await request<{
      agents: { name: string; available: boolean; providers: string[] | null }[];
    }>(server.url, 'GET', '/api/v1/agents', { token: user.token });
    expect(listed.status).toBe(200);
    const byName = Object.fromEntries(listed.body.agents.map((agent) => [agent.name, agent]));
    expect(byName.lucid).toMatchObject({ available: true, providers: null });
    expect(byName['claude-code']).toMatchObject({ available: true, providers: ['anthropic'] });
    expect(byName.codex).toMatchObject({ available: false });
    // Cursor's CLI cannot be installed by any runner: it is not offered as if it could be enabled.
    expect(byName.cursor).toBeUndefined();
  });

  it('refuses an agent the runners cannot run with 400 agent_unavailable', async () => {
    const refused = await create({ agent: 'codex' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'agent_unavailable' });
    expect(refused.body.error?.message).toContain('lucid, claude-code');
  });

  it('refuses a model the agent does not speak with 400 model_unavailable', async () => {
    const refused = await create({ agent: 'claude-code', model: 'openai/gpt-5' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'model_unavailable' });
  });

  it('accepts an enabled CLI agent and records it on the task', async () => {
    const created = await create({ agent: 'claude-code' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.task?.agent).toBe('claude-code');
  });

  it('gives Gemini models to the gemini agent and the built-in one', async () => {
    const lucid = await create({ model: 'gemini/gemini-2.5-pro' });
    expect(lucid.status, JSON.stringify(lucid.body)).toBe(201);
    const other = await create({ agent: 'gemini', model: 'anthropic/claude-sonnet-4-5' });
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({ code: 'model_unavailable' });
    const created = await create({ agent: 'gemini', model: 'gemini/gemini-2.5-pro' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.task?.agent).toBe('gemini');
  });

  it('refuses to start with an unknown CLI agent in LUCID_CLI_AGENTS', () => {
    expect(() => loadConfig({ LUCID_CLI_AGENTS: 'claude-code,mystery' })).toThrow(
      /LUCID_CLI_AGENTS/,
    );
  });
});
