/**
 * Forge integrations against the fake GitHub and GitLab: connecting by OAuth (PKCE, state checked
 * and used once) and by personal token, listing and removing connections, the account's
 * repositories, adding one as a mirror, fetching it again before a task starts, renewing an
 * expired GitLab token, and never letting a token out (answers, the database, logs, git config).
 */
import { Writable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForgeProvider, ForgeRepoList, IntegrationList, Repo } from '@lucid/contracts';
import { connections } from '../src/db/schema.ts';
import { openSecret } from '../src/secrets/secret-box.ts';
import { requestWithoutKey } from '../src/server.ts';
import { startFakeGitHub, type FakeGitHub } from './fakes/github/index.ts';
import { startFakeGitLab, type FakeGitLab } from './fakes/gitlab/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { gitOk, makeLocalRepo } from './support/git.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

type Fake = FakeGitHub | FakeGitLab;

let github: FakeGitHub;
let gitlab: FakeGitLab;
let server: TestServer;
const logLines: string[] = [];

beforeAll(async () => {
  github = await startFakeGitHub();
  gitlab = await startFakeGitLab();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  server = await startTestServer({
    env: { ...github.env(), ...gitlab.env() },
    logger: pino({ level: 'trace' }, sink),
  });
});

afterAll(async () => {
  await server?.close();
  await github?.close();
  await gitlab?.close();
});

function fakeOf(provider: ForgeProvider): Fake {
  return provider === 'github' ? github : gitlab;
}

/** Starts connecting, as the browser would: Lucid's redirect to the provider's consent page. */
async function startOAuth(user: TestUser, provider: ForgeProvider, query = ''): Promise<URL> {
  const started = await fetch(`${server.url}/api/integrations/${provider}/auth${query}`, {
    headers: { cookie: user.cookie },
    redirect: 'manual',
  });
  expect(started.status, await started.clone().text()).toBe(302);
  return new URL(started.headers.get('location') ?? '');
}

/** The provider's consent page approved by `login`: its redirect back to Lucid's callback. */
async function consent(provider: ForgeProvider, authorizeUrl: URL, login: string): Promise<string> {
  fakeOf(provider).authorizeAs(login);
  const answered = await fetch(authorizeUrl, { redirect: 'manual' });
  expect(answered.status).toBe(302);
  return answered.headers.get('location') ?? '';
}

async function callback(user: TestUser, url: string): Promise<Response> {
  return fetch(url, { headers: { cookie: user.cookie }, redirect: 'manual' });
}

async function connectByOAuth(user: TestUser, provider: ForgeProvider, login: string) {
  const back = await callback(
    user,
    await consent(provider, await startOAuth(user, provider), login),
  );
  expect(back.status, await back.clone().text()).toBe(302);
  return back;
}

async function integrations(user: TestUser): Promise<IntegrationList> {
  const listed = await request<IntegrationList>(server.url, 'GET', '/api/integrations', {
    token: user.token,
  });
  expect(listed.status).toBe(200);
  return listed.body;
}

async function storedToken(userId: string, provider: ForgeProvider): Promise<string> {
  const rows = await server.database.db
    .select()
    .from(connections)
    .where(eq(connections.userId, userId));
  const row = rows.find((r) => r.provider === provider);
  if (!row) throw new Error(`no ${provider} connection`);
  return openSecret(server.config.encryptionKey, row.sealedAccessToken);
}

/** Adds a commit to the fake forge's repository, as someone pushing there would. */
async function pushUpstream(fake: Fake, fullName: string, file: string): Promise<string> {
  const work = await makeLocalRepo({ 'seed.txt': 'seed\n' });
  await gitOk(['fetch', '--quiet', fake.repoPath(fullName), 'main'], work);
  await gitOk(['reset', '--quiet', '--hard', 'FETCH_HEAD'], work);
  await gitOk(['checkout', '--quiet', '-B', 'main'], work);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path.join(work, file), `${file}\n`);
  await gitOk(['add', file], work);
  await gitOk(['commit', '--quiet', '-m', `add ${file}`], work);
  await gitOk(['push', '--quiet', fake.repoPath(fullName), 'main'], work);
  return (await gitOk(['rev-parse', 'HEAD'], work)).trim();
}

