import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startTestServer, type TestServer } from './support/test-server.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { pushedRepo } from './support/tasks.ts';

type Answer = { error?: { code: string; message: string }; status?: string };

let server: TestServer;
let user: TestUser;
let repoId: string;
let webRoot: string;
/** Another port of the same host: the same site, another origin. */
let otherPort: string;

beforeAll(async () => {
  webRoot = await mkdtemp(path.join(tmpdir(), 'lucid-web-root-'));
  await writeFile(path.join(webRoot, 'index.html'), '<!doctype html><title>Lucid</title>');
  server = await startTestServer({ webRoot });
  user = await signUp(server.url);
  repoId = (await pushedRepo(server.url, user, 'csrf')).id;
  otherPort = `http://127.0.0.1:${await freePort()}`;
});
afterAll(async () => {
  await server.close();
  await rm(webRoot, { recursive: true, force: true });
});

/** A task whose run waits in the queue (this server runs no runner). */
async function queuedTask(): Promise<string> {
  const created = await request<{ task: { id: string; status: string } }>(
    server.url,
    'POST',
    '/api/v1/tasks',
    { token: user.token, json: { repoId, prompt: 'Say hello', commands: ['echo hello'] } },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(created.body.task.status).toBe('queued');
  return created.body.task.id;
}

async function statusOf(taskId: string): Promise<string> {
  const task = await request<{ status: string }>(server.url, 'GET', `/api/v1/tasks/${taskId}`, {
    token: user.token,
  });
  return task.body.status;
}

/** A body-less POST carrying the session cookie, as a page's form or fetch would send it. */
function cookiePost(pathname: string, headers: Record<string, string>) {
  return request<Answer>(server.url, 'POST', pathname, { cookie: user.cookie, headers });
}

describe('cookie-authenticated writes from other origins', () => {
  it('refuses a write whose Origin is another port of the same host', async () => {
    const taskId = await queuedTask();
    for (const action of ['cancel', 'approve', 'start']) {
      const refused = await cookiePost(`/api/v1/tasks/${taskId}/${action}`, { origin: otherPort });
      expect(refused.status).toBe(403);
      expect(refused.body.error?.code).toBe('cross_origin_request');
      expect(refused.body.error?.message).toContain(otherPort);
    }
    const nullOrigin = await cookiePost(`/api/v1/tasks/${taskId}/cancel`, { origin: 'null' });
    expect(nullOrigin.status).toBe(403);
    expect(await statusOf(taskId)).toBe('queued');
  });

  it('refuses a write that only Sec-Fetch-Site says is cross-site or same-site', async () => {
    const taskId = await queuedTask();
    for (const site of ['cross-site', 'same-site']) {
      const refused = await cookiePost(`/api/v1/tasks/${taskId}/cancel`, {
        origin: '',
        'sec-fetch-site': site,
      });
      expect(refused.status).toBe(403);
      expect(refused.body.error?.code).toBe('cross_origin_request');
    }
    expect(await statusOf(taskId)).toBe('queued');
  });

  it('accepts a write from its own origin, by Origin or by Sec-Fetch-Site', async () => {
    const byOrigin = await queuedTask();
    const cancelled = await cookiePost(`/api/v1/tasks/${byOrigin}/cancel`, { origin: server.url });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(await statusOf(byOrigin)).toBe('cancelled');
    const bySite = await queuedTask();
    const alsoCancelled = await cookiePost(`/api/v1/tasks/${bySite}/cancel`, {
      origin: '',
      'sec-fetch-site': 'same-origin',
    });
    expect(alsoCancelled.status, JSON.stringify(alsoCancelled.body)).toBe(200);
    expect(await statusOf(bySite)).toBe('cancelled');
  });

  it('accepts a write with an API token, whatever its origin', async () => {
    const taskId = await queuedTask();
    const cancelled = await request<Answer>(server.url, 'POST', `/api/v1/tasks/${taskId}/cancel`, {
      token: user.token,
      cookie: user.cookie,
      headers: { origin: otherPort, 'sec-fetch-site': 'cross-site' },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
  });

  it('accepts a write from a program that is no browser (neither header)', async () => {
    const taskId = await queuedTask();
    const cancelled = await cookiePost(`/api/v1/tasks/${taskId}/cancel`, { origin: '' });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
  });

  it('covers the integrations and sign-in endpoints too', async () => {
    const disconnect = await request<Answer>(server.url, 'DELETE', '/api/integrations/github', {
      cookie: user.cookie,
      headers: { origin: otherPort },
    });
    expect(disconnect.status).toBe(403);
    expect(disconnect.body.error?.code).toBe('cross_origin_request');

    const signOut = await request<Answer>(server.url, 'POST', '/api/auth/sign-out', {
      cookie: user.cookie,
      json: {},
      headers: { origin: '', 'sec-fetch-site': 'same-site' },
    });
    expect(signOut.status).toBe(403);
    expect(signOut.body.error?.code).toBe('cross_origin_request');
    // better-auth reads only the cookie: a token beside it does not let the write through.
    const withToken = await request<Answer>(server.url, 'POST', '/api/auth/sign-out', {
      cookie: user.cookie,
      token: user.token,
      json: {},
      headers: { origin: '', 'sec-fetch-site': 'cross-site' },
    });
    expect(withToken.status).toBe(403);
    const me = await request(server.url, 'GET', '/api/v1/me', { cookie: user.cookie });
    expect(me.status).toBe(200);
  });
});

describe('security headers', () => {
  function expectSecurityHeaders(headers: Headers): void {
    const csp = headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('same-origin');
    expect(headers.get('strict-transport-security')).toBeNull();
  }

  it('are on HTML answers: the web app and the API reference', async () => {
    const page = await fetch(`${server.url}/tasks`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expectSecurityHeaders(page.headers);
    const docs = await fetch(`${server.url}/api/docs/`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    expectSecurityHeaders(docs.headers);
  });

  it('are on API answers and error answers', async () => {
    const me = await request(server.url, 'GET', '/api/v1/me', { token: user.token });
    expect(me.status).toBe(200);
    expectSecurityHeaders(me.headers);
    const anonymous = await request(server.url, 'GET', '/api/v1/me');
    expect(anonymous.status).toBe(401);
    expectSecurityHeaders(anonymous.headers);
    const missing = await request(server.url, 'GET', '/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expectSecurityHeaders(missing.headers);
    const refused = await cookiePost(`/api/v1/tasks/task_x/start`, { origin: otherPort });
    expect(refused.status).toBe(403);
    expectSecurityHeaders(refused.headers);
  });

  it('ask for https only when Lucid is served over https', async () => {
    const secure = await startTestServer({
      env: { LUCID_PUBLIC_URL: 'https://lucid.example.test' },
    });
    try {
      const health = await fetch(`${secure.url}/healthz`);
      expect(health.headers.get('strict-transport-security')).toBe('max-age=15552000');
      expect(health.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
    } finally {
      await secure.close();
    }
  });
});
