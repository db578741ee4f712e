/**
 * Workspace credentials: an admin connects a forge account and sets a model provider key for a
 * team workspace; a member without credentials of their own runs a task whose pull request is
 * opened with the workspace's token and whose model calls carry the workspace's key, the task
 * says so, and neither secret shows in an event, the log, the sandbox or a model request. A
 * member's own connection wins over the workspace's; members and viewers see that credentials
 * exist, never the secrets, and cannot change them.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { and, eq, like } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedWorkspaceInvitation, Workspace } from '@lucid/contracts';
import { auditLog, connections, providerKeys } from '../src/db/schema.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { startFakeGitHub } from './fakes/github/index.ts';
import { shellTrajectory, startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { waitForEvent } from './support/forges.ts';
import { taskEvents, type EventView } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const WORKSPACE_KEY = 'sk-ant-workspace-key-0123456789wxyz';

type ErrorAnswer = { error: { code: string; message: string } };

let github: Awaited<ReturnType<typeof startFakeGitHub>>;
let llm: FakeLlm;
let server: TestServer;
let owner: TestUser;
let admin: TestUser;
let member: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let team: Workspace;
let bot: { login: string; token: string };
let mia: { login: string; token: string };
let repoId: string;
const log: string[] = [];

const api = <T = unknown>(user: TestUser, method: string, pathname: string, json?: unknown) =>
  request<T>(server.url, method, pathname, {
    token: user.token,
    ...(json !== undefined && { json }),
  });

let counter = 0;
async function memberWith(role: string): Promise<TestUser> {
  const email = `cred${(counter += 1)}-${process.pid}-${Date.now()}@example.test`;
  const invited = await api<CreatedWorkspaceInvitation>(
    owner,
    'POST',
    `/api/v1/workspaces/${team.id}/invitations`,
    { email, role },
  );
  expect(invited.status, JSON.stringify(invited.body)).toBe(201);
  return signUp(server.url, role, { email, invitation: invited.body.token });
}

/** Runs a task of `user` to its pull request's opening or refresh; answers its events. */
async function taskToPullRequest(user: TestUser, prompt: string): Promise<EventView[]> {
  llm.script(
    shellTrajectory([{ command: `echo ${counter} > work.txt && env | sort` }], 'Wrote work.txt.', {
      finishTool: 'finish',
    }),
  );
  const created = await api<{ task: { id: string } }>(user, 'POST', '/api/v1/tasks', {
    repoId,
    prompt,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const taskId = created.body.task.id;
  await waitForEvent(server, user, taskId, (e) => e.type === 'pr.opened' || e.type === 'error');
  return taskEvents(server.url, user, taskId);
}

/** The Authorization headers the fake GitHub got with requests opening pull requests. */
const pullAuthorizations = () =>
  github.requests
    .filter((r) => r.method === 'POST' && /\/pulls$/.test(r.path))
    .map((r) => r.authorization ?? '');

beforeAll(async () => {
  github = await startFakeGitHub();
  llm = await startFakeLlm({ apiKey: WORKSPACE_KEY });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log.push(chunk.toString('utf8'));
      done();
    },
  });
  server = await startTestServer({
    env: {
      ...github.env(),
      LUCID_SIGNUP: 'invite',
      // The server has no Anthropic key: only the workspace's lets its tasks call the model.
      ANTHROPIC_BASE_URL: `${llm.url}/v1`,
      LUCID_AGENT_MAX_STEPS: '6',
    },
    logger: pino({ level: 'debug' }, sink),
    runner: {
      driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
      slots: 1,
      pollMs: 100,
      warmPool: 0,
    },
  });
  owner = await signUp(server.url, 'Owner');
  const made = await api<Workspace>(owner, 'POST', '/api/v1/workspaces', { name: 'Platform' });
  expect(made.status).toBe(201);
  team = made.body;
  admin = await memberWith('admin');
  member = await memberWith('member');
  viewer = await memberWith('viewer');
  outsider = await memberWith('viewer');
  await api(outsider, 'DELETE', `/api/v1/workspaces/${team.id}/members/${outsider.id}`);

  bot = github.addUser({ login: 'platform-bot' });
  mia = github.addUser({ login: 'mia' });
  await github.addRepo(bot.login, 'app', {
    files: { 'README.md': '# App\n' },
    defaultBranch: 'main',
    collaborators: [mia.login],
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await llm?.close();
  await github?.close();
});

describe('workspace credentials', () => {
  it('an admin connects the workspace’s GitHub account and sets its provider key, audited', async () => {
    const connected = await api<{ login: string }>(
      admin,
      'POST',
      `/api/v1/workspaces/${team.id}/connections/github/token`,
      { token: bot.token },
    );
    expect(connected.status, JSON.stringify(connected.body)).toBe(200);
    expect(connected.body).toMatchObject({ login: 'platform-bot', method: 'token' });
    expect(JSON.stringify(connected.body)).not.toContain(bot.token);

    const key = await api<{ hint: string }>(
      admin,
      'PUT',
      `/api/v1/workspaces/${team.id}/provider-keys/anthropic`,
      { apiKey: WORKSPACE_KEY },
    );
    expect(key.status, JSON.stringify(key.body)).toBe(200);
    expect(key.body.hint).toBe('…wxyz');

    const [stored] = await server.database.db
      .select()
      .from(connections)
      .where(eq(connections.workspaceId, team.id));
    expect(stored).toMatchObject({ userId: null, login: 'platform-bot' });
    expect(stored!.sealedAccessToken).not.toContain(bot.token);
    const [sealedKey] = await server.database.db
      .select()
      .from(providerKeys)
      .where(eq(providerKeys.workspaceId, team.id));
    expect(sealedKey!.sealedKey).not.toContain(WORKSPACE_KEY);

    const audit = await server.database.db
      .select({ action: auditLog.action, metadata: auditLog.metadata })
      .from(auditLog)
      .where(and(eq(auditLog.workspaceId, team.id), like(auditLog.action, 'credential.%')));
    expect(audit.map((a) => a.action).sort()).toEqual(['credential.connect', 'credential.set']);
    expect(JSON.stringify(audit)).not.toContain(bot.token);
    expect(JSON.stringify(audit)).not.toContain(WORKSPACE_KEY);
  });

  it('the admin, without an account of their own, adds a repository through the workspace’s', async () => {
    const listed = await api<{ repos: { fullName: string }[] }>(
      member,
      'GET',
      `/api/integrations/github/repos?workspaceId=${team.id}`,
    );
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.repos.map((r) => r.fullName)).toContain('platform-bot/app');
    const own = await api<ErrorAnswer>(member, 'GET', '/api/integrations/github/repos');
    expect(own.body.error.code).toBe('integration_not_found');

    const added = await api<{ id: string }>(admin, 'POST', '/api/integrations/github/repos', {
      fullName: 'platform-bot/app',
      workspaceId: team.id,
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    repoId = added.body.id;
  });

  it("a member without credentials of their own gets a pull request opened with the workspace's token and its model key, and the task says so", async () => {
    const before = pullAuthorizations().length;
    const events = await taskToPullRequest(member, 'Write the work file');
    expect(
      events.find((e) => e.type === 'pr.opened'),
      JSON.stringify(events.filter((e) => e.type === 'error')),
    ).toBeDefined();

    const opened = pullAuthorizations().slice(before);
    expect(opened).toHaveLength(1);
    expect(opened[0]).toContain(bot.token);

    const calls = llm.requests.filter((r) => r.protocol === 'anthropic');
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((call) => call.headers['x-api-key'] === WORKSPACE_KEY)).toBe(true);

    expect(events.filter((e) => e.type === 'credential.used')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'forge',
          provider: 'github',
          owner: 'workspace',
          account: 'platform-bot',
        }),
        expect.objectContaining({
          kind: 'model',
          provider: 'anthropic',
          owner: 'workspace',
          account: '…wxyz',
        }),
      ]),
    );

    // The sandbox's whole environment was printed; no secret is in it or anywhere else.
    expect(events.some((e) => e.type === 'tool.output' && String(e.chunk).includes('PATH='))).toBe(
      true,
    );
    for (const secret of [bot.token, WORKSPACE_KEY]) {
      expect(JSON.stringify(events)).not.toContain(secret);
      expect(JSON.stringify(llm.requests.map((r) => r.body))).not.toContain(secret);
      expect(log.join('')).not.toContain(secret);
    }
  });

  it("a member's own connection wins over the workspace's", async () => {
    const own = await api(member, 'POST', '/api/integrations/github/token', { token: mia.token });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    const before = pullAuthorizations().length;
    const events = await taskToPullRequest(member, 'Write the work file again');
    expect(
      events.find((e) => e.type === 'pr.opened'),
      JSON.stringify(events.filter((e) => e.type === 'error')),
    ).toBeDefined();
    const opened = pullAuthorizations().slice(before);
    expect(opened).toHaveLength(1);
    expect(opened[0]).toContain(mia.token);
    expect(opened[0]).not.toContain(bot.token);
    expect(events.find((e) => e.type === 'credential.used' && e.kind === 'forge')).toMatchObject({
      owner: 'creator',
      account: 'mia',
    });
  });

  it('a member or a viewer cannot set or remove them (403), and sees only that they exist', async () => {
    for (const user of [member, viewer]) {
      const put = await api<ErrorAnswer>(
        user,
        'PUT',
        `/api/v1/workspaces/${team.id}/provider-keys/openai`,
        { apiKey: 'sk-openai-member-00000000' },
      );
      expect(put.status).toBe(403);
      expect(put.body.error.code).toBe('forbidden');
      const connect = await api<ErrorAnswer>(
        user,
        'POST',
        `/api/v1/workspaces/${team.id}/connections/github/token`,
        { token: mia.token },
      );
      expect(connect.status).toBe(403);
      expect(connect.body.error.code).toBe('forbidden');
      const removed = await api<ErrorAnswer>(
        user,
        'DELETE',
        `/api/v1/workspaces/${team.id}/connections/github`,
      );
      expect(removed.status).toBe(403);
      const keyRemoved = await api<ErrorAnswer>(
        user,
        'DELETE',
        `/api/v1/workspaces/${team.id}/provider-keys/anthropic`,
      );
      expect(keyRemoved.status).toBe(403);

      const listed = await api<{ connections: { login: string }[] }>(
        user,
        'GET',
        `/api/v1/workspaces/${team.id}/connections`,
      );
      expect(listed.status).toBe(200);
      expect(listed.body.connections).toEqual([
        expect.objectContaining({ provider: 'github', login: 'platform-bot' }),
      ]);
      const keys = await api<{ keys: { hint: string }[] }>(
        user,
        'GET',
        `/api/v1/workspaces/${team.id}/provider-keys`,
      );
      expect(keys.body.keys).toEqual([
        expect.objectContaining({ provider: 'anthropic', hint: '…wxyz' }),
      ]);
      expect(JSON.stringify([listed.body, keys.body])).not.toContain(bot.token);
      expect(JSON.stringify([listed.body, keys.body])).not.toContain(WORKSPACE_KEY);
    }
    const denied = await server.database.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(and(eq(auditLog.workspaceId, team.id), eq(auditLog.action, 'access.denied')));
    expect(denied.length).toBeGreaterThanOrEqual(8);

    const outside = await api<ErrorAnswer>(
      outsider,
      'GET',
      `/api/v1/workspaces/${team.id}/connections`,
    );
    expect(outside.status).toBe(404);
  });

  it('an admin removes them, audited; the workspace’s tasks then have none', async () => {
    expect(
      (await api(admin, 'DELETE', `/api/v1/workspaces/${team.id}/provider-keys/anthropic`)).status,
    ).toBe(204);
    expect(
      (await api(admin, 'DELETE', `/api/v1/workspaces/${team.id}/connections/github`)).status,
    ).toBe(204);
    const again = await api<ErrorAnswer>(
      admin,
      'DELETE',
      `/api/v1/workspaces/${team.id}/connections/github`,
    );
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('integration_not_found');
    const models = await api<{ models: { id: string }[] }>(
      viewer,
      'GET',
      `/api/v1/models?workspaceId=${team.id}`,
    );
    expect(models.body.models.map((m) => m.id)).not.toContain('anthropic/claude-sonnet-4-5');
    const audit = await server.database.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(and(eq(auditLog.workspaceId, team.id), like(auditLog.action, 'credential.%')));
    expect(audit.map((a) => a.action).sort()).toEqual([
      'credential.connect',
      'credential.delete',
      'credential.disconnect',
      'credential.set',
    ]);
  });
});
