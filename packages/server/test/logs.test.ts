/**
 * The server's JSON log, read as a log collector would: requests carrying an API token, a session
 * cookie, a model provider's key (in a body, and in a gateway call's `?key=`) and a forge token
 * leave none of them in it, and each request's lines name its request id and, where known, its
 * user, workspace, task and run.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../src/server.ts';
import { startFakeGitHub, type FakeGitHub } from './fakes/github/index.ts';
import { startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { pushedRepo, startTask } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const PROVIDER_KEY = 'sk-ant-log-test-provider-key-0123456789';
const GEMINI_KEY = 'AIzaLogTestGeminiKey0123456789abcdef';

/** One JSON line of the log. */
type LogLine = Record<string, unknown> & { msg?: string; reqId?: string };

const lines: string[] = [];
let server: TestServer;
let github: FakeGitHub;
let llm: FakeLlm;
let user: TestUser;

beforeAll(async () => {
  github = await startFakeGitHub();
  llm = await startFakeLlm();
  server = await startTestServer({
    env: {
      ...github.env(),
      ...fakeProviderEnv(llm.url, {
        anthropic: 'sk-ant-server-0123456789',
        openai: 'sk-openai-server-0123456789',
        compatible: 'sk-local-server-0123456789',
      }),
    },
    logger: createLogger(
      { logLevel: 'debug', logFormat: 'json' },
      { write: (line: string) => void lines.push(line) },
    ),
  });
  user = await signUp(server.url, 'Log Reader');
});
afterAll(async () => {
  await server?.close();
  await github?.close();
  await llm?.close();
});

const parsed = (): LogLine[] => lines.map((line) => JSON.parse(line) as LogLine);

/** The lines of the requests whose log context names `field` as `value`. */
const naming = (field: string, value: string) => parsed().filter((l) => l[field] === value);

it('keeps every secret a request carries out of the log, and names the ids it is about', async () => {
  const forgeAccount = github.addUser({ login: 'log-reader' });
  const sessionToken = decodeURIComponent(user.cookie.split('=').slice(1).join('=').split(';')[0]!);

  const me = await request<{ workspaces: Array<{ id: string }> }>(server.url, 'GET', '/api/v1/me', {
    cookie: user.cookie,
  });
  expect(me.status).toBe(200);
  const workspaceId = me.body.workspaces[0]!.id;
  const keyed = await request(
    server.url,
    'PUT',
    `/api/v1/workspaces/${workspaceId}/provider-keys/anthropic`,
    { token: user.token, json: { apiKey: PROVIDER_KEY } },
  );
  expect(keyed.status, JSON.stringify(keyed.body)).toBe(200);
  const connected = await request(server.url, 'POST', '/api/integrations/github/token', {
    cookie: user.cookie,
    headers: { origin: server.url },
    json: { token: forgeAccount.token },
  });
  expect(connected.status, JSON.stringify(connected.body)).toBe(200);
  const gateway = await fetch(
    `${server.url}/llm/gemini/v1beta/models/gemini-2.5-pro:generateContent?key=${GEMINI_KEY}`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
  );
  expect(gateway.status).toBe(401);

  const repo = await pushedRepo(server.url, user, 'log-repo');
  const { task, run } = await startTask(server.url, user, {
    repoId: repo.id,
    prompt: 'log me',
    commands: ['true'],
  });
  expect(
    (await request(server.url, 'GET', `/api/v1/tasks/${task.id}`, { token: user.token })).status,
  ).toBe(200);
  const cancelled = await request(server.url, 'POST', `/api/v1/runs/${run.id}/cancel`, {
    token: user.token,
  });
  expect(cancelled.status, JSON.stringify(cancelled.body)).toBeLessThan(300);

  const log = lines.join('');
  for (const secret of [user.token, sessionToken, PROVIDER_KEY, forgeAccount.token, GEMINI_KEY]) {
    expect(log).not.toContain(secret);
  }

  // Each request's lines, its `request completed` line included, carry what it is about.
  const completed = (field: string, value: string) =>
    naming(field, value).filter((l) => l.msg === 'request completed');
  expect(completed('userId', user.id).length).toBeGreaterThan(0);
  expect(completed('workspaceId', workspaceId).length).toBeGreaterThan(0);
  expect(completed('taskId', task.id).length).toBeGreaterThan(0);
  expect(completed('repoId', repo.id).length).toBeGreaterThan(0);
  const cancelLine = completed('runId', run.id)[0];
  expect(cancelLine).toMatchObject({ userId: user.id, runId: run.id });
  expect(cancelLine?.reqId).toEqual(expect.any(String));
});
