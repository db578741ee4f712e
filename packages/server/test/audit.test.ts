import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, signUp } from './support/client.ts';
import { authedUrl, gitOk, makeLocalRepo } from './support/git.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

interface Entry {
  action: string;
  actorUserId: string | null;
  actorTokenId: string | null;
  targetId: string | null;
  ip: string | null;
}

describe('audit log', () => {
  it('records who did what, and from where', async () => {
    const user = await signUp(server.url);
    const repo = await request<{ id: string; cloneUrl: string }>(
      server.url,
      'POST',
      '/api/v1/repos',
      {
        token: user.token,
        json: { name: 'audited' },
      },
    );
    await request(server.url, 'PATCH', `/api/v1/repos/${repo.body.id}`, {
      token: user.token,
      json: { description: 'changed' },
    });
    const local = await makeLocalRepo();
    await gitOk(['push', '--quiet', authedUrl(repo.body.cloneUrl, user.token), 'main'], local);
    await request(server.url, 'DELETE', `/api/v1/repos/${repo.body.id}`, { token: user.token });
    const renamed = await request(server.url, 'POST', '/api/auth/update-user', {
      cookie: user.cookie,
      json: { name: 'Renamed' },
    });
    expect(renamed.status).toBe(200);

    const audit = await request<{ entries: Entry[] }>(server.url, 'GET', '/api/v1/audit', {
      token: user.token,
    });
    const actions = audit.body.entries.map((e) => e.action).reverse();
    expect(actions).toEqual([
      'user.signup',
      'session.signin',
      'token.create',
      'repo.create',
      'repo.update',
      'repo.push',
      'repo.delete',
      'user.update',
    ]);
    for (const entry of audit.body.entries) {
      expect(entry.actorUserId).toBe(user.id);
      expect(entry.ip).toBe('127.0.0.1');
    }
    const byToken = audit.body.entries.filter((e) => e.action.startsWith('repo.'));
    expect(byToken.every((e) => e.actorTokenId !== null)).toBe(true);

    const other = await signUp(server.url);
    const theirs = await request<{ entries: Entry[] }>(server.url, 'GET', '/api/v1/audit', {
      token: other.token,
    });
    expect(theirs.body.entries.every((e) => e.actorUserId === other.id)).toBe(true);
  });
});
