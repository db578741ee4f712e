import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { pushedRepo, startTask, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

interface RunnerView {
  id: string;
  name: string;
  kind: string;
  status: string;
  capacity: number;
}

let server: TestServer;
let admin: TestUser;
let member: TestUser;

beforeAll(async () => {
  const driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) });
  server = await startTestServer({ runner: { driver, slots: 1, pollMs: 100 } });
  admin = await signUp(server.url, 'First');
  member = await signUp(server.url, 'Second');
});
afterAll(() => server.close());

const runners = async (user: TestUser) =>
  (
    await request<{ runners: RunnerView[] }>(server.url, 'GET', '/api/v1/runners', {
      token: user.token,
    })
  ).body.runners;

describe('the runners API', () => {
  it("lists the server's own runner, idle, with its capacity", async () => {
    const list = await runners(member);
    expect(list).toEqual([
      expect.objectContaining({ kind: 'in_process', status: 'idle', capacity: 1 }),
    ]);
  });

  it('tells each user whether they are the instance admin', async () => {
    const asAdmin = await request<{ instanceAdmin: boolean }>(server.url, 'GET', '/api/v1/me', {
      token: admin.token,
    });
    const asMember = await request<{ instanceAdmin: boolean }>(server.url, 'GET', '/api/v1/me', {
      token: member.token,
    });
    expect(asAdmin.body.instanceAdmin).toBe(true);
    expect(asMember.body.instanceAdmin).toBe(false);
  });

  it('lets the instance admin (the first user) scale the server runner, and no one else', async () => {
    const refused = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      '/api/v1/runners/scale',
      {
        token: member.token,
        json: { slots: 4 },
      },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');

    const scaled = await request<{ runners: RunnerView[] }>(
      server.url,
      'POST',
      '/api/v1/runners/scale',
      {
        token: admin.token,
        json: { slots: 3 },
      },
    );
    expect(scaled.status).toBe(200);
    expect(scaled.body.runners.find((r) => r.kind === 'in_process')?.capacity).toBe(3);

    const invalid = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      '/api/v1/runners/scale',
      {
        token: admin.token,
        json: { slots: -1 },
      },
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation_failed');
  });

  it('makes runner tokens that work on the runner API only, until the runner is removed', async () => {
    const made = await request<{ id: string; token: string }>(
      server.url,
      'POST',
      '/api/v1/runners/tokens',
      {
        token: member.token,
        json: { name: 'member host' },
      },
    );
    expect(made.status).toBe(201);
    const beat = await request(server.url, 'POST', '/api/v1/runner/heartbeat', {
      token: made.body.token,
      json: { capacity: 2 },
    });
    expect(beat.status).toBe(200);
    expect(beat.body).toEqual({ runnerId: made.body.id });
    expect((await runners(member)).find((r) => r.id === made.body.id)).toMatchObject({
      kind: 'remote',
      status: 'idle',
      capacity: 2,
    });
    // A runner token is no user credential, and a user token is no runner credential.
    expect(
      (await request(server.url, 'GET', '/api/v1/repos', { token: made.body.token })).status,
    ).toBe(401);
    const asUser = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      '/api/v1/runner/claim',
      {
        token: member.token,
        json: {},
      },
    );
    expect(asUser.status).toBe(401);

    expect(
      (
        await request(server.url, 'DELETE', `/api/v1/runners/${made.body.id}`, {
          token: member.token,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await request(server.url, 'DELETE', `/api/v1/runners/${made.body.id}`, {
          token: admin.token,
        })
      ).status,
    ).toBe(204);
    const after = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      '/api/v1/runner/heartbeat',
      {
        token: made.body.token,
        json: { capacity: 2 },
      },
    );
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('invalid_credentials');
  });

  it("keeps a runner to its own runs: another runner's run is not found", async () => {
    const a = await request<{ token: string }>(server.url, 'POST', '/api/v1/runners/tokens', {
      token: admin.token,
      json: { name: 'a' },
    });
    const response = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      '/api/v1/runner/runs/run_someone_elses/events',
      { token: a.body.token, json: { events: [{ type: 'error', code: 'x', message: 'y' }] } },
    );
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('run_not_found');
    const finish = await request<{ accepted: boolean }>(
      server.url,
      'POST',
      '/api/v1/runner/runs/run_x/finish',
      {
        token: a.body.token,
        json: { status: 'succeeded' },
      },
    );
    expect(finish.body).toEqual({ accepted: false });
  });

  it("keeps a runner to its own sandboxes: another runner's task is not found", async () => {
    const repo = await pushedRepo(server.url, admin, 'held-elsewhere');
    const { task } = await startTask(server.url, admin, {
      repoId: repo.id,
      prompt: 'in the server runner',
      commands: ['true'],
    });
    await waitForStatus(server.url, admin, task.id, ['in_review']);
    const runs = await request<{ runs: { sandboxId: string }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}/runs`,
      { token: admin.token },
    );
    const sandboxId = runs.body.runs[0]?.sandboxId ?? '';
    expect(sandboxId).not.toBe('');
    const b = await request<{ token: string }>(server.url, 'POST', '/api/v1/runners/tokens', {
      token: admin.token,
      json: { name: 'b' },
    });
    const asked = await request<{ tasks: Record<string, string> }>(
      server.url,
      'POST',
      '/api/v1/runner/sandboxes/tasks',
      { token: b.body.token, json: { sandboxIds: [sandboxId] } },
    );
    expect(asked.status).toBe(200);
    expect(asked.body.tasks).toEqual({});
    const grant = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      `/api/v1/runner/tasks/${task.id}/snapshot-grant`,
      { token: b.body.token, json: { sandboxId } },
    );
    expect(grant.status).toBe(404);
    expect(grant.body.error.code).toBe('task_not_found');
    const record = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      `/api/v1/runner/tasks/${task.id}/snapshot`,
      { token: b.body.token, json: { sandboxId, sha: 'a'.repeat(40) } },
    );
    expect(record.status).toBe(404);
    const badSha = await request(server.url, 'POST', `/api/v1/runner/tasks/${task.id}/snapshot`, {
      token: b.body.token,
      json: { sandboxId, sha: 'not-a-sha' },
    });
    expect(badSha.status).toBe(400);
  });
});
