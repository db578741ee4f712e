/**
 * The fake GitHub and GitLab answer with the wire shapes of the real services: status codes,
 * headers and error bodies, read here with plain HTTP so no client library smooths them over.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './fakes/github/index.ts';
import { startFakeGitLab, type FakeGitLab } from './fakes/gitlab/index.ts';
import { git, gitOk } from './support/git.ts';

/** Where this file's clones go, removed at the end. */
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'fake-forges-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** Commits a change of `file` on `branch` (made from main) straight into a bare repository. */
async function commitOn(bare: string, branch: string, file: string, content: string) {
  const dir = await mkdtemp(path.join(scratch, 'work-'));
  await gitOk(['clone', '--quiet', bare, dir]);
  await gitOk(['checkout', '--quiet', '-B', branch, 'origin/main'], dir);
  await writeFile(path.join(dir, file), content);
  await gitOk(['commit', '--quiet', '-am', `Change on ${branch}`], dir);
  await gitOk(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], dir);
}

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** A webhook receiver: records each delivery's headers and body, answers 202. */
async function startReceiver(): Promise<{
  url: string;
  received: { path: string; headers: Record<string, string>; body: string }[];
  close: () => Promise<void>;
}> {
  const received: { path: string; headers: Record<string, string>; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        headers: Object.fromEntries(
          Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
        ),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"status":"ignored"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('fake GitHub wire protocol', () => {
  let gh: FakeGitHub;
  let token: string;
  beforeAll(async () => {
    gh = await startFakeGitHub();
    token = gh.addUser({ login: 'octo', name: 'Octo Cat' }).token;
    for (const name of ['one', 'two', 'three']) {
      await gh.addRepo('octo', name, { files: { 'README.md': `# ${name}\n` } });
    }
  });
  afterAll(() => gh.close());
  const api = (route: string, init: RequestInit = {}, auth = `token ${token}`) =>
    fetch(`${gh.apiUrl}${route}`, {
      ...init,
      headers: { authorization: auth, 'content-type': 'application/json', ...init.headers },
    });

  it('answers 401 as GitHub does, and reports scopes in X-OAuth-Scopes', async () => {
    const none = await fetch(`${gh.apiUrl}/user`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ message: 'Requires authentication' });
    const bad = await api('/user', {}, 'token ghp_nope');
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });
    const me = await api('/user');
    expect(me.headers.get('x-oauth-scopes')).toBe('repo, read:user');
    expect(await me.json()).toMatchObject({ login: 'octo', name: 'Octo Cat' });
    const missing = await api('/repos/octo/none');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ message: 'Not Found' });
  });

  it('pages /user/repos with a Link header', async () => {
    const first = await api('/user/repos?per_page=2&page=1&sort=pushed');
    const link = first.headers.get('link')!;
    expect(link).toMatch(/<[^>]+[?&]page=2[^>]*>; rel="next"/);
    expect(link).toMatch(/<[^>]+[?&]page=2[^>]*>; rel="last"/);
    const repos = (await first.json()) as Array<{ full_name: string; permissions: object }>;
    expect(repos.map((r) => r.full_name)).toEqual(['octo/three', 'octo/two']);
    expect(repos[0]!.permissions).toEqual({ admin: true, push: true, pull: true });
    const last = await api('/user/repos?per_page=2&page=2&sort=pushed');
    expect(last.headers.get('link')).toMatch(/rel="prev".*rel="first"/);
    expect(last.headers.get('link')).not.toMatch(/rel="next"/);
  });

  it('refuses a second open pull request for a branch with 422, and a conflicting merge with 405', async () => {
    const bare = gh.repoPath('octo/one');
    await commitOn(bare, 'a', 'README.md', 'a\n');
    await commitOn(bare, 'b', 'README.md', 'b\n');
    const open = (head: string) =>
      api('/repos/octo/one/pulls', {
        method: 'POST',
        body: JSON.stringify({ title: head, head: `octo:${head}`, base: 'main' }),
      });
    const created = await open('a');
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      number: 1,
      state: 'open',
      head: { ref: 'a', label: 'octo:a' },
      base: { ref: 'main' },
    });
    const again = await open('a');
    expect(again.status).toBe(422);
    expect(await again.json()).toMatchObject({
      message: 'Validation Failed',
      errors: [{ message: 'A pull request already exists for octo:a.' }],
    });
    const listed = await api('/repos/octo/one/pulls?head=octo:a&state=open');
    expect(((await listed.json()) as unknown[]).length).toBe(1);
    expect((await open('b')).status).toBe(201);
    const merged = await api('/repos/octo/one/pulls/1/merge', { method: 'PUT', body: '{}' });
    expect(merged.status).toBe(200);
    expect(await merged.json()).toMatchObject({
      merged: true,
      message: 'Pull Request successfully merged',
    });
    const conflict = await api('/repos/octo/one/pulls/2/merge', { method: 'PUT', body: '{}' });
    expect(conflict.status).toBe(405);
    expect(await conflict.json()).toMatchObject({ message: 'Pull Request is not mergeable' });
  });

  it('speaks the OAuth web flow: JSON or form answers, errors with status 200', async () => {
    gh.authorizeAs('octo');
    const verifier = 'v'.repeat(50);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorize = async () => {
      const url = new URL(`${gh.webUrl}/login/oauth/authorize`);
      url.search = new URLSearchParams({
        client_id: gh.clientId,
        redirect_uri: 'http://127.0.0.1:9/cb',
        state: 's1',
        scope: 'repo read:user',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }).toString();
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(302);
      const back = new URL(res.headers.get('location')!);
      expect(back.searchParams.get('state')).toBe('s1');
      return back.searchParams.get('code')!;
    };
    const exchange = (code: string, accept?: string, codeVerifier = verifier) =>
      fetch(`${gh.webUrl}/login/oauth/access_token`, {
        method: 'POST',
        headers: accept ? { accept } : {},
        body: new URLSearchParams({
          client_id: gh.clientId,
          client_secret: gh.clientSecret,
          code,
          code_verifier: codeVerifier,
        }),
      });
    const json = await exchange(await authorize(), 'application/json');
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ token_type: 'bearer', scope: 'repo,read:user' });
    const form = await exchange(await authorize());
    expect(form.headers.get('content-type')).toMatch(/application\/x-www-form-urlencoded/);
    expect(new URLSearchParams(await form.text()).get('access_token')).toMatch(/^gho_/);
    const wrongVerifier = await exchange(await authorize(), 'application/json', 'w'.repeat(50));
    expect(wrongVerifier.status).toBe(200);
    expect(await wrongVerifier.json()).toMatchObject({ error: 'bad_verification_code' });
  });

  it('serves git with the token as the Basic password, challenging otherwise', async () => {
    const refs = `${gh.webUrl}/octo/two.git/info/refs?service=git-receive-pack`;
    const anonymous = await fetch(refs);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="GitHub"');
    const authed = await fetch(refs, {
      headers: { authorization: basic('x-access-token', token) },
    });
    expect(authed.status).toBe(200);
    expect(authed.headers.get('content-type')).toBe('application/x-git-receive-pack-advertisement');
  });

  it('signs webhook deliveries with X-Hub-Signature-256', () => {
    const delivery = gh.webhook(
      'ping',
      { zen: 'Keep it logically awesome.' },
      { secret: 's3cret' },
    );
    expect(delivery.headers['x-github-event']).toBe('ping');
    expect(delivery.headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    const expected = createHmac('sha256', 's3cret').update(delivery.body).digest('hex');
    expect(delivery.headers['x-hub-signature-256']).toBe(`sha256=${expected}`);
    expect(gh.webhook('ping', {}, { secret: 's3cret' }).headers['x-github-delivery']).not.toBe(
      delivery.headers['x-github-delivery'],
    );
  });

  it("sends an event to each webhook of the repository, signed with that hook's secret", async () => {
    const receiver = await startReceiver();
    try {
      const first = gh.addHook('octo/one', { url: `${receiver.url}/a`, secret: 'first' });
      const second = gh.addHook('octo/one', { url: `${receiver.url}/b`, secret: 'second' });
      gh.addHook('octo/two', { url: `${receiver.url}/elsewhere`, secret: 'other' });
      const answers = await gh.deliver('octo/one', 'ping', { zen: 'Hooks.' });
      expect(answers.map((a) => [a.url, a.status])).toEqual([
        [`${receiver.url}/a`, 202],
        [`${receiver.url}/b`, 202],
      ]);
      expect(receiver.received.map((r) => r.path).sort()).toEqual(['/a', '/b']);
      for (const [hook, secret] of [
        [first, 'first'],
        [second, 'second'],
      ] as const) {
        const got = receiver.received.find(
          (r) => r.headers['x-github-hook-id'] === String(hook.id),
        );
        const hmac = createHmac('sha256', secret).update(got!.body).digest('hex');
        expect(got!.headers['x-hub-signature-256']).toBe(`sha256=${hmac}`);
      }
      const ids = receiver.received.map((r) => r.headers['x-github-delivery']);
      expect(new Set(ids).size).toBe(2);
    } finally {
      await receiver.close();
    }
  });

  it('serves only smart HTTP: the dumb protocol and odd paths are not found', async () => {
    const auth = { headers: { authorization: basic('x-access-token', token) } };
    expect((await fetch(`${gh.webUrl}/octo/two.git/HEAD`, auth)).status).toBe(404);
    expect((await fetch(`${gh.webUrl}/octo/two.git/info/refs`, auth)).status).toBe(404);
  });
});