function lucidBareRepo(repoId: string): string {
  return path.join(server.dataDir, 'git', `${repoId}.git`);
}

async function lucidHead(repoId: string, branch = 'main'): Promise<string> {
  return (await gitOk(['rev-parse', `refs/heads/${branch}`], lucidBareRepo(repoId))).trim();
}

describe.each(['github', 'gitlab'] as const)('OAuth with %s', (provider) => {
  it('connects with PKCE S256 and lists the account without any token', async () => {
    const user = await signUp(server.url);
    const login = `oauth-${provider}-${Date.now()}`;
    fakeOf(provider).addUser({ login, name: 'Octo Cat' });
    const authorize = await startOAuth(user, provider, '?returnTo=/repos');
    expect(authorize.origin).toBe(new URL(fakeOf(provider).webUrl).origin);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('redirect_uri')).toBe(
      `${server.config.publicUrl}/api/integrations/${provider}/callback`,
    );
    const back = await callback(user, await consent(provider, authorize, login));
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe('/repos');

    const listed = await integrations(user);
    expect(listed.oauth).toEqual(['github', 'gitlab']);
    expect(listed.integrations).toEqual([
      expect.objectContaining({ provider, login, name: 'Octo Cat', method: 'oauth' }),
    ]);
    expect(listed.integrations[0]?.avatarUrl).toEqual(expect.any(String));
    expect(listed.integrations[0]?.scopes.length).toBeGreaterThan(0);
    const token = await storedToken(user.id, provider);
    expect(JSON.stringify(listed)).not.toContain(token);
    // Sealed: the raw token is nowhere in the table.
    const rows = await server.database.db.select().from(connections);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('refuses a state that is unknown, replayed, or another user’s', async () => {
    const user = await signUp(server.url);
    const other = await signUp(server.url);
    const login = `state-${provider}-${Date.now()}`;
    fakeOf(provider).addUser({ login });

    const bogus = await callback(
      user,
      `${server.url}/api/integrations/${provider}/callback?code=abc&state=not-a-state`,
    );
    expect(bogus.status).toBe(400);
    expect(await bogus.text()).toContain('invalid_oauth_state');

    const stolen = await consent(provider, await startOAuth(user, provider), login);
    const byOther = await callback(other, stolen);
    expect(byOther.status).toBe(400);

    const url = await consent(provider, await startOAuth(user, provider), login);
    expect((await callback(user, url)).status).toBe(302);
    const replayed = await callback(user, url);
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain('invalid_oauth_state');
    expect((await integrations(other)).integrations).toEqual([]);
  });

  it('sends the browser back with the provider’s error when access is denied', async () => {
    const user = await signUp(server.url);
    const authorize = await startOAuth(user, provider);
    const state = authorize.searchParams.get('state') ?? '';
    const denied = await callback(
      user,
      `${server.url}/api/integrations/${provider}/callback?error=access_denied&state=${state}`,
    );
    expect(denied.status).toBe(302);
    const location = new URL(denied.headers.get('location') ?? '', server.url);
    expect(location.pathname).toBe('/settings/integrations');
    expect(location.searchParams.get('error')).toBe('forge_error');
    expect(location.searchParams.get('message')).toMatch(/not granted/);
    expect((await integrations(user)).integrations).toEqual([]);
  });
});

describe('connections', () => {
  it('refuses a returnTo that leaves the server', async () => {
    const user = await signUp(server.url);
    for (const returnTo of ['https://evil.example', '//evil.example/x', '/\\evil.example']) {
      const started = await request(
        server.url,
        'GET',
        `/api/integrations/github/auth?returnTo=${encodeURIComponent(returnTo)}`,
        { cookie: user.cookie },
      );
      expect(started.status, returnTo).toBe(400);
    }
  });

  it('answers forge_not_configured without an OAuth app', async () => {
    const bare = await startTestServer();
    try {
      const user = await signUp(bare.url);
      const started = await request<{ error: { code: string } }>(
        bare.url,
        'GET',
        '/api/integrations/gitlab/auth',
        { token: user.token },
      );
      expect(started.status).toBe(400);
      expect(started.body.error.code).toBe('forge_not_configured');
      const listed = await request<IntegrationList>(bare.url, 'GET', '/api/integrations', {
        token: user.token,
      });
      expect(listed.body.oauth).toEqual([]);
    } finally {
      await bare.close();
    }
  });

  it('connects with a personal token after checking it, and refuses a bad one', async () => {
    const user = await signUp(server.url);
    const account = github.addUser({ login: `pat-${Date.now()}` });
    const bad = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      '/api/integrations/github/token',
      { token: user.token, json: { token: 'ghp_not_a_real_token' } },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_forge_token');

    const good = await request<{ login: string; method: string }>(
      server.url,
      'POST',
      '/api/integrations/github/token',
      { token: user.token, json: { token: account.token } },
    );
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    expect(good.body).toMatchObject({ login: account.login, method: 'token' });
    expect(JSON.stringify(good.body)).not.toContain(account.token);
    const rows = await server.database.db.select().from(connections);
    expect(JSON.stringify(rows)).not.toContain(account.token);

    const audit = await request<{ entries: { action: string; metadata: unknown }[] }>(
      server.url,
      'GET',
      '/api/v1/audit',
      { token: user.token },
    );
    expect(audit.status).toBe(200);
    expect(audit.body.entries.map((e) => e.action)).toContain('integration.connect');
    expect(JSON.stringify(audit.body)).not.toContain(account.token);
  });

  it('disconnects, and says so when there is nothing to disconnect', async () => {
    const user = await signUp(server.url);
    const account = gitlab.addUser({ login: `bye-${Date.now()}` });
    await request(server.url, 'POST', '/api/integrations/gitlab/token', {
      token: user.token,
      json: { token: account.token },
    });
    expect((await integrations(user)).integrations).toHaveLength(1);
    const removed = await request(server.url, 'DELETE', '/api/integrations/gitlab', {
      token: user.token,
    });
    expect(removed.status).toBe(204);
    expect((await integrations(user)).integrations).toEqual([]);
    const again = await request<{ error: { code: string } }>(
      server.url,
      'DELETE',
      '/api/integrations/gitlab',
      { token: user.token },
    );
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('integration_not_found');
    const repos = await request<{ error: { code: string } }>(
      server.url,
      'GET',
      '/api/integrations/gitlab/repos',
      { token: user.token },
    );
    expect(repos.body.error.code).toBe('integration_not_found');
  });

  it('needs a signed-in user', async () => {
    const listed = await request(server.url, 'GET', '/api/integrations');
    expect(listed.status).toBe(401);
  });
});

describe('repositories', () => {
  it('lists the account’s repositories, paginated and searchable', async () => {
    const user = await signUp(server.url);
    const account = github.addUser({ login: `lister-${Date.now()}` });
    for (const name of ['alpha-api', 'alpha-web', 'beta', 'gamma']) {
      await github.addRepo(account.login, name, { files: { 'README.md': `# ${name}\n` } });
    }
    await request(server.url, 'POST', '/api/integrations/github/token', {
      token: user.token,
      json: { token: account.token },
    });
    const first = await request<ForgeRepoList>(
      server.url,
      'GET',
      '/api/integrations/github/repos?perPage=3&page=1',
      { token: user.token },
    );
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.repos).toHaveLength(3);
    expect(first.body.nextPage).toBe(2);
    const second = await request<ForgeRepoList>(
      server.url,
      'GET',
      '/api/integrations/github/repos?perPage=3&page=2',
      { token: user.token },
    );
    expect(second.body.repos).toHaveLength(1);
    expect(second.body.nextPage).toBeNull();
    const names = [...first.body.repos, ...second.body.repos].map((r) => r.fullName).sort();
    expect(names).toEqual(
      ['alpha-api', 'alpha-web', 'beta', 'gamma'].map((n) => `${account.login}/${n}`),
    );
    const searched = await request<ForgeRepoList>(
      server.url,
      'GET',
      '/api/integrations/github/repos?q=alpha',
      { token: user.token },
    );
    expect(searched.body.repos.map((r) => r.name).sort()).toEqual(['alpha-api', 'alpha-web']);
  });

  it.each(['github', 'gitlab'] as const)(
    'adds a %s repository: mirrored, linked upstream, fetched again before a task starts',
    async (provider) => {
      const fake = fakeOf(provider);
      const user = await signUp(server.url);
      const login = `adder-${provider}-${Date.now()}`;
      fake.addUser({ login });
      await fake.addRepo(login, 'service', {
        files: { 'README.md': '# service\n' },
        defaultBranch: 'trunk',
        private: true,
      });
      await connectByOAuth(user, provider, login);
      const fullName = `${login}/service`;

      const added = await request<Repo>(server.url, 'POST', `/api/integrations/${provider}/repos`, {
        token: user.token,
        json: { fullName },
      });
      expect(added.status, JSON.stringify(added.body)).toBe(201);
      expect(added.body).toMatchObject({
        name: 'service',
        provider,
        defaultBranch: 'trunk',
        upstream: { provider, fullName },
      });
      const upstreamHead = (
        await gitOk(['rev-parse', 'refs/heads/trunk'], fake.repoPath(fullName))
      ).trim();
      expect(await lucidHead(added.body.id, 'trunk')).toBe(upstreamHead);
      const config = await readFile(path.join(lucidBareRepo(added.body.id), 'config'), 'utf8');
      const token = await storedToken(user.id, provider);
      expect(config).not.toContain(token);
      expect(config).not.toContain('extraHeader');

      // The same name again is de-duplicated.
      const twice = await request<Repo>(server.url, 'POST', `/api/integrations/${provider}/repos`, {
        token: user.token,
        json: { fullName },
      });
      expect(twice.status).toBe(201);
      expect(twice.body.name).toBe('service-2');

      // A Lucid task branch stays when the upstream is fetched again.
      await gitOk(['branch', 'lucid/keep-me', 'trunk'], lucidBareRepo(added.body.id));
      const work = await makeLocalRepo({ 'x.txt': 'x\n' });
      await gitOk(['fetch', '--quiet', fake.repoPath(fullName), 'trunk'], work);
      await gitOk(['checkout', '--quiet', '-B', 'trunk', 'FETCH_HEAD'], work);
      await (await import('node:fs/promises')).writeFile(path.join(work, 'new.txt'), 'new\n');
      await gitOk(['add', 'new.txt'], work);
      await gitOk(['commit', '--quiet', '-m', 'upstream moves on'], work);
      await gitOk(['push', '--quiet', fake.repoPath(fullName), 'trunk'], work);
      const moved = (await gitOk(['rev-parse', 'HEAD'], work)).trim();
      expect(await lucidHead(added.body.id, 'trunk')).not.toBe(moved);

      const created = await request<{ task: { baseBranch: string } }>(
        server.url,
        'POST',
        '/api/v1/tasks',
        { token: user.token, json: { repoId: added.body.id, prompt: 'check', commands: ['true'] } },
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(await lucidHead(added.body.id, 'trunk')).toBe(moved);
      expect(await lucidHead(added.body.id, 'lucid/keep-me')).toBe(upstreamHead);

      // Tasks started together share one fetch rather than fighting over the repo's locks.
      const together = await Promise.all(
        [1, 2, 3].map(() =>
          request(server.url, 'POST', '/api/v1/tasks', {
            token: user.token,
            json: { repoId: added.body.id, prompt: 'again', commands: ['true'] },
          }),
        ),
      );
      expect(together.map((r) => r.status)).toEqual([201, 201, 201]);
    },
  );

  it('renews an expired GitLab token during a sync and stores the new pair', async () => {
    const user = await signUp(server.url);
    const login = `expiring-${Date.now()}`;
    gitlab.addUser({ login });
    await gitlab.addRepo(login, 'lib', { files: { 'a.txt': 'a\n' } });
    await connectByOAuth(user, 'gitlab', login);
    const added = await request<Repo>(server.url, 'POST', '/api/integrations/gitlab/repos', {
      token: user.token,
      json: { fullName: `${login}/lib` },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const before = await storedToken(user.id, 'gitlab');
    gitlab.expire(before);
    const moved = await pushUpstream(gitlab, `${login}/lib`, 'b.txt');
    const created = await request(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId: added.body.id, prompt: 'go', commands: ['true'] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(await lucidHead(added.body.id)).toBe(moved);
    const after = await storedToken(user.id, 'gitlab');
    expect(after).not.toBe(before);

    // Past its stored expiry, the token is renewed before it is used.
    await server.database.db
      .update(connections)
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where(eq(connections.userId, user.id));
    const again = await request(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId: added.body.id, prompt: 'again', commands: ['true'] },
    });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    const renewed = await storedToken(user.id, 'gitlab');
    expect(renewed).not.toBe(after);
    const [row] = await server.database.db
      .select()
      .from(connections)
      .where(eq(connections.userId, user.id));
    expect(row?.expiresAt?.getTime()).toBeGreaterThan(Date.now());
  });

  it('says clearly when the token was revoked', async () => {
    const user = await signUp(server.url);
    const account = github.addUser({ login: `revoked-${Date.now()}` });
    await github.addRepo(account.login, 'app', { files: { 'a.txt': 'a\n' } });
    await request(server.url, 'POST', '/api/integrations/github/token', {
      token: user.token,
      json: { token: account.token },
    });
    const added = await request<Repo>(server.url, 'POST', '/api/integrations/github/repos', {
      token: user.token,
      json: { fullName: `${account.login}/app` },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    github.revoke(account.token);
    const created = await request<{ error: { code: string; message: string } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      { token: user.token, json: { repoId: added.body.id, prompt: 'go', commands: ['true'] } },
    );
    expect(created.status).toBe(400);
    expect(created.body.error.code).toBe('invalid_forge_token');
    expect(created.body.error.message).toMatch(/GitHub/);
    const listed = await request<{ error: { code: string } }>(
      server.url,
      'GET',
      '/api/integrations/github/repos',
      { token: user.token },
    );
    expect(listed.body.error.code).toBe('invalid_forge_token');
  });

  it('refuses to add a repository it cannot see', async () => {
    const user = await signUp(server.url);
    const account = github.addUser({ login: `nosee-${Date.now()}` });
    await request(server.url, 'POST', '/api/integrations/github/token', {
      token: user.token,
      json: { token: account.token },
    });
    const missing = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      '/api/integrations/github/repos',
      { token: user.token, json: { fullName: `${account.login}/nothing-here` } },
    );
    expect(missing.status).toBe(404);
    const repos = await request<{ repos: Repo[] }>(server.url, 'GET', '/api/v1/repos', {
      token: user.token,
    });
    expect(repos.body.repos).toEqual([]);
  });
});

describe('secrets', () => {
  it('never logs a forge token', async () => {
    const tokens = await server.database.db.select().from(connections);
    expect(tokens.length).toBeGreaterThan(0);
    const log = logLines.join('');
    expect(log.length).toBeGreaterThan(0);
    for (const row of tokens) {
      const token = openSecret(server.config.encryptionKey, row.sealedAccessToken);
      expect(log).not.toContain(token);
      if (row.sealedRefreshToken) {
        expect(log).not.toContain(openSecret(server.config.encryptionKey, row.sealedRefreshToken));
      }
    }
    expect(log).not.toMatch(/code_verifier|client_secret/);
  });

  it('masks an OAuth callback’s code and state in the request log', () => {
    const logged = requestWithoutKey({
      method: 'GET',
      url: '/api/integrations/github/callback?code=c0de&state=s7ate',
    });
    expect(logged.url).toBe('/api/integrations/github/callback?code=[redacted]&state=[redacted]');
  });
});
