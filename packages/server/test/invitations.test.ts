import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthProviders, CreatedInvitation, Invitation } from '@lucid/contracts';
import { auditLog, invitations, users } from '../src/db/schema.ts';
import { cookieFrom, request, signUp, type TestUser } from './support/client.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { startFakeGitHub, type FakeGitHub } from './fakes/github/index.ts';

type ErrorAnswer = { error: { code: string; message: string } };
/** better-auth's own endpoints answer errors as `{code, message}`. */
type AuthErrorAnswer = { code: string; message: string };

let counter = 0;
const newEmail = () => `invitee${(counter += 1)}-${process.pid}-${Date.now()}@example.test`;

/** A sign-up through better-auth's endpoint, its answer as it is. */
function trySignUp(server: TestServer, email: string, invitation?: string) {
  return request<AuthErrorAnswer & { user: { id: string } }>(
    server.url,
    'POST',
    '/api/auth/sign-up/email',
    {
      json: {
        email,
        password: 'correct horse battery',
        name: 'Invitee',
        ...(invitation !== undefined && { invitation }),
      },
    },
  );
}

async function accountExists(server: TestServer, email: string): Promise<boolean> {
  const rows = await server.database.db
    .select({ id: users.id })
    .from(users)
    .where(eq(users.email, email.toLowerCase()));
  return rows.length > 0;
}

