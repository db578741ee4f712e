import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from './support/client.ts';
import { onPostgres, startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('service endpoints', () => {
  it('/healthz answers with the database kind', async () => {
    const health = await request(server.url, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', database: onPostgres ? 'postgres' : 'pglite' });
  });

  it('serves an OpenAPI document generated from the schemas, and its viewer', async () => {
    const doc = await request<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      server.url,
      'GET',
      '/api/docs/json',
    );
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    // The reference's page links back to the app.
    expect((doc.body as { info?: { description?: string } }).info?.description).toContain(
      '[← Back to Lucid](/)',
    );
    for (const [p, method] of [
      ['/api/v1/repos', 'post'],
      ['/api/v1/repos/ingest', 'post'],
      ['/api/v1/repos/{id}', 'patch'],
      ['/api/v1/repos/{id}/branches', 'get'],
      ['/api/v1/repos/{id}/commits', 'get'],
      ['/api/v1/tokens', 'post'],
      ['/api/v1/settings/providers', 'get'],
      ['/api/v1/tokens/{id}', 'delete'],
      ['/api/v1/tasks', 'get'],
      ['/api/v1/tasks/{id}', 'patch'],
      ['/api/v1/tasks/{id}', 'delete'],
      ['/api/v1/tasks/{id}/stop', 'post'],
      ['/api/v1/tasks/{id}/messages', 'post'],
      ['/api/v1/tasks/{id}/files', 'get'],
      ['/api/v1/tasks/{id}/files/content', 'get'],
      ['/api/v1/tasks/{id}/diff', 'get'],
      ['/api/v1/runner/runs/{id}/inbox', 'post'],
      ['/api/integrations', 'get'],
      ['/api/integrations/{provider}', 'delete'],
      ['/api/integrations/{provider}/auth', 'get'],
      ['/api/integrations/{provider}/callback', 'get'],
      ['/api/integrations/{provider}/token', 'post'],
      ['/api/integrations/{provider}/repos', 'get'],
      ['/api/integrations/{provider}/repos', 'post'],
      ['/api/v1/invitations', 'post'],
      ['/api/v1/invitations', 'get'],
      ['/api/v1/invitations/{id}', 'delete'],
    ] as const) {
      expect(doc.body.paths[p]?.[method], `${method} ${p}`).toBeDefined();
    }
    expect(JSON.stringify(doc.body.paths['/api/v1/repos']?.post)).toContain('defaultBranch');
    const ui = await fetch(`${server.url}/api/docs`);
    expect(ui.status).toBe(200);
  });
});
