import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintRunToken } from '../src/auth/run-tokens.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { authedUrl, git, gitOk, makeLocalRepo } from './support/git.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let user: TestUser;
let repo: { id: string; cloneUrl: string };
let other: { id: string; cloneUrl: string };
let task: { id: string; branch: string };
let runId: string;

beforeAll(async () => {
  server = await startTestServer();
  user = await signUp(server.url);
  const create = async (name: string) =>
    (
      await request<{ id: string; cloneUrl: string }>(server.url, 'POST', '/api/v1/repos', {
        token: user.token,
        json: { name },
      })
    ).body;
  repo = await create('scoped');
  other = await create('other');
  const local = await makeLocalRepo();
  await gitOk(['push', '--quiet', authedUrl(repo.cloneUrl, user.token), 'main'], local);
  await gitOk(['push', '--quiet', authedUrl(other.cloneUrl, user.token), 'main'], local);
  const created = await request<{ task: { id: string; branch: string }; run: { id: string } }>(
    server.url,
    'POST',
    '/api/v1/tasks',
    { token: user.token, json: { repoId: repo.id, prompt: 'scoped work', commands: [] } },
  );
  task = created.body.task;
  runId = created.body.run.id;
});
afterAll(() => server.close());

describe("a run's git token", () => {
  it("reads its repository and pushes only to its task's branch", async () => {
    const token = await mintRunToken(server.database.db, {
      runId,
      repoId: repo.id,
      branch: task.branch,
      ttlMs: 60_000,
    });
    expect(task.branch).toMatch(/^lucid\/scoped-work-[a-z0-9]{6}$/);
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'lucid-run-')), 'w');
    await gitOk(['clone', '--quiet', authedUrl(repo.cloneUrl, token), dir]);
    await gitOk(['checkout', '--quiet', '-b', task.branch], dir);
    await writeFile(path.join(dir, 'work.txt'), 'done\n');
    await gitOk(['add', '.'], dir);
    await gitOk(['commit', '--quiet', '-m', 'work'], dir);
    await gitOk(['push', '--quiet', 'origin', task.branch], dir);

    const toMain = await git(['push', 'origin', `${task.branch}:main`], dir);
    expect(toMain.code).not.toBe(0);
    expect(toMain.stderr).toContain(`may push only to ${task.branch}`);
    const toOther = await git(['push', 'origin', `${task.branch}:lucid/another-branch`], dir);
    expect(toOther.code).not.toBe(0);

    const branches = await request<{ branches: { name: string }[] }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}/branches`,
      { token: user.token },
    );
    expect(branches.body.branches.map((b) => b.name).sort()).toEqual(['main', task.branch].sort());

    const elsewhere = await git(['ls-remote', authedUrl(other.cloneUrl, token)]);
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr).toMatch(/not found/i);
    // The run token is no key to the REST API.
    const api = await request(server.url, 'GET', '/api/v1/repos', { token });
    expect(api.status).toBe(401);
  });

  it("pushes its task's workspace snapshot ref, and no other task's", async () => {
    const token = await mintRunToken(server.database.db, {
      runId,
      repoId: repo.id,
      branch: task.branch,
      ttlMs: 60_000,
    });
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'lucid-snap-')), 'w');
    await gitOk(['clone', '--quiet', authedUrl(repo.cloneUrl, token), dir]);
    await writeFile(path.join(dir, 'wip.txt'), 'unfinished\n');
    await gitOk(['add', '.'], dir);
    await gitOk(['commit', '--quiet', '-m', 'snapshot'], dir);
    await gitOk(
      ['push', '--quiet', '--force', 'origin', `HEAD:refs/lucid/snapshots/${task.branch}`],
      dir,
    );

    const elsewhere = await git(
      ['push', 'origin', 'HEAD:refs/lucid/snapshots/lucid/other-abcdef'],
      dir,
    );
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr).toContain(`may push only to ${task.branch}`);
    const anyRef = await git(['push', 'origin', 'HEAD:refs/lucid/elsewhere'], dir);
    expect(anyRef.code).not.toBe(0);
    const refs = await git(['ls-remote', authedUrl(repo.cloneUrl, user.token)]);
    expect(refs.stdout).toContain(`refs/lucid/snapshots/${task.branch}`);
    expect(refs.stdout).not.toContain('refs/lucid/snapshots/lucid/other-abcdef');
    expect(refs.stdout).not.toContain('refs/lucid/elsewhere');
  });

  it('stops working when it expires', async () => {
    const token = await mintRunToken(server.database.db, {
      runId,
      repoId: repo.id,
      branch: task.branch,
      ttlMs: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const result = await git(['ls-remote', authedUrl(repo.cloneUrl, token)]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Authentication failed/);
  });
});