async function invite(
  server: TestServer,
  admin: TestUser,
  json: { email?: string; expiresInDays?: number } = {},
): Promise<CreatedInvitation> {
  const created = await request<CreatedInvitation>(server.url, 'POST', '/api/v1/invitations', {
    cookie: admin.cookie,
    json,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

async function listed(server: TestServer, admin: TestUser, id: string): Promise<Invitation> {
  const list = await request<{ invitations: Invitation[] }>(
    server.url,
    'GET',
    '/api/v1/invitations',
    { token: admin.token },
  );
  expect(list.status).toBe(200);
  const found = list.body.invitations.find((i) => i.id === id);
  if (!found) throw new Error(`invitation ${id} is not listed`);
  return found;
}

async function auditActions(server: TestServer, invitationId: string): Promise<string[]> {
  const rows = await server.database.db
    .select({ action: auditLog.action })
    .from(auditLog)
    .where(and(eq(auditLog.targetType, 'invitation'), eq(auditLog.targetId, invitationId)));
  return rows.map((r) => r.action).sort();
}

describe('sign-up by invitation (LUCID_SIGNUP=invite)', () => {
  let server: TestServer;
  let admin: TestUser;

  beforeAll(async () => {
    server = await startTestServer({ env: { LUCID_SIGNUP: 'invite' } });
    const before = await request<AuthProviders>(server.url, 'GET', '/api/v1/auth/providers');
    // With no account yet, the first person may sign up: they become the instance admin.
    expect(before.body.signUp).toBe('open');
    expect(before.body.firstAccount).toBe(true);
    admin = await signUp(server.url, 'Admin');
  });
  afterAll(() => server.close());

  it('made the first account, without an invitation, the instance admin', async () => {
    const me = await request<{ instanceAdmin: boolean }>(server.url, 'GET', '/api/v1/me', {
      token: admin.token,
    });
    expect(me.body.instanceAdmin).toBe(true);
    const providers = await request<AuthProviders>(server.url, 'GET', '/api/v1/auth/providers');
    expect(providers.body).toEqual({
      emailPassword: true,
      social: [],
      signUp: 'invite',
      firstAccount: false,
    });
  });

  it('refuses a sign-up without an invitation', async () => {
    const email = newEmail();
    const refused = await trySignUp(server, email);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('invitation_required');
    expect(refused.body.message).toMatch(/by invitation/);
    expect(await accountExists(server, email)).toBe(false);
  });

  it('accepts a sign-up with an invitation, once', async () => {
    const invitation = await invite(server, admin);
    expect(invitation.status).toBe('pending');
    expect(invitation.email).toBeNull();
    expect(invitation.token).toMatch(/^lucid_inv_/);
    expect(invitation.url).toBe(
      `${server.config.publicUrl}/sign-up?invitation=${encodeURIComponent(invitation.token)}`,
    );

    const invitee = await signUp(server.url, 'Invitee', { invitation: invitation.token });
    const me = await request<{ instanceAdmin: boolean }>(server.url, 'GET', '/api/v1/me', {
      token: invitee.token,
    });
    expect(me.body.instanceAdmin).toBe(false);

    const email = newEmail();
    const again = await trySignUp(server, email, invitation.token);
    expect(again.status).toBe(403);
    expect(again.body.code).toBe('invitation_invalid');
    expect(again.body.message).toMatch(/used already/);
    expect(await accountExists(server, email)).toBe(false);

    const row = await listed(server, admin, invitation.id);
    expect(row).toMatchObject({ status: 'accepted', acceptedBy: invitee.id, createdBy: admin.id });
    expect(JSON.stringify(row)).not.toContain(invitation.token);
    expect(await auditActions(server, invitation.id)).toEqual([
      'invitation.accept',
      'invitation.create',
    ]);
  });

  it('lets one of four sign-ups racing with one invitation through', async () => {
    const invitation = await invite(server, admin);
    const emails = [newEmail(), newEmail(), newEmail(), newEmail()];
    const answers = await Promise.all(emails.map((e) => trySignUp(server, e, invitation.token)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 403, 403, 403]);
    const created = await Promise.all(emails.map((e) => accountExists(server, e)));
    expect(created.filter(Boolean)).toHaveLength(1);
  });

  it('refuses a revoked invitation, and revoking stops the link at once', async () => {
    const invitation = await invite(server, admin);
    const revoked = await request(server.url, 'DELETE', `/api/v1/invitations/${invitation.id}`, {
      cookie: admin.cookie,
    });
    expect(revoked.status).toBe(204);
    const email = newEmail();
    const refused = await trySignUp(server, email, invitation.token);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('invitation_invalid');
    expect(refused.body.message).toMatch(/revoked/);
    expect(await accountExists(server, email)).toBe(false);
    expect((await listed(server, admin, invitation.id)).status).toBe('revoked');
    expect(await auditActions(server, invitation.id)).toEqual([
      'invitation.create',
      'invitation.revoke',
    ]);
  });

  it('refuses an expired invitation', async () => {
    const invitation = await invite(server, admin, { expiresInDays: 1 });
    await server.database.db
      .update(invitations)
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where(eq(invitations.id, invitation.id));
    const email = newEmail();
    const refused = await trySignUp(server, email, invitation.token);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('invitation_invalid');
    expect(refused.body.message).toMatch(/expired/);
    expect(await accountExists(server, email)).toBe(false);
    expect((await listed(server, admin, invitation.id)).status).toBe('expired');
  });

  it('refuses an invitation for another email address, and takes its own in any case', async () => {
    const bound = newEmail();
    const invitation = await invite(server, admin, { email: bound });
    expect(invitation.email).toBe(bound);
    const other = newEmail();
    const refused = await trySignUp(server, other, invitation.token);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('invitation_invalid');
    expect(refused.body.message).toMatch(/another email address/);
    expect(await accountExists(server, other)).toBe(false);

    const accepted = await trySignUp(server, bound.toUpperCase(), invitation.token);
    expect(accepted.status).toBe(200);
  });

  it('refuses a made-up invitation', async () => {
    const refused = await trySignUp(server, newEmail(), 'lucid_inv_made-up');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('invitation_invalid');
    expect(refused.body.message).toMatch(/not valid/);
  });

  it('lets only an instance admin make, list and revoke invitations', async () => {
    const invitation = await invite(server, admin);
    const member = await signUp(server.url, 'Member', {
      invitation: (await invite(server, admin)).token,
    });
    const make = await request<ErrorAnswer>(server.url, 'POST', '/api/v1/invitations', {
      cookie: member.cookie,
      json: {},
    });
    expect(make.status).toBe(403);
    expect(make.body.error.code).toBe('forbidden');
    const list = await request<ErrorAnswer>(server.url, 'GET', '/api/v1/invitations', {
      token: member.token,
    });
    expect(list.status).toBe(403);
    const revoke = await request<ErrorAnswer>(
      server.url,
      'DELETE',
      `/api/v1/invitations/${invitation.id}`,
      { token: member.token },
    );
    expect(revoke.status).toBe(403);
    expect((await listed(server, admin, invitation.id)).status).toBe('pending');

    const anonymous = await request<ErrorAnswer>(server.url, 'POST', '/api/v1/invitations', {
      json: {},
    });
    expect(anonymous.status).toBe(401);
  });

  it('checks what an admin asks for', async () => {
    const badEmail = await request<ErrorAnswer>(server.url, 'POST', '/api/v1/invitations', {
      token: admin.token,
      json: { email: 'not an address' },
    });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.error.code).toBe('validation_failed');
    const tooLong = await request<ErrorAnswer>(server.url, 'POST', '/api/v1/invitations', {
      token: admin.token,
      json: { expiresInDays: 365 },
    });
    expect(tooLong.status).toBe(400);
    const missing = await request<ErrorAnswer>(
      server.url,
      'DELETE',
      '/api/v1/invitations/inv_missing',
      { token: admin.token },
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('invitation_not_found');

    const used = await invite(server, admin);
    await signUp(server.url, 'Used', { invitation: used.token });
    const late = await request<ErrorAnswer>(
      server.url,
      'DELETE',
      `/api/v1/invitations/${used.id}`,
      {
        token: admin.token,
      },
    );
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('conflict');
  });
});

describe('the first visit', () => {
  it('tells the sign-in page that the next account is the admin, until there is one', async () => {
    const server = await startTestServer({ env: { LUCID_SIGNUP: 'closed' } });
    try {
      const fresh = await request<AuthProviders>(server.url, 'GET', '/api/v1/auth/providers');
      expect(fresh.body).toEqual({
        emailPassword: true,
        social: [],
        signUp: 'open',
        firstAccount: true,
      });
      await signUp(server.url, 'First');
      const after = await request<AuthProviders>(server.url, 'GET', '/api/v1/auth/providers');
      expect(after.body).toMatchObject({ signUp: 'closed', firstAccount: false });
    } finally {
      await server.close();
    }
  });
});

describe('open sign-up (LUCID_SIGNUP=open)', () => {
  it('lets anyone sign up', async () => {
    const server = await startTestServer({ env: { LUCID_SIGNUP: 'open' } });
    try {
      await signUp(server.url, 'First');
      const providers = await request<AuthProviders>(server.url, 'GET', '/api/v1/auth/providers');
      expect(providers.body.signUp).toBe('open');
      const second = await trySignUp(server, newEmail());
      expect(second.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('closed sign-up (LUCID_SIGNUP=closed)', () => {
  it('takes the first account only, and no invitation', async () => {
    const server = await startTestServer({ env: { LUCID_SIGNUP: 'closed' } });
    try {
      const admin = await signUp(server.url, 'First');
      const providers = await request<AuthProviders>(server.url, 'GET', '/api/v1/auth/providers');
      expect(providers.body.signUp).toBe('closed');
      const email = newEmail();
      const refused = await trySignUp(server, email);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('signup_closed');
      expect(await accountExists(server, email)).toBe(false);
      const invitation = await request<ErrorAnswer>(server.url, 'POST', '/api/v1/invitations', {
        token: admin.token,
        json: {},
      });
      expect(invitation.status).toBe(403);
      expect(invitation.body.error.code).toBe('signup_closed');
    } finally {
      await server.close();
    }
  });
});

/**
 * better-auth's GitHub sign-in calls github.com and api.github.com at fixed addresses: while `run`
 * runs, this process's fetch (the test server's) sends those calls to the fake instead.
 */
async function withGitHubAt<T>(github: FakeGitHub, run: () => Promise<T>): Promise<T> {
  const realFetch = globalThis.fetch;
  const moved = (url: string) =>
    url
      .replace(/^https:\/\/api\.github\.com(?=\/)/, github.apiUrl)
      .replace(/^https:\/\/github\.com(?=\/)/, github.webUrl);
  globalThis.fetch = (input, init) =>
    input instanceof Request
      ? realFetch(new Request(moved(input.url), input), init)
      : realFetch(moved(String(input)), init);
  try {
    return await run();
  } finally {
    globalThis.fetch = realFetch;
  }
}

/** "Continue with GitHub" as a browser goes through it; answers where Lucid sends it at the end. */
async function signInWithGitHub(server: TestServer, invitation?: string): Promise<string> {
  const start = await request<{ url: string }>(server.url, 'POST', '/api/auth/sign-in/social', {
    json: {
      provider: 'github',
      callbackURL: '/tasks',
      errorCallbackURL: '/sign-in',
      ...(invitation !== undefined && { additionalData: { invitation } }),
    },
  });
  expect(start.status, JSON.stringify(start.body)).toBe(200);
  const authorize = await fetch(start.body.url, { redirect: 'manual' });
  expect(authorize.status).toBe(302);
  const callback = new URL(authorize.headers.get('location') ?? '');
  const answer = await fetch(server.url + callback.pathname + callback.search, {
    headers: { cookie: cookieFrom(start.headers) },
    redirect: 'manual',
  });
  expect(answer.status).toBe(302);
  return answer.headers.get('location') ?? '';
}

describe('sign-in with GitHub where sign-up is by invitation', () => {
  it('makes no account without an invitation, and one with it', async () => {
    const github = await startFakeGitHub();
    const server = await startTestServer({ env: { LUCID_SIGNUP: 'invite', ...github.env() } });
    try {
      const admin = await signUp(server.url, 'Admin');
      const email = newEmail();
      github.addUser({ login: 'octo', name: 'Octo Cat', email });
      github.authorizeAs('octo');
      await withGitHubAt(github, async () => {
        const refused = new URL(await signInWithGitHub(server), server.url);
        expect(refused.pathname).toBe('/sign-in');
        expect(refused.searchParams.get('error')).toBe('invitation_required');
        expect(refused.searchParams.get('error_description')).toMatch(/by invitation/);
        expect(await accountExists(server, email)).toBe(false);

        const invitation = await invite(server, admin, { email });
        const accepted = new URL(await signInWithGitHub(server, invitation.token), server.url);
        expect(accepted.pathname).toBe('/tasks');
        const [octo] = await server.database.db
          .select({ id: users.id })
          .from(users)
          .where(eq(users.email, email));
        expect(await listed(server, admin, invitation.id)).toMatchObject({
          status: 'accepted',
          acceptedBy: octo?.id,
        });

        // The account exists now: signing in again needs no invitation.
        const again = new URL(await signInWithGitHub(server), server.url);
        expect(again.pathname).toBe('/tasks');
      });
    } finally {
      await server.close();
      await github.close();
    }
  });
});
