/**
 * Safety before every push, on the fake GitHub: the scripted agent's change is scanned for secrets
 * and held to its workspace's policy before Lucid pushes it upstream. A planted AWS key blocks the
 * push (no branch, no pull request upstream), the finding shows its file and line with the secret
 * masked, no event holds the secret, and allowing it once lets the next push through while a
 * later different secret is blocked again; a protected path blocks the push, and a land of the
 * branch by hand; a refused command is
 * refused to the agent; a clean change passes every check.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { startFakeGitHub } from './fakes/github/index.ts';
import { shellTrajectory, startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { linkedRepo, waitForEvent } from './support/forges.ts';
import { git } from './support/git.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { taskEvents, type EventView } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

type FakeGitHub = Awaited<ReturnType<typeof startFakeGitHub>>;

const ACCESS_KEY_ID = 'AKIA4QZR7T2LMXW9PD3K';
const SECRET_ACCESS_KEY = 'Zr8kQ2vN5xT1bW7yL0pH3sD9fG6jC4aM2eR8uK1n';
const OTHER_SECRET_KEY = 'Hq3mV8cX1nB6zT4wR9yK2pL7sD5fJ0gA3eU8iO6t';

/** A shell command writing `file` with an AWS key pair, the secrets never whole in the command. */
function plantKeys(file: string, secretKey: string): string {
  const half = Math.floor(secretKey.length / 2);
  return (
    `printf 'import os\\n\\naws_access_key_id = "AKIA%s"\\naws_secret_access_key = "%s%s"\\n' ` +
    `'${ACCESS_KEY_ID.slice(4)}' '${secretKey.slice(0, half)}' '${secretKey.slice(half)}' > ${file}`
  );
}

