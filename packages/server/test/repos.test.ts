import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, signUp, type TestUser } from './support/client.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

interface Repo {
  id: string;
  name: string;
  defaultBranch: string;
  cloneUrl: string;
  description: string;
}
interface ErrorBody {
  error: { code: string; message: string };
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

const api = <T>(user: TestUser, method: string, pathname: string, json?: unknown) =>
  request<T>(server.url, method, pathname, { token: user.token, json });

describe('repositories', () => {
  it('creates, reads, lists, renames and deletes with its storage', async () => {
    const created = await api<Repo>(owner, 'POST', '/api/v1/repos', {
      name: 'alpha',
      description: 'first',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'alpha',
      defaultBranch: 'main',
      description: 'first',
    });
    expect(created.body.cloneUrl).toBe(`${server.config.publicUrl}/git/${created.body.id}.git`);
    const storage = path.join(server.dataDir, 'git', `${created.body.id}.git`);
    expect(existsSync(path.join(storage, 'HEAD'))).toBe(true);

    const got = await api<Repo>(owner, 'GET', `/api/v1/repos/${created.body.id}`);
    expect(got.body).toEqual(created.body);

    const list = await api<{ repos: Repo[] }>(owner, 'GET', '/api/v1/repos');
    expect(list.body.repos.map((r) => r.id)).toContain(created.body.id);

    const renamed = await api<Repo>(owner, 'PATCH', `/api/v1/repos/${created.body.id}`, {
      name: 'alpha-2',
      defaultBranch: 'trunk',
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'alpha-2', defaultBranch: 'trunk' });

    const url = await api<{ cloneUrl: string }>(
      owner,
      'GET',
      `/api/v1/repos/${created.body.id}/clone-url`,
    );
    expect(url.body.cloneUrl).toBe(created.body.cloneUrl);

    expect((await api(owner, 'DELETE', `/api/v1/repos/${created.body.id}`)).status).toBe(204);
    expect(existsSync(storage)).toBe(false);
    const gone = await api<ErrorBody>(owner, 'GET', `/api/v1/repos/${created.body.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('repo_not_found');
  });

  it('ingest creates a repo to push into, with the chosen default branch', async () => {
    const ingested = await api<Repo>(owner, 'POST', '/api/v1/repos/ingest', {
      name: 'ingested',
      defaultBranch: 'develop',
    });
    expect(ingested.status).toBe(201);
    expect(ingested.body.defaultBranch).toBe('develop');
  });

  it('refuses a taken name, case-insensitively, in create and rename', async () => {
    await api(owner, 'POST', '/api/v1/repos', { name: 'taken' });
    const again = await api<ErrorBody>(owner, 'POST', '/api/v1/repos', { name: 'Taken' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('name_taken');

    const other = await api<Repo>(owner, 'POST', '/api/v1/repos', { name: 'other' });
    const rename = await api<ErrorBody>(owner, 'PATCH', `/api/v1/repos/${other.body.id}`, {
      name: 'taken',
    });
    expect(rename.status).toBe(409);
    expect(rename.body.error.code).toBe('name_taken');

    // Another user's workspace has its own names.
    expect((await api(stranger, 'POST', '/api/v1/repos', { name: 'taken' })).status).toBe(201);
  });

  it("answers 404 for another user's repo on every endpoint", async () => {
    const mine = await api<Repo>(owner, 'POST', '/api/v1/repos', { name: 'private-one' });
    const id = mine.body.id;
    const attempts: [string, string, unknown?][] = [
      ['GET', `/api/v1/repos/${id}`],
      ['PATCH', `/api/v1/repos/${id}`, { name: 'stolen' }],
      ['DELETE', `/api/v1/repos/${id}`],
      ['GET', `/api/v1/repos/${id}/clone-url`],
      ['GET', `/api/v1/repos/${id}/branches`],
      ['GET', `/api/v1/repos/${id}/commits`],
    ];
    for (const [method, pathname, json] of attempts) {
      const response = await api<ErrorBody>(stranger, method, pathname, json);
      expect(response.status, `${method} ${pathname}`).toBe(404);
      expect(response.body.error.code).toBe('repo_not_found');
    }
    const list = await api<{ repos: Repo[] }>(stranger, 'GET', '/api/v1/repos');
    expect(list.body.repos.map((r) => r.id)).not.toContain(id);
    expect((await api(owner, 'GET', `/api/v1/repos/${id}`)).status).toBe(200);
  });

  it('an empty repo has no branches and no commits', async () => {
    const repo = await api<Repo>(owner, 'POST', '/api/v1/repos', { name: 'empty' });
    const branches = await api(owner, 'GET', `/api/v1/repos/${repo.body.id}/branches`);
    expect(branches.body).toEqual({ branches: [] });
    const commits = await api(owner, 'GET', `/api/v1/repos/${repo.body.id}/commits`);
    expect(commits.body).toEqual({ commits: [] });
  });
});

describe('bad input', () => {
  it('answers malformed JSON, wrong types, bad names and unknown ids with a 4xx and a code', async () => {
    const cases: {
      method: string;
      path: string;
      body?: string;
      json?: unknown;
      status: number;
      code: string;
      type?: string;
    }[] = [
      {
        method: 'POST',
        path: '/api/v1/repos',
        body: '{"name": ',
        status: 400,
        code: 'invalid_json',
      },
      {
        method: 'POST',
        path: '/api/v1/repos',
        json: { name: 42 },
        status: 400,
        code: 'validation_failed',
      },
      { method: 'POST', path: '/api/v1/repos', json: {}, status: 400, code: 'validation_failed' },
      {
        method: 'POST',
        path: '/api/v1/repos',
        json: { name: 'a b' },
        status: 400,
        code: 'validation_failed',
      },
      {
        method: 'POST',
        path: '/api/v1/repos',
        json: { name: 'x.git' },
        status: 400,
        code: 'validation_failed',
      },
      {
        method: 'POST',
        path: '/api/v1/repos',
        json: { name: 'ok', defaultBranch: 'a..b' },
        status: 400,
        code: 'validation_failed',
      },
      {
        method: 'POST',
        path: '/api/v1/repos',
        json: ['a'],
        status: 400,
        code: 'validation_failed',
      },
      {
        method: 'POST',
        path: '/api/v1/repos',
        body: 'name=x',
        type: 'application/x-www-form-urlencoded',
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        method: 'PATCH',
        path: '/api/v1/repos/repo_nope',
        json: {},
        status: 400,
        code: 'validation_failed',
      },
      {
        method: 'GET',
        path: '/api/v1/repos/repo_doesnotexist',
        status: 404,
        code: 'repo_not_found',
      },
      {
        method: 'GET',
        path: '/api/v1/repos/repo_doesnotexist/commits?limit=0',
        status: 400,
        code: 'validation_failed',
      },
      {
        method: 'GET',
        path: '/api/v1/repos/repo_doesnotexist/commits?limit=abc',
        status: 400,
        code: 'validation_failed',
      },
      { method: 'DELETE', path: '/api/v1/tokens/tok_nope', status: 404, code: 'token_not_found' },
      {
        method: 'POST',
        path: '/api/v1/tokens',
        json: { name: '' },
        status: 400,
        code: 'validation_failed',
      },
      { method: 'GET', path: '/api/v1/nothing-here', status: 404, code: 'not_found' },
    ];
    for (const c of cases) {
      const headers: Record<string, string> = {};
      if (c.body !== undefined) headers['content-type'] = c.type ?? 'application/json';
      const response = await request<ErrorBody>(server.url, c.method, c.path, {
        token: owner.token,
        ...(c.json !== undefined ? { json: c.json } : {}),
        ...(c.body !== undefined ? { body: c.body } : {}),
        headers,
      });
      expect(response.status, `${c.method} ${c.path}`).toBe(c.status);
      expect(response.body.error.code, `${c.method} ${c.path}`).toBe(c.code);
      expect(response.body.error.message.length).toBeGreaterThan(5);
    }
  });

  it('refuses an oversize body with 413', async () => {
    const response = await request<ErrorBody>(server.url, 'POST', '/api/v1/repos', {
      token: owner.token,
      json: { name: 'big', description: 'x'.repeat(server.config.bodyLimit + 10) },
    });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });
});
