import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, signUp, type TestUser } from './support/client.ts';
import { authedUrl, git, gitOk, makeLocalRepo } from './support/git.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

interface Repo {
  id: string;
  cloneUrl: string;
}

let server: TestServer;
let owner: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  owner = await signUp(server.url, 'Owner');
  stranger = await signUp(server.url, 'Stranger');
});
afterAll(() => server.close());

async function newRepo(user: TestUser, name: string): Promise<Repo> {
  const response = await request<Repo>(server.url, 'POST', '/api/v1/repos/ingest', {
    token: user.token,
    json: { name },
  });
  expect(response.status).toBe(201);
  return response.body;
}

describe('git server', () => {
  it('takes a push, then serves clone, fetch and further pushes with the real git client', async () => {
    const repo = await newRepo(owner, 'roundtrip');
    const url = authedUrl(repo.cloneUrl, owner.token);
    const local = await makeLocalRepo({ 'README.md': '# hello\n', 'a.txt': 'a\n' });
    await gitOk(['push', '--quiet', url, 'main'], local);

    const cloneDir = path.join(await mkdtemp(path.join(tmpdir(), 'lucid-clone-')), 'c');
    await gitOk(['clone', '--quiet', url, cloneDir]);
    expect(await gitOk(['rev-parse', 'HEAD'], cloneDir)).toBe(
      await gitOk(['rev-parse', 'HEAD'], local),
    );

    // A second commit on a new branch, pushed from the clone, then fetched into the original.
    await gitOk(['checkout', '--quiet', '-b', 'feature'], cloneDir);
    await writeFile(path.join(cloneDir, 'b.txt'), 'b\n');
    await gitOk(['add', '.'], cloneDir);
    await gitOk(['commit', '--quiet', '-m', 'add b'], cloneDir);
    await gitOk(['push', '--quiet', 'origin', 'feature'], cloneDir);
    await gitOk(['fetch', '--quiet', url, 'feature'], local);
    expect((await gitOk(['log', '-1', '--format=%s', 'FETCH_HEAD'], local)).trim()).toBe('add b');

    const branches = await request<{ branches: { name: string; sha: string }[] }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}/branches`,
      { token: owner.token },
    );
    expect(branches.body.branches.map((b) => b.name).sort()).toEqual(['feature', 'main']);

    const commits = await request<{ commits: { subject: string; parents: string[] }[] }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}/commits`,
      { token: owner.token },
    );
    expect(commits.body.commits.map((c) => c.subject)).toEqual(['add b', 'first commit']);
    expect(commits.body.commits[0]?.parents).toHaveLength(1);

    const onMain = await request<{ commits: unknown[] }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}/commits?ref=main&limit=5`,
      { token: owner.token },
    );
    expect(onMain.body.commits).toHaveLength(1);
    const unknownRef = await request<{ error: { code: string } }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}/commits?ref=nope`,
      { token: owner.token },
    );
    expect(unknownRef.status).toBe(404);
    expect(unknownRef.body.error.code).toBe('ref_not_found');
    const optionLike = await request(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}/commits?ref=--all`,
      {
        token: owner.token,
      },
    );
    expect(optionLike.status).toBe(404);

    const pushedAt = await request<{ lastPushedAt: string | null }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}`,
      {
        token: owner.token,
      },
    );
    expect(pushedAt.body.lastPushedAt).not.toBeNull();
  });

  it('asks anonymous clients for credentials with 401 and WWW-Authenticate', async () => {
    const repo = await newRepo(owner, 'needs-auth');
    const response = await fetch(`${repo.cloneUrl}/info/refs?service=git-upload-pack`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);

    const clone = await git([
      'clone',
      repo.cloneUrl,
      path.join(await mkdtemp(path.join(tmpdir(), 'x-')), 'c'),
    ]);
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toMatch(/Authentication failed|could not read Username/);
  });

  it('refuses a wrong or revoked token', async () => {
    const repo = await newRepo(owner, 'wrong-token');
    const wrong = await git(['ls-remote', authedUrl(repo.cloneUrl, 'lucid_pat_not-a-real-token')]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Authentication failed/);

    const made = await request<{ id: string; token: string }>(
      server.url,
      'POST',
      '/api/v1/tokens',
      {
        token: owner.token,
        json: { name: 'short-lived' },
      },
    );
    const url = authedUrl(repo.cloneUrl, made.body.token);
    expect((await git(['ls-remote', url])).code).toBe(0);
    await request(server.url, 'DELETE', `/api/v1/tokens/${made.body.id}`, { token: owner.token });
    expect((await git(['ls-remote', url])).code).not.toBe(0);
  });

  it("answers 404 for another user's repo, for reading and for pushing", async () => {
    const repo = await newRepo(owner, 'not-yours');
    const response = await fetch(`${repo.cloneUrl}/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Basic ${Buffer.from(`x:${stranger.token}`).toString('base64')}` },
    });
    expect(response.status).toBe(404);

    const local = await makeLocalRepo();
    const push = await git(['push', authedUrl(repo.cloneUrl, stranger.token), 'main'], local);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/not found/i);
    const branches = await request<{ branches: unknown[] }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}/branches`,
      {
        token: owner.token,
      },
    );
    expect(branches.body.branches).toEqual([]);

    const unknown = await fetch(
      `${server.url}/git/repo_doesnotexist.git/info/refs?service=git-upload-pack`,
      {
        headers: { authorization: `Bearer ${owner.token}` },
      },
    );
    expect(unknown.status).toBe(404);
  });

  it('deleting a repo removes its storage, and git then finds nothing', async () => {
    const repo = await newRepo(owner, 'to-delete');
    const local = await makeLocalRepo();
    await gitOk(['push', '--quiet', authedUrl(repo.cloneUrl, owner.token), 'main'], local);
    const storage = path.join(server.dataDir, 'git', `${repo.id}.git`);
    expect(existsSync(storage)).toBe(true);
    await request(server.url, 'DELETE', `/api/v1/repos/${repo.id}`, { token: owner.token });
    expect(existsSync(storage)).toBe(false);
    expect((await git(['ls-remote', authedUrl(repo.cloneUrl, owner.token)])).code).not.toBe(0);
  });
});
