import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceMembers } from '../src/db/schema.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { authedUrl, gitOk, makeLocalRepo } from './support/git.ts';
import { pushedRepo, startTask } from './support/tasks.ts';
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

interface NamedEntry extends Entry {
  id: string;
  workspaceId: string | null;
  targetType: string;
  at: string;
  actor: { id: string; name: string; email: string } | null;
  metadata: Record<string, unknown>;
}
type Page = { entries: NamedEntry[]; nextCursor: string | null };

describe("a workspace's audit trail", () => {
  it('lists tasks made and cancelled and refused actions, with filters and pages, for owners and admins only', async () => {
    const owner = await signUp(server.url, 'Ada Owner');
    const viewer = await signUp(server.url, 'Vic Viewer');
    const member = await signUp(server.url, 'Mia Member');
    const outsider = await signUp(server.url, 'Oz Outsider');
    const me = await request<{ workspaces: Array<{ id: string; personal: boolean }> }>(
      server.url,
      'GET',
      '/api/v1/me',
      { token: owner.token },
    );
    const workspaceId = me.body.workspaces.find((w) => w.personal)!.id;
    await server.database.db.insert(workspaceMembers).values([
      { workspaceId, userId: viewer.id, role: 'viewer' },
      { workspaceId, userId: member.id, role: 'member' },
    ]);
    const repo = await pushedRepo(server.url, owner, 'audited-tasks');
    const { task } = await startTask(server.url, owner, {
      repoId: repo.id,
      prompt: 'audit me',
      commands: ['true'],
    });
    const refused = await request(server.url, 'POST', `/api/v1/tasks/${task.id}/cancel`, {
      token: viewer.token,
    });
    expect(refused.status).toBe(403);
    const cancelled = await request(server.url, 'POST', `/api/v1/tasks/${task.id}/cancel`, {
      token: owner.token,
    });
    expect(cancelled.status).toBeLessThan(300);

    const list = (user: TestUser, query: string) =>
      request<Page>(server.url, 'GET', `/api/v1/audit?workspaceId=${workspaceId}&${query}`, {
        token: user.token,
      });
    const all = await list(owner, '');
    expect(all.status).toBe(200);
    const actions = all.body.entries.map((e) => e.action);
    expect(actions.slice(0, 4)).toEqual([
      'task.cancel',
      'access.denied',
      'task.create',
      'repo.push',
    ]);
    const denied = all.body.entries[1]!;
    expect(denied).toMatchObject({
      targetType: 'task',
      targetId: task.id,
      actor: { id: viewer.id, name: 'Vic Viewer', email: viewer.email },
      metadata: { needed: 'member', role: 'viewer' },
    });
    expect(all.body.entries[0]!.actor).toEqual({
      id: owner.id,
      name: 'Ada Owner',
      email: owner.email,
    });
    expect(all.body.entries.every((e) => e.workspaceId === workspaceId)).toBe(true);
    const times = all.body.entries.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);

    const byActor = await list(owner, `actor=${encodeURIComponent(viewer.email)}`);
    expect(byActor.body.entries.map((e) => e.action)).toEqual(['access.denied']);
    const byName = await list(owner, 'actor=vic');
    expect(byName.body.entries.map((e) => e.action)).toEqual(['access.denied']);
    const byAction = await list(owner, 'action=task.');
    expect(byAction.body.entries.map((e) => e.action)).toEqual(['task.cancel', 'task.create']);
    const today = new Date().toISOString().slice(0, 10);
    const todays = await list(owner, `from=${today}&to=${today}`);
    expect(todays.body.entries.map((e) => e.id)).toEqual(all.body.entries.map((e) => e.id));
    const before = await list(owner, 'to=2020-01-01');
    expect(before.body.entries).toEqual([]);
    const badRange = await list(owner, `from=${today}&to=2020-01-01`);
    expect(badRange.status).toBe(400);
    expect(badRange.body).toMatchObject({ error: { code: 'invalid_date_range' } });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof list>> = await list(
        owner,
        `limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.body.entries.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.entries.map((e) => e.id));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(all.body.entries.map((e) => e.id));
    expect(pages).toBe(Math.ceil(seen.length / 2));
    const badCursor = await list(owner, 'cursor=bm90LWFuLWlk');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body).toMatchObject({ error: { code: 'invalid_cursor' } });

    for (const user of [viewer, member]) {
      const forbidden = await list(user, '');
      expect(forbidden.status).toBe(403);
      expect(JSON.stringify(forbidden.body)).toContain('admin role');
    }
    const hidden = await list(outsider, '');
    expect(hidden.status).toBe(404);
  });
});
