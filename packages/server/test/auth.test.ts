import { executionAsyncId } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieFrom, request, signUp } from './support/client.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('accounts', () => {
  it('signs up with a personal workspace, signs in and out', async () => {
    const email = `ann-${Date.now()}@example.test`;
    const password = 'a long enough password';
    const signup = await request<{ user: { id: string } }>(
      server.url,
      'POST',
      '/api/auth/sign-up/email',
      {
        json: { email, password, name: 'Ann' },
      },
    );
    expect(signup.status).toBe(200);

    const me = await request<{
      user: { email: string };
      workspaces: { personal: boolean; role: string }[];
    }>(server.url, 'GET', '/api/v1/me', { cookie: cookieFrom(signup.headers) });
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(email);
    expect(me.body.workspaces).toEqual([
      expect.objectContaining({ personal: true, role: 'owner' }),
    ]);

    const wrong = await request(server.url, 'POST', '/api/auth/sign-in/email', {
      json: { email, password: 'not the password' },
    });
    expect(wrong.status).toBe(401);

    const signin = await request(server.url, 'POST', '/api/auth/sign-in/email', {
      json: { email, password },
    });
    expect(signin.status).toBe(200);
    const cookie = cookieFrom(signin.headers);
    expect((await request(server.url, 'GET', '/api/v1/me', { cookie })).status).toBe(200);

    const signout = await request(server.url, 'POST', '/api/auth/sign-out', { cookie, json: {} });
    expect(signout.status).toBe(200);
    const after = await request<{ error: { code: string } }>(server.url, 'GET', '/api/v1/me', {
      cookie,
    });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthorized');
  });

  it('leaves promises untracked once its calls are answered', async () => {
    // On Node 20 better-auth's AsyncLocalStorage, once run, tracks every promise of the process
    // (async hooks) for good; with them on, a promise's continuation runs with an async id.
    const user = await signUp(server.url);
    const signin = await request(server.url, 'POST', '/api/auth/sign-in/email', {
      json: { email: user.email, password: user.password },
    });
    const me = await request(server.url, 'GET', '/api/v1/me', {
      cookie: cookieFrom(signin.headers),
    });
    expect(me.status).toBe(200);
    const continuation = async () => {
      await null;
      return executionAsyncId();
    };
    expect(await continuation()).toBe(0);
  });

  it('refuses sign-in from an untrusted or missing origin', async () => {
    const user = await signUp(server.url);
    const json = { email: user.email, password: user.password };
    const foreign = await request<{ code: string }>(server.url, 'POST', '/api/auth/sign-in/email', {
      json,
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('INVALID_ORIGIN');
    const missing = await request<{ code: string }>(server.url, 'POST', '/api/auth/sign-in/email', {
      json,
      headers: { origin: '' },
    });
    expect(missing.status).toBe(403);
    // The public URL's loopback aliases are trusted: localhost and 127.0.0.1 are one machine.
    const alias = await request(server.url, 'POST', '/api/auth/sign-in/email', {
      json,
      headers: { origin: server.config.publicUrl.replace('localhost', '127.0.0.1') },
    });
    expect(alias.status).toBe(200);
  });

  it('refuses a second account with the same email', async () => {
    const user = await signUp(server.url);
    const again = await request(server.url, 'POST', '/api/auth/sign-up/email', {
      json: { email: user.email, password: 'another password', name: 'Copy' },
    });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
  });

  it('offers email sign-in, and social sign-in only when configured', async () => {
    const providers = await request(server.url, 'GET', '/api/v1/auth/providers');
    expect(providers.body).toEqual({
      emailPassword: true,
      social: [],
      signUp: 'open',
      firstAccount: false,
    });

    const withGithub = await startTestServer({
      env: { GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'secret' },
    });
    try {
      const offered = await request(withGithub.url, 'GET', '/api/v1/auth/providers');
      expect(offered.body).toEqual({
        emailPassword: true,
        social: ['github'],
        signUp: 'open',
        firstAccount: true,
      });
    } finally {
      await withGithub.close();
    }
  });
});

describe('API tokens', () => {
  it('creates, lists without the secret, and revokes at once', async () => {
    const user = await signUp(server.url);
    const created = await request<{ id: string; token: string; name: string }>(
      server.url,
      'POST',
      '/api/v1/tokens',
      { cookie: user.cookie, json: { name: 'laptop' } },
    );
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^lucid_pat_/);

    const me = await request(server.url, 'GET', '/api/v1/me', { token: created.body.token });
    expect(me.status).toBe(200);

    const list = await request<{ tokens: Record<string, unknown>[] }>(
      server.url,
      'GET',
      '/api/v1/tokens',
      {
        token: created.body.token,
      },
    );
    expect(list.body.tokens.map((t) => t.name).sort()).toEqual(['laptop', 'tests']);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect(list.body.tokens.find((t) => t.id === created.body.id)?.lastUsedAt).not.toBeNull();

    const revoked = await request(server.url, 'DELETE', `/api/v1/tokens/${created.body.id}`, {
      token: user.token,
    });
    expect(revoked.status).toBe(204);
    const refused = await request<{ error: { code: string } }>(server.url, 'GET', '/api/v1/me', {
      token: created.body.token,
    });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('invalid_credentials');
  });

  it("cannot revoke another user's token", async () => {
    const a = await signUp(server.url);
    const b = await signUp(server.url);
    const tokens = await request<{ tokens: { id: string }[] }>(
      server.url,
      'GET',
      '/api/v1/tokens',
      {
        token: a.token,
      },
    );
    const id = tokens.body.tokens[0]?.id ?? '';
    const attempt = await request<{ error: { code: string } }>(
      server.url,
      'DELETE',
      `/api/v1/tokens/${id}`,
      {
        token: b.token,
      },
    );
    expect(attempt.status).toBe(404);
    expect(attempt.body.error.code).toBe('token_not_found');
    expect((await request(server.url, 'GET', '/api/v1/me', { token: a.token })).status).toBe(200);
  });

  it('refuses requests without credentials', async () => {
    const response = await request<{ error: { code: string } }>(
      server.url,
      'GET',
      '/api/v1/tokens',
    );
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('unauthorized');
  });
});