describe('safety before every push', () => {
  let fake: FakeGitHub;
  let llm: FakeLlm;
  let server: TestServer;
  let user: TestUser;
  let repo: { id: string; fullName: string; upstreamPath: string };
  let workspaceId: string;

  beforeAll(async () => {
    fake = await startFakeGitHub();
    llm = await startFakeLlm();
    server = await startTestServer({
      env: {
        ...fake.env(),
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-safety-test-0123456789',
          openai: 'sk-openai-safety-test-0123456789',
          compatible: 'sk-local-safety-test-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      },
      runner: {
        driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
        slots: 1,
        pollMs: 100,
        warmPool: 0,
      },
    });
    user = await signUp(server.url);
    const account = fake.addUser({ login: 'alice' });
    repo = await linkedRepo(server, {
      user,
      provider: 'github',
      fake,
      login: account.login,
      token: account.token,
      name: 'safe-app',
    });
    const stored = await request<{ workspaceId: string }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}`,
      { token: user.token },
    );
    workspaceId = stored.body.workspaceId;
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await llm?.close();
    await fake?.close();
  });

  async function newTask(prompt: string, command: string): Promise<{ id: string; branch: string }> {
    llm.script(shellTrajectory([{ command }], 'Done.', { finishTool: 'finish' }));
    const created = await request<{ task: { id: string; branch: string } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      { token: user.token, json: { repoId: repo.id, prompt } },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.task;
  }

  async function followUp(taskId: string, command: string): Promise<void> {
    llm.script(shellTrajectory([{ command }], 'Done again.', { finishTool: 'finish' }));
    const posted = await request<{ delivery: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${taskId}/messages`,
      { token: user.token, json: { text: 'One more change' } },
    );
    expect(posted.body.delivery, JSON.stringify(posted.body)).toBe('new_run');
  }

  async function setPolicy(policy: {
    protectedPaths?: string[];
    maxFilesChanged?: number | null;
    refusedCommands?: string[];
  }): Promise<void> {
    const put = await request(
      server.url,
      'PUT',
      `/api/v1/workspaces/${workspaceId}/safety-policy`,
      {
        token: user.token,
        json: { protectedPaths: [], maxFilesChanged: null, refusedCommands: [], ...policy },
      },
    );
    expect(put.status, JSON.stringify(put.body)).toBe(200);
  }

  /** Waits for the task's status event saying its push was blocked (the job has ended then). */
  const blockedStatus = (taskId: string, after = 0) =>
    waitForEvent(
      server,
      user,
      taskId,
      (e) =>
        e.seq > after && e.type === 'task.status' && String(e.reason).startsWith('Push blocked'),
    );

  const upstreamHas = async (branch: string) =>
    (await git(['rev-parse', '--verify', `refs/heads/${branch}`], repo.upstreamPath)).code === 0;
  const checksOf = (events: EventView[], after = 0) =>
    events.filter((e) => e.type === 'safety.check' && e.seq > after);

  it('passes every check on a clean change, and the request opens', async () => {
    const task = await newTask('Add a greeting', 'echo hello > hello.txt');
    await waitForEvent(server, user, task.id, (e) => e.type === 'pr.opened');
    const checks = checksOf(await taskEvents(server.url, user, task.id));
    expect(checks.map((c) => [c.check, c.result])).toEqual([
      ['secrets', 'passed'],
      ['protected_paths', 'passed'],
      ['max_files', 'passed'],
    ]);
    expect(await upstreamHas(task.branch)).toBe(true);
  });

  it('blocks a planted AWS key: nothing reaches GitHub; allowed once, the next push opens the request', async () => {
    const task = await newTask(
      'Add the cloud settings',
      plantKeys('settings.py', SECRET_ACCESS_KEY),
    );
    const status = await blockedStatus(task.id);
    expect(String(status.reason)).toContain('settings.py:');
    expect(await upstreamHas(task.branch)).toBe(false);
    expect(fake.pulls(repo.fullName).filter((p) => p.head === task.branch)).toHaveLength(0);

    const events = await taskEvents(server.url, user, task.id);
    const [secrets] = checksOf(events);
    expect(secrets).toMatchObject({ check: 'secrets', result: 'blocked' });
    const findings = secrets!.findings as {
      file: string;
      line: number;
      rule: string;
      masked: string;
      fingerprint: string;
    }[];
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: 'settings.py', line: 3, masked: 'AKIA…' }),
        expect.objectContaining({ file: 'settings.py', line: 4, masked: 'Zr8k…' }),
      ]),
    );
    const everything = JSON.stringify(events);
    expect(everything).not.toContain(SECRET_ACCESS_KEY);
    expect(everything).not.toContain(ACCESS_KEY_ID);
    const task1 = await request<{ status: string }>(server.url, 'GET', `/api/v1/tasks/${task.id}`, {
      token: user.token,
    });
    expect(task1.body.status).toBe('in_review');

    const allowed = await request(server.url, 'POST', `/api/v1/tasks/${task.id}/safety/allow`, {
      token: user.token,
      json: { fingerprints: findings.map((f) => f.fingerprint) },
    });
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
    await waitForEvent(server, user, task.id, (e) => e.type === 'pr.opened');
    expect(await upstreamHas(task.branch)).toBe(true);
    const audit = await request<{ entries: { action: string; metadata: unknown }[] }>(
      server.url,
      'GET',
      `/api/v1/audit?workspaceId=${workspaceId}`,
      { token: user.token },
    );
    const entry = audit.body.entries.find((e) => e.action === 'safety.allow');
    expect(entry).toBeDefined();
    expect(JSON.stringify(entry)).not.toContain(SECRET_ACCESS_KEY);

    // A later, different secret is blocked again.
    const seen = (await taskEvents(server.url, user, task.id)).at(-1)!.seq;
    await followUp(task.id, plantKeys('more_settings.py', OTHER_SECRET_KEY));
    await blockedStatus(task.id, seen);
    const later = checksOf(await taskEvents(server.url, user, task.id), seen);
    const laterSecrets = later.find((c) => c.check === 'secrets')!;
    expect(laterSecrets.result).toBe('blocked');
    const laterFindings = laterSecrets.findings as { file: string; allowed?: boolean }[];
    expect(laterFindings.filter((f) => !f.allowed).map((f) => f.file)).toContain(
      'more_settings.py',
    );
    expect(laterFindings.filter((f) => f.file === 'settings.py').every((f) => f.allowed)).toBe(
      true,
    );
    expect(
      (await git(['show', `refs/heads/${task.branch}:more_settings.py`], repo.upstreamPath)).code,
    ).not.toBe(0);
  });

  it("blocks a change to a path the workspace's policy protects", async () => {
    await setPolicy({ protectedPaths: ['.github/workflows/'] });
    try {
      const task = await newTask(
        'Speed up the CI',
        'mkdir -p .github/workflows && echo "on: push" > .github/workflows/ci.yml',
      );
      const status = await blockedStatus(task.id);
      expect(String(status.reason)).toContain('.github/workflows/ci.yml');
      const checks = checksOf(await taskEvents(server.url, user, task.id));
      expect(checks.find((c) => c.check === 'protected_paths')).toMatchObject({
        result: 'blocked',
        paths: ['.github/workflows/ci.yml'],
      });
      expect(checks.find((c) => c.check === 'secrets')).toMatchObject({ result: 'passed' });
      expect(await upstreamHas(task.branch)).toBe(false);
      expect(fake.pulls(repo.fullName).filter((p) => p.head === task.branch)).toHaveLength(0);

      // Landing the branch by hand is checked the same way.
      const landed = await request<{ error: { code: string; message: string } }>(
        server.url,
        'POST',
        `/api/v1/repos/${repo.id}/land`,
        { token: user.token, json: { branch: task.branch, pr: true } },
      );
      expect(landed.status).toBe(409);
      expect(landed.body.error.code).toBe('safety_blocked');
      expect(landed.body.error.message).toContain('.github/workflows/ci.yml');
      expect(await upstreamHas(task.branch)).toBe(false);
    } finally {
      await setPolicy({});
    }
  });

  it("refuses to the agent a command the workspace's policy refuses", async () => {
    await setPolicy({ refusedCommands: ['curl *'] });
    try {
      const task = await newTask(
        'Fetch the data',
        'echo ran > fetched.txt && curl -s http://127.0.0.1:9/data',
      );
      const result = await waitForEvent(server, user, task.id, (e) => e.type === 'tool.result');
      expect(result.ok).toBe(false);
      await waitForEvent(
        server,
        user,
        task.id,
        (e) => e.type === 'task.status' && (e.status === 'todo' || e.status === 'in_review'),
      );
      // The run has ended, so the model has been told (the event comes before that request).
      const told = llm.requests.filter((r) =>
        (JSON.stringify(r.body) ?? '').includes('safety policy refuses commands matching `curl *`'),
      );
      expect(told.length).toBeGreaterThan(0);
      const events = await taskEvents(server.url, user, task.id);
      expect(events.some((e) => e.type === 'file.changed' && e.path === 'fetched.txt')).toBe(false);
    } finally {
      await setPolicy({});
    }
  });
});
