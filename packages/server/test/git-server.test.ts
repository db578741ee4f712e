import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceMembers } from '../src/db/schema.ts';
import { mintRunToken } from '../src/auth/run-tokens.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { authedUrl, git, gitOk, makeLocalRepo } from './support/git.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

interface Repo {
  id: string;
  workspaceId: string;
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

/** A raw HTTP request, its path sent exactly as written (fetch would normalise `/./` away). */
function rawRequest(
  url: string,
  input: { method: 'GET' | 'POST'; path: string; token: string; body?: Buffer },
): Promise<{ status: number; contentType: string; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname,
        port,
        method: input.method,
        path: input.path,
        headers: {
          authorization: `Basic ${Buffer.from(`lucid:${input.token}`).toString('base64')}`,
          ...(input.body
            ? {
                'content-type': 'application/x-git-receive-pack-request',
                'content-length': String(input.body.length),
              }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(input.body);
  });
}

/** What `git push` sends to receive-pack to create `ref` at the local HEAD: commands, then a pack. */
async function receivePackRequest(local: string, ref: string): Promise<Buffer> {
  const sha = (await gitOk(['rev-parse', 'HEAD'], local)).trim();
  const pack = await new Promise<Buffer>((resolve, reject) => {
    const child = spawn('git', ['pack-objects', '--stdout', '--revs', '--quiet'], { cwd: local });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`pack-objects: ${code}`)),
    );
    child.stdin.end(`${sha}\n`);
  });
  const command = `${'0'.repeat(40)} ${sha} ${ref}\0report-status\n`;
  const pktLine = `${(command.length + 4).toString(16).padStart(4, '0')}${command}`;
  return Buffer.concat([Buffer.from(`${pktLine}0000`, 'latin1'), pack]);
}

describe('git server: what a request does is what Lucid checked', () => {
  let repo: Repo;
  let reader: TestUser;
  let local: string;
  const refsOf = async () =>
    (await gitOk(['for-each-ref'], path.join(server.dataDir, 'git', `${repo.id}.git`))).trim();

  beforeAll(async () => {
    repo = await newRepo(owner, 'read-only');
    local = await makeLocalRepo({ 'README.md': '# read only\n' });
    await gitOk(['push', '--quiet', authedUrl(repo.cloneUrl, owner.token), 'main'], local);
    reader = await signUp(server.url, 'Reader');
    await server.database.db
      .insert(workspaceMembers)
      .values({ workspaceId: repo.workspaceId, userId: reader.id, role: 'viewer' });
    await writeFile(path.join(local, 'evil.txt'), 'pushed by a reader\n');
    await gitOk(['add', '.'], local);
    await gitOk(['commit', '--quiet', '-m', 'a reader writes'], local);
  });

  it("refuses a viewer's clone (reading the code needs the member role) and their git push", async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'lucid-reader-')), 'c');
    const clone = await git(['clone', '--quiet', authedUrl(repo.cloneUrl, reader.token), dir]);
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toMatch(/403/);
    const before = await refsOf();
    const push = await git(
      ['push', authedUrl(repo.cloneUrl, reader.token), 'HEAD:refs/heads/evil'],
      local,
    );
    expect(push.code).not.toBe(0);
    expect(await refsOf()).toBe(before);
  });

  it.each([
    ['a doubled slash', '//git-receive-pack'],
    ['a dot segment', '/./git-receive-pack'],
    ['an encoded slash after .git', '%2Fgit-receive-pack'],
    ['an encoded slash in the tail', '/%2Fgit-receive-pack'],
    ['a directory before the service', '/objects/git-receive-pack'],
  ])("refuses a reader's push through %s, and the refs stay as they were", async (_, tail) => {
    const before = await refsOf();
    const answer = await rawRequest(server.url, {
      method: 'POST',
      path: `/git/${repo.id}.git${tail}`,
      token: reader.token,
      body: await receivePackRequest(local, 'refs/heads/evil'),
    });
    // Refused by Lucid itself, before git runs: git's own guard against aliased paths is not
    // what keeps a reader out.
    expect(answer.status, answer.text).toBe(404);
    expect(JSON.parse(answer.text)).toMatchObject({
      error: { code: expect.stringMatching(/^(not_found|repo_not_found)$/) },
    });
    expect(await refsOf()).toBe(before);
  });

  it("refuses a run token of another repository's task, in every form of the push", async () => {
    const elsewhere = await newRepo(owner, 'elsewhere');
    await gitOk(['push', '--quiet', authedUrl(elsewhere.cloneUrl, owner.token), 'main'], local);
    const created = await request<{ task: { branch: string }; run: { id: string } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      { token: owner.token, json: { repoId: elsewhere.id, prompt: 'other work', commands: [] } },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const token = await mintRunToken(server.database.db, {
      runId: created.body.run.id,
      repoId: elsewhere.id,
      branch: created.body.task.branch,
      ttlMs: 60_000,
    });
    const before = await refsOf();
    for (const tail of ['/git-receive-pack', '//git-receive-pack']) {
      const answer = await rawRequest(server.url, {
        method: 'POST',
        path: `/git/${repo.id}.git${tail}`,
        token,
        body: await receivePackRequest(local, `refs/heads/${created.body.task.branch}`),
      });
      expect(answer.status, answer.text).toBe(404);
    }
    expect(await refsOf()).toBe(before);
  });

  it.each([
    ['upload-pack then receive-pack', 'service=git-upload-pack&service=git-receive-pack'],
    ['receive-pack then upload-pack', 'service=git-receive-pack&service=git-upload-pack'],
  ])('refuses a doubled service= (%s) with 400', async (_, query) => {
    const before = await refsOf();
    const answer = await rawRequest(server.url, {
      method: 'GET',
      path: `/git/${repo.id}.git/info/refs?${query}`,
      token: reader.token,
    });
    expect(answer.status, answer.text).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'bad_request' } });
    expect(answer.contentType).not.toContain('git-receive-pack');
    expect(await refsOf()).toBe(before);
  });

  it.each([
    ['a dumb-protocol file', 'GET', '/HEAD', 404],
    ['info/refs without a service (the dumb protocol)', 'GET', '/info/refs', 400],
    ['an unknown service', 'GET', '/info/refs?service=git-upload-archive', 400],
    ['an encoded service name', 'GET', '/info/refs?service=git%2Dreceive-pack', 400],
    ['another parameter', 'GET', '/info/refs?service=git-upload-pack&x=1', 400],
    ['a query on a service call', 'POST', '/git-upload-pack?service=git-receive-pack', 400],
    ['a service called with GET', 'GET', '/git-upload-pack', 405],
    ['info/refs with POST', 'POST', '/info/refs?service=git-upload-pack', 405],
  ] as const)('refuses %s with a clear status', async (_, method, tail, status) => {
    const answer = await rawRequest(server.url, {
      method,
      path: `/git/${repo.id}.git${tail}`,
      token: owner.token,
      ...(method === 'POST' ? { body: Buffer.from('0000') } : {}),
    });
    expect(answer.status, answer.text).toBe(status);
    expect(JSON.parse(answer.text).error.message).toMatch(/smart HTTP|service|parameter|query/);
  });
});