describe('fake GitLab wire protocol', () => {
  let gl: FakeGitLab;
  let token: string;
  beforeAll(async () => {
    gl = await startFakeGitLab();
    token = gl.addUser({ login: 'tanuki' }).token;
    for (const name of ['one', 'two', 'three']) {
      await gl.addRepo('tanuki', name, { files: { 'README.md': `# ${name}\n` } });
    }
    await gl.addRepo('tanuki/team', 'nested', { files: { 'README.md': '# nested\n' } });
  });
  afterAll(() => gl.close());
  const api = (route: string, init: RequestInit = {}, auth = `Bearer ${token}`) =>
    fetch(`${gl.apiUrl}${route}`, {
      ...init,
      headers: { authorization: auth, 'content-type': 'application/json', ...init.headers },
    });

  it('answers 401 as GitLab does, and finds projects by id or encoded path', async () => {
    const bad = await api('/user', {}, 'Bearer nope');
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ message: '401 Unauthorized' });
    const byPat = await fetch(`${gl.apiUrl}/user`, { headers: { 'private-token': token } });
    expect(await byPat.json()).toMatchObject({ username: 'tanuki' });
    const byPath = await api(`/projects/${encodeURIComponent('tanuki/team/nested')}`);
    const project = (await byPath.json()) as { id: number; path_with_namespace: string };
    expect(project.path_with_namespace).toBe('tanuki/team/nested');
    expect(((await (await api(`/projects/${project.id}`)).json()) as { id: number }).id).toBe(
      project.id,
    );
    const missing = await api('/projects/tanuki%2Fnone');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: '404 Project Not Found' });
  });

  it('pages projects with X-* headers and a Link header', async () => {
    const first = await api(
      '/projects?membership=true&min_access_level=30&order_by=last_activity_at&sort=desc&per_page=3&page=1',
    );
    expect(first.headers.get('x-page')).toBe('1');
    expect(first.headers.get('x-per-page')).toBe('3');
    expect(first.headers.get('x-next-page')).toBe('2');
    expect(first.headers.get('x-total')).toBe('4');
    expect(first.headers.get('x-total-pages')).toBe('2');
    expect(first.headers.get('link')).toMatch(/rel="next"/);
    expect(
      ((await first.json()) as Array<{ path_with_namespace: string }>).map(
        (p) => p.path_with_namespace,
      ),
    ).toEqual(['tanuki/team/nested', 'tanuki/three', 'tanuki/two']);
    const last = await api('/projects?membership=true&per_page=3&page=2');
    expect(last.headers.get('x-next-page')).toBe('');
    const search = await api('/projects?membership=true&search=TWO');
    expect(((await search.json()) as unknown[]).length).toBe(1);
  });

  it('refuses a second open merge request with 409, and a conflicting merge with 406', async () => {
    const bare = gl.repoPath('tanuki/one');
    await commitOn(bare, 'a', 'README.md', 'a\n');
    await commitOn(bare, 'b', 'README.md', 'b\n');
    const open = (head: string) =>
      api('/projects/tanuki%2Fone/merge_requests', {
        method: 'POST',
        body: JSON.stringify({ source_branch: head, target_branch: 'main', title: head }),
      });
    const created = await open('a');
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ iid: 1, state: 'opened', source_branch: 'a' });
    const again = await open('a');
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({
      message: ['Another open merge request already exists for this source branch: !1'],
    });
    expect((await open('b')).status).toBe(201);
    const merged = await api('/projects/tanuki%2Fone/merge_requests/1/merge', { method: 'PUT' });
    expect(await merged.json()).toMatchObject({ state: 'merged' });
    const conflict = await api('/projects/tanuki%2Fone/merge_requests/2/merge', { method: 'PUT' });
    expect(conflict.status).toBe(406);
    expect(await conflict.json()).toEqual({ message: 'Branch cannot be merged' });
    const closed = await api('/projects/tanuki%2Fone/merge_requests/1/merge', { method: 'PUT' });
    expect(closed.status).toBe(405);
  });

  it('issues expiring OAuth tokens, refuses expired ones, and rotates refresh tokens', async () => {
    gl.authorizeAs('tanuki');
    const auth = await fetch(
      `${gl.webUrl}/oauth/authorize?${new URLSearchParams({
        client_id: gl.clientId,
        redirect_uri: 'http://127.0.0.1:9/cb',
        response_type: 'code',
        state: 's',
        scope: 'api',
      })}`,
      { redirect: 'manual' },
    );
    const code = new URL(auth.headers.get('location')!).searchParams.get('code')!;
    const tokenAt = (body: Record<string, string>) =>
      fetch(`${gl.webUrl}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({
          client_id: gl.clientId,
          client_secret: gl.clientSecret,
          ...body,
        }),
      });
    const exchanged = await tokenAt({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:9/cb',
    });
    const pair = (await exchanged.json()) as Record<string, unknown>;
    expect(pair).toMatchObject({ token_type: 'Bearer', expires_in: 7200, scope: 'api' });
    expect(typeof pair.created_at).toBe('number');
    const reused = await tokenAt({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:9/cb',
    });
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error: 'invalid_grant' });
    gl.expire(pair.access_token as string);
    const expired = await api('/user', {}, `Bearer ${pair.access_token as string}`);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error: 'invalid_token' });
    const refreshed = await tokenAt({
      grant_type: 'refresh_token',
      refresh_token: pair.refresh_token as string,
    });
    const fresh = (await refreshed.json()) as { access_token: string };
    expect((await api('/user', {}, `Bearer ${fresh.access_token}`)).status).toBe(200);
    const replay = await tokenAt({
      grant_type: 'refresh_token',
      refresh_token: pair.refresh_token as string,
    });
    expect(replay.status).toBe(400);
    // Git takes an OAuth token only as oauth2:<token>.
    const refs = `${gl.webUrl}/tanuki/two.git/info/refs?service=git-upload-pack`;
    expect(
      (await fetch(refs, { headers: { authorization: basic('oauth2', fresh.access_token) } }))
        .status,
    ).toBe(200);
    const wrongUser = await fetch(refs, {
      headers: { authorization: basic('tanuki', fresh.access_token) },
    });
    expect(wrongUser.status).toBe(401);
    expect(wrongUser.headers.get('www-authenticate')).toBe('Basic realm="GitLab"');
  });

  it('clones over smart HTTP with a personal token', async () => {
    const dir = await mkdtemp(path.join(scratch, 'clone-'));
    const header = `http.extraHeader=Authorization: ${basic('oauth2', token)}`;
    await gitOk(['-c', header, 'clone', '--quiet', `${gl.webUrl}/tanuki/team/nested.git`, dir]);
    expect((await gitOk(['log', '--format=%s'], dir)).trim()).toBe('Initial commit');
    expect(
      (await git(['clone', '--quiet', `${gl.webUrl}/tanuki/team/nested.git`, `${dir}-2`])).code,
    ).toBe(0);
  });

  it('sends webhook deliveries with X-Gitlab-Token, X-Gitlab-Event and a UUID', () => {
    const delivery = gl.webhook('Push Hook', { object_kind: 'push' }, { secret: 's3cret' });
    expect(delivery.headers).toMatchObject({
      'x-gitlab-event': 'Push Hook',
      'x-gitlab-token': 's3cret',
    });
    expect(delivery.headers['x-gitlab-event-uuid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(delivery.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sends an event to each webhook of the project with its token, under the event's one UUID", async () => {
    const receiver = await startReceiver();
    try {
      gl.addHook('tanuki/team/nested', { url: `${receiver.url}/a`, secret: 'first' });
      gl.addHook('tanuki/team/nested', { url: `${receiver.url}/b`, secret: 'second' });
      const answers = await gl.deliver('tanuki/team/nested', 'Push Hook', { object_kind: 'push' });
      expect(answers.map((a) => a.status)).toEqual([202, 202]);
      const byPath = Object.fromEntries(receiver.received.map((r) => [r.path, r.headers]));
      expect(byPath['/a']!['x-gitlab-token']).toBe('first');
      expect(byPath['/b']!['x-gitlab-token']).toBe('second');
      // One event: the same event UUID; two deliveries: two idempotency keys.
      expect(byPath['/a']!['x-gitlab-event-uuid']).toBe(byPath['/b']!['x-gitlab-event-uuid']);
      expect(byPath['/a']!['idempotency-key']).not.toBe(byPath['/b']!['idempotency-key']);
    } finally {
      await receiver.close();
    }
  });
});
