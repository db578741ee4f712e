import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { tasks, trajectorySteps } from '../src/db/schema.ts';
import { startServer } from '../src/server.ts';
import { HttpRunnerBackend } from '../src/runner/http-backend.ts';
import { Runner } from '../src/runner/runner.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { tunnelToLucid } from '../src/sandbox/local/lucid-tunnel.ts';
import { startFakeLlm } from './fakes/llm/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { hostProcessArgs } from './support/processes.ts';
import { pushedRepo, startTask, stdoutOf, taskEvents, waitForStatus } from './support/tasks.ts';
import { freePort, onPostgres, startTestServer, type TestServer } from './support/test-server.ts';

const bin = fileURLToPath(new URL('../bin/lucid.js', import.meta.url));
const LEASE_MS = 1_500;
const SERVER_KEY = 'sk-ant-server-only-0123456789';

let server: TestServer;
let admin: TestUser;
let runnerToken: string;
const children: ChildProcess[] = [];
const dirs: string[] = [];

/**
 * Starts `lucid runner` as its own process, with local sandboxes in a folder of its own; the token
 * goes in LUCID_RUNNER_TOKEN, or in a file (`--token-file`) when `tokenFile` is set.
 */
async function startRunner(
  serverUrl: string,
  token = runnerToken,
  env: Record<string, string> = {},
  { tokenFile = false } = {},
) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-runner-'));
  dirs.push(dataDir);
  const file = path.join(dataDir, 'runner-token');
  if (tokenFile) await writeFile(file, `${token}\n`, { mode: 0o600 });
  const child = spawn(
    process.execPath,
    [
      bin,
      'runner',
      '--server',
      serverUrl,
      '--slots',
      '1',
      ...(tokenFile ? ['--token-file', file] : []),
    ],
    {
      env: {
        PATH: process.env.PATH,
        HOME: dataDir,
        LUCID_SANDBOX: 'local',
        LUCID_DATA_DIR: dataDir,
        ...(tokenFile ? {} : { LUCID_RUNNER_TOKEN: token }),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  children.push(child);
  return { child, dataDir, output: () => output };
}

async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  await once(child, 'exit');
}

async function runnerIdOf(
  taskId: string,
  user: TestUser,
  baseUrl = server.url,
): Promise<string | null> {
  const runs = await request<{ runs: { runnerId: string | null; status: string }[] }>(
    baseUrl,
    'GET',
    `/api/v1/tasks/${taskId}/runs`,
    { token: user.token },
  );
  return runs.body.runs[0]?.runnerId ?? null;
}

/** Waits until the runners list shows the named runner with the status. */
async function waitForRunner(baseUrl: string, user: TestUser, name: string, status: string) {
  for (let i = 0; i < 200; i++) {
    const list = await request<{ runners: { name: string; status: string }[] }>(
      baseUrl,
      'GET',
      '/api/v1/runners',
      { token: user.token },
    );
    if (list.body.runners.some((r) => r.name === name && r.status === status)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`runner ${name} never became ${status}`);
}

beforeAll(async () => {
  server = await startTestServer({ runner: { slots: 0, leaseMs: LEASE_MS } });
  admin = await signUp(server.url);
  const made = await request<{ token: string }>(server.url, 'POST', '/api/v1/runners/tokens', {
    token: admin.token,
    json: { name: 'test host' },
  });
  expect(made.status).toBe(201);
  runnerToken = made.body.token;
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => kill(child)));
});
afterAll(async () => {
  await server.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('a runner on another host', () => {
  it('does an agent task whose model calls go through the gateway with the run token', async () => {
    const llm = await startFakeLlm();
    const port = await freePort();
    const withModels = await startTestServer({
      env: {
        PORT: String(port),
        LUCID_PUBLIC_URL: `http://127.0.0.1:${port}`,
        ANTHROPIC_API_KEY: SERVER_KEY,
        ANTHROPIC_BASE_URL: `${llm.url}/v1`,
      },
      runner: { slots: 0, leaseMs: LEASE_MS },
    });
    try {
      const owner = await signUp(withModels.url);
      const made = await request<{ token: string }>(
        withModels.url,
        'POST',
        '/api/v1/runners/tokens',
        { token: owner.token, json: { name: 'agent host' } },
      );
      const runner = await startRunner(withModels.url, made.body.token);
      const repo = await pushedRepo(withModels.url, owner, 'remote-agent');
      llm.script([
        {
          toolCalls: [{ name: 'write_file', input: { path: 'remote.txt', content: 'remote\n' } }],
          usage: { inputTokens: 200, outputTokens: 20 },
        },
        {
          toolCalls: [{ name: 'finish', input: { summary: 'Wrote remote.txt.' } }],
          usage: { inputTokens: 250, outputTokens: 10 },
        },
      ]);
      const created = await request<{ task: { id: string; branch: string } }>(
        withModels.url,
        'POST',
        '/api/v1/tasks',
        {
          token: owner.token,
          json: {
            repoId: repo.id,
            prompt: 'Write remote.txt',
            model: 'anthropic/claude-sonnet-4-5',
          },
        },
      );
      expect(created.status).toBe(201);
      const done = await waitForStatus(withModels.url, owner, created.body.task.id, [
        'in_review',
        'failed',
      ]);
      expect(done.status, runner.output()).toBe('in_review');
      const events = await taskEvents(withModels.url, owner, created.body.task.id);
      expect(events.filter((e) => e.type === 'git.push')).toMatchObject([
        { branch: created.body.task.branch },
      ]);
      expect(
        events.filter((e) => e.type === 'usage').map((e) => [e.inputTokens, e.outputTokens]),
      ).toEqual([
        [200, 20],
        [250, 10],
      ]);

      // Its steps are kept through the runner API, for a later run on the task.
      const steps = await withModels.database.db
        .select()
        .from(trajectorySteps)
        .where(eq(trajectorySteps.taskId, created.body.task.id));
      expect(steps.map((step) => step.messages.map((m) => m.role))).toEqual([
        ['assistant', 'tool'],
        ['assistant', 'tool'],
      ]);

      const calls = llm.requests.filter((r) => r.protocol === 'anthropic');
      expect(calls).toHaveLength(2);
      expect(calls.every((r) => r.headers['x-api-key'] === SERVER_KEY)).toBe(true);
      expect(JSON.stringify(calls)).not.toContain('lucid_run_');
      const environ = await readFile(`/proc/${runner.child.pid}/environ`, 'utf8');
      expect(environ).not.toContain(SERVER_KEY);
      expect(environ).not.toMatch(/ANTHROPIC|OPENAI/);
    } finally {
      await withModels.close();
      await llm.close();
    }
  });

  it('joins with its token, takes work and shows in the runners list', async () => {
    const runner = await startRunner(server.url);
    const repo = await pushedRepo(server.url, admin, 'remote-work');
    const { task } = await startTask(server.url, admin, {
      repoId: repo.id,
      prompt: 'remote',
      commands: ['echo from-remote', 'git rev-parse --abbrev-ref HEAD'],
    });
    const done = await waitForStatus(server.url, admin, task.id, ['in_review', 'failed']);
    expect(done.status, runner.output()).toBe('in_review');
    const out = stdoutOf(await taskEvents(server.url, admin, task.id));
    expect(out).toContain('from-remote');
    expect(out).toContain(task.branch);
    // Its token came by environment: no user of this host reads it in `ps`.
    expect(await hostProcessArgs()).not.toContain(runnerToken);

    const list = await request<{ runners: { name: string; kind: string; status: string }[] }>(
      server.url,
      'GET',
      '/api/v1/runners',
      { token: admin.token },
    );
    expect(list.body.runners).toContainEqual(
      expect.objectContaining({ name: 'test host', kind: 'remote', status: 'idle' }),
    );
  });

  it('snapshots an idle sandbox through the runner API, and a later run restores it', async () => {
    const runner = await startRunner(server.url, runnerToken, {
      LUCID_SANDBOX_IDLE_MINUTES: '0.01',
      LUCID_SANDBOX_WARM_POOL: '1',
    });
    const repo = await pushedRepo(server.url, admin, 'remote-snapshot');
    const { task } = await startTask(server.url, admin, {
      repoId: repo.id,
      prompt: 'leave a file',
      commands: ['echo wip > wip.txt'],
    });
    const done = await waitForStatus(server.url, admin, task.id, ['in_review', 'failed']);
    expect(done.status, runner.output()).toBe('in_review');
    for (let i = 0; i < 300; i++) {
      const [row] = await server.database.db.select().from(tasks).where(eq(tasks.id, task.id));
      if (row?.sandboxId === null && row.snapshotRef) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [row] = await server.database.db.select().from(tasks).where(eq(tasks.id, task.id));
    expect(row?.snapshotRef, runner.output()).toMatch(/^[0-9a-f]{40}$/);
    expect(row?.sandboxId).toBeNull();

    const again = await request(server.url, 'POST', `/api/v1/tasks/${task.id}/runs`, {
      token: admin.token,
      json: { commands: ['git status --porcelain; cat wip.txt'] },
    });
    expect(again.status).toBe(201);
    await waitForStatus(server.url, admin, task.id, ['in_review', 'failed']);
    const out = stdoutOf(await taskEvents(server.url, admin, task.id));
    expect(out, runner.output()).toContain('?? wip.txt\nwip\n');
  });

  it('stops and removes its sandboxes once it is removed from the server', async () => {
    const made = await request<{ id: string; token: string }>(
      server.url,
      'POST',
      '/api/v1/runners/tokens',
      { token: admin.token, json: { name: 'leaving host' } },
    );
    const runner = await startRunner(server.url, made.body.token, { LUCID_SANDBOX_WARM_POOL: '1' });
    const repo = await pushedRepo(server.url, admin, 'remote-leaving');
    const { task } = await startTask(server.url, admin, {
      repoId: repo.id,
      prompt: 'keep a sandbox',
      commands: ['echo kept > kept.txt'],
    });
    const done = await waitForStatus(server.url, admin, task.id, ['in_review', 'failed']);
    expect(done.status, runner.output()).toBe('in_review');
    // Each sandbox is a folder named by its id (the driver's own files start with a dot).
    const sandboxes = async () =>
      (await readdir(path.join(runner.dataDir, 'sandboxes'))).filter((name) =>
        name.startsWith('sbx_'),
      );
    // The task's sandbox, kept for a follow-up, and the warm pool's.
    expect((await sandboxes()).length, runner.output()).toBeGreaterThanOrEqual(1);

    const removed = await request(server.url, 'DELETE', `/api/v1/runners/${made.body.id}`, {
      token: admin.token,
    });
    expect(removed.status).toBe(204);
    const [code] = (await once(runner.child, 'exit')) as [number];
    expect(code).not.toBe(0);
    expect(runner.output()).toContain('no longer knows this runner');
    expect(await sandboxes()).toEqual([]);
  });

  it('claims a run queued while its claim waits, long before its poll interval', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'lucid-sbx-'));
    dirs.push(root);
    const driver = new LocalDriver({ root });
    const tunnel = await tunnelToLucid(server.url);
    driver.reachLucid(tunnel.endpoint);
    const backend = new HttpRunnerBackend(server.url, runnerToken);
    const runner = new Runner({
      backend,
      driver,
      runnerId: (await backend.heartbeat(1)).runnerId,
      sandbox: {
        limits: { memoryBytes: 512 * 1024 * 1024, cpus: 1, pids: 256 },
        network: 'bridge',
      },
      slots: 1,
      idleMs: 60 * 60_000,
      warmPool: 0,
      // Were the runner to sleep between claims, it would not ask again within the test.
      pollMs: 60 * 60_000,
      log: { info: () => {}, warn: () => {}, error: () => {} },
    });
    try {
      runner.start();
      const repo = await pushedRepo(server.url, admin, 'long-poll');
      for (let i = 0; i < 600 && server.queuedRuns.waiting === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(server.queuedRuns.waiting).toBe(1);
      // The claim has waited longer than a lease when the run comes: the lease begins at the
      // claim, not when the runner asked, and the run outlasts a lease on its renewals.
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 500));
      const { task } = await startTask(server.url, admin, {
        repoId: repo.id,
        prompt: 'queued while the runner waits',
        commands: ['echo claimed at once', `sleep ${(2 * LEASE_MS) / 1000}`],
      });
      const done = await waitForStatus(server.url, admin, task.id, ['in_review', 'todo', 'failed']);
      expect(stdoutOf(await taskEvents(server.url, admin, task.id))).toContain('claimed at once');
      expect(done.status).toBe('in_review');
      const runs = await request<{ runs: { status: string; attempt: number }[] }>(
        server.url,
        'GET',
        `/api/v1/tasks/${task.id}/runs`,
        { token: admin.token },
      );
      expect(runs.body.runs.map((r) => [r.status, r.attempt])).toEqual([['succeeded', 1]]);
    } finally {
      await runner.stop();
      await tunnel.close();
    }
  });

  it('refuses a wrong token with a clear message', async () => {
    const runner = await startRunner(server.url, 'lucid_rnr_not-a-token', {}, { tokenFile: true });
    const [code] = (await once(runner.child, 'exit')) as [number];
    expect(code).not.toBe(0);
    expect(runner.output()).toContain('The runner token is not valid');
  });

  it('recovers a run when its runner is killed mid-run: another runner finishes it', async () => {
    const first = await startRunner(server.url);
    const repo = await pushedRepo(server.url, admin, 'recovered');
    const { task } = await startTask(server.url, admin, {
      repoId: repo.id,
      prompt: 'survive',
      commands: ['sleep 2', 'echo finished'],
    });
    await waitForStatus(server.url, admin, task.id, ['running']);
    const firstRunner = await runnerIdOf(task.id, admin);
    await kill(first.child);

    const second = await request<{ token: string }>(server.url, 'POST', '/api/v1/runners/tokens', {
      token: admin.token,
      json: { name: 'second host' },
    });
    await startRunner(server.url, second.body.token);
    const done = await waitForStatus(server.url, admin, task.id, ['in_review', 'failed'], 45_000);
    expect(done.status).toBe('in_review');
    const runs = await request<{ runs: { status: string; attempt: number }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}/runs`,
      { token: admin.token },
    );
    expect(runs.body.runs.map((r) => [r.status, r.attempt])).toEqual([
      ['succeeded', 2],
      ['interrupted', 1],
    ]);
    expect(await runnerIdOf(task.id, admin)).not.toBe(firstRunner);
    expect(stdoutOf(await taskEvents(server.url, admin, task.id))).toContain('finished');
  });
});

describe.skipIf(onPostgres)('a server restart', () => {
  it('the runner reconnects by itself and takes work again', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-restart-'));
    dirs.push(dataDir);
    const config = loadConfig({
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LUCID_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
    });
    const pgliteDir = path.join(dataDir, 'db');
    const start = async () =>
      startServer({
        config,
        database: await openDatabase({ pgliteDir }),
        authRateLimit: false,
        runner: { slots: 0, leaseMs: LEASE_MS },
      });
    let live = await start();
    const owner = await signUp(live.url);
    const token = (
      await request<{ token: string }>(live.url, 'POST', '/api/v1/runners/tokens', {
        token: owner.token,
        json: { name: 'survivor' },
      })
    ).body.token;
    const runner = await startRunner(live.url, token);
    const repo = await pushedRepo(live.url, owner, 'restart');
    await waitForRunner(live.url, owner, 'survivor', 'idle');

    await live.close();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    live = await start();
    try {
      const { task } = await startTask(live.url, owner, {
        repoId: repo.id,
        prompt: 'after restart',
        commands: ['echo back'],
      });
      const done = await waitForStatus(
        live.url,
        owner,
        task.id,
        ['in_review', 'failed'],
        30_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\nrunner said:\n${runner.output()}`);
      });
      expect(done.status, runner.output()).toBe('in_review');
    } finally {
      await live.close();
    }
  });
});
