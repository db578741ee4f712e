/**
 * Attacks on the runner API and on sandboxes across users: a user with a runner token of their
 * own goes after another user's run and sandbox; a runner cut off from the server must let its run
 * go; the sandboxes of a runner that is gone are removed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, runners, runTokens, tasks } from '../src/db/schema.ts';
import { HttpRunnerBackend } from '../src/runner/http-backend.ts';
import { registerInProcessRunner } from '../src/control/runners.ts';
import { Runner } from '../src/runner/runner.ts';
import { DockerDriver } from '../src/sandbox/docker/docker-driver.ts';
import type { SandboxSpec } from '../src/sandbox/driver.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { tunnelToLucid } from '../src/sandbox/local/lucid-tunnel.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { dockerTestEngine } from './sandbox/docker-engine.ts';
import { pushedRepo, startTask, stdoutOf, taskEvents, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const engine = await dockerTestEngine('runner-trust.test.ts');

const SPEC: Omit<SandboxSpec, 'labels'> = {
  limits: { memoryBytes: 512 * 1024 * 1024, cpus: 1, pids: 256 },
  network: 'bridge',
};

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** Polls until `check` holds; fails with `what` after a while. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1800; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never happened: ${what}`);
}

/** A call to the runner API with a runner token, as `lucid runner` makes it. */
function runnerCall<T = unknown>(baseUrl: string, token: string, pathname: string, json: unknown) {
  return request<T>(baseUrl, 'POST', `/api/v1/runner${pathname}`, { token, json });
}

async function runnerToken(baseUrl: string, user: TestUser, name: string) {
  const made = await request<{ id: string; token: string }>(
    baseUrl,
    'POST',
    '/api/v1/runners/tokens',
    { token: user.token, json: { name } },
  );
  expect(made.status).toBe(201);
  return made.body;
}

interface RunView {
  id: string;
  status: string;
  attempt: number;
  sandboxId: string | null;
}

async function runsOf(baseUrl: string, user: TestUser, taskId: string): Promise<RunView[]> {
  const runs = await request<{ runs: RunView[] }>(baseUrl, 'GET', `/api/v1/tasks/${taskId}/runs`, {
    token: user.token,
  });
  return runs.body.runs;
}

interface RunnerListView {
  runners: { id: string; name: string; kind: string; currentRuns: string[] }[];
  pool: { busy: number; queuedRuns: number };
}

async function runnersSeenBy(baseUrl: string, user: TestUser): Promise<RunnerListView> {
  return (await request<RunnerListView>(baseUrl, 'GET', '/api/v1/runners', { token: user.token }))
    .body;
}

describe.skipIf(engine.skipReason !== null)('another user with a runner token', () => {
  let server: TestServer;
  let driver: DockerDriver;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let bobRunner: { id: string; token: string };
  let aliceTask: string;
  let aliceRun: string;
  let aliceSandbox: string;

  beforeAll(async () => {
    driver = new DockerDriver({ docker: engine.docker, image: engine.image });
    server = await startTestServer({
      runner: {
        driver,
        slots: 2,
        leaseMs: 15_000,
        maxRuntimeMs: 600_000,
        pollMs: 100,
        warmPool: 0,
      },
    });
    admin = await signUp(server.url, 'Admin');
    alice = await signUp(server.url, 'Alice');
    bob = await signUp(server.url, 'Bob');
    await runnerToken(server.url, alice, 'alice host');
    bobRunner = await runnerToken(server.url, bob, 'bob host');

    const repo = await pushedRepo(server.url, alice, 'alice-repo');
    const { task, run } = await startTask(server.url, alice, {
      repoId: repo.id,
      prompt: 'keep a secret',
      commands: [
        'echo secret-of-alice > secret.txt',
        'echo started; while [ ! -f go ]; do sleep 0.05; done; rm go',
      ],
    });
    aliceTask = task.id;
    aliceRun = run.id;
    await until("alice's run waits in its sandbox", async () =>
      stdoutOf(await taskEvents(server.url, alice, aliceTask)).includes('started'),
    );
    aliceSandbox = (await runsOf(server.url, alice, aliceTask))[0]?.sandboxId ?? '';
    expect(aliceSandbox).toMatch(/^[0-9a-f]{64}$/);
  }, 300_000);
  afterAll(async () => {
    if (!server) return;
    const runnerId = (await server.database.db.select().from(runners)).find(
      (row) => row.kind === 'in_process',
    )?.id;
    await server.close();
    for (const info of await driver.list({ 'lucid.runner': runnerId ?? 'none' })) {
      await (await driver.get(info.id))?.remove();
    }
  });

  it("cannot touch alice's run: renew, events, draft, inbox, sandbox and finish are refused", async () => {
    const asBob = (pathname: string, json: unknown) =>
      runnerCall<{ error?: { code: string } }>(server.url, bobRunner.token, pathname, json);
    for (const [pathname, json] of [
      [`/runs/${aliceRun}/lease`, {}],
      [`/runs/${aliceRun}/events`, { events: [{ type: 'error', code: 'x', message: 'forged' }] }],
      [`/runs/${aliceRun}/draft`, { offset: 0, text: 'forged' }],
      [`/runs/${aliceRun}/inbox`, { after: 0 }],
      [`/runs/${aliceRun}/sandbox`, { sandboxId: aliceSandbox }],
    ] as const) {
      const refused = await asBob(pathname, json);
      expect(refused.status, pathname).toBe(404);
      expect(refused.body.error?.code, pathname).toBe('run_not_found');
    }
    const finish = await runnerCall(server.url, bobRunner.token, `/runs/${aliceRun}/finish`, {
      status: 'failed',
      errorCode: 'forged',
      errorMessage: 'forged',
    });
    expect(finish.body).toEqual({ accepted: false });

    // Alice's run goes on, its token alive, and ends as her runner reports it.
    expect((await runsOf(server.url, alice, aliceTask))[0]?.status).toBe('running');
    const tokens = await server.database.db
      .select()
      .from(runTokens)
      .where(eq(runTokens.runId, aliceRun));
    expect(tokens).toHaveLength(1);
    const events = await taskEvents(server.url, alice, aliceTask);
    expect(JSON.stringify(events)).not.toContain('forged');
    await (await driver.get(aliceSandbox))?.exec(['touch', '/workspace/go']);
    expect(
      (await waitForStatus(server.url, alice, aliceTask, ['in_review', 'failed'], 120_000)).status,
    ).toBe('in_review');
  }, 300_000);

  it("does not see alice's runs nor her runner; an instance admin sees all", async () => {
    const { task } = await startTask(server.url, alice, {
      repoId: (await pushedRepo(server.url, alice, 'alice-busy')).id,
      prompt: 'busy',
      commands: ['echo busy; while [ ! -f go ]; do sleep 0.05; done; rm go'],
    });
    await until('the run is busy in its sandbox', async () =>
      stdoutOf(await taskEvents(server.url, alice, task.id)).includes('busy'),
    );
    const [run] = await runsOf(server.url, alice, task.id);
    const seenByBob = await runnersSeenBy(server.url, bob);
    const seenByAlice = await runnersSeenBy(server.url, alice);
    const seenByAdmin = await runnersSeenBy(server.url, admin);
    await (await driver.get(run?.sandboxId ?? ''))?.exec(['touch', '/workspace/go']);
    await waitForStatus(server.url, alice, task.id, ['in_review', 'failed'], 120_000);

    expect(JSON.stringify(seenByBob)).not.toContain(run?.id);
    expect(seenByBob.runners.map((r) => (r.kind === 'in_process' ? 'server' : r.name))).toEqual([
      'server',
      'bob host',
    ]);
    expect(seenByBob.pool.busy).toBe(0);
    expect(seenByAlice.runners.find((r) => r.kind === 'in_process')?.currentRuns).toContain(
      run?.id,
    );
    expect(seenByAlice.runners.map((r) => r.name)).not.toContain('bob host');
    expect(seenByAdmin.runners.map((r) => r.name)).toEqual(
      expect.arrayContaining(['alice host', 'bob host']),
    );
    expect(seenByAdmin.runners.find((r) => r.kind === 'in_process')?.currentRuns).toContain(
      run?.id,
    );
  }, 300_000);

  it("cannot take alice's sandboxes by full id, id prefix or name, to read them or run in them", async () => {
    // A sandbox no task holds any more: its task was deleted, the runner's next sweep removes it.
    const left = await startTask(server.url, alice, {
      repoId: (await pushedRepo(server.url, alice, 'alice-left')).id,
      prompt: 'left behind',
      commands: ['echo secret-of-alice > secret.txt'],
    });
    await waitForStatus(server.url, alice, left.task.id, ['in_review'], 120_000);
    const leftSandbox = (await runsOf(server.url, alice, left.task.id))[0]?.sandboxId ?? '';
    expect(
      (await request(server.url, 'DELETE', `/api/v1/tasks/${left.task.id}`, { token: alice.token }))
        .status,
    ).toBe(204);

    const scale = (slots: number) =>
      request(server.url, 'POST', '/api/v1/runners/scale', {
        token: admin.token,
        json: { slots },
      });
    expect((await scale(0)).status).toBe(200);
    const repo = await pushedRepo(server.url, bob, 'bob-repo');
    const { task } = await startTask(server.url, bob, {
      repoId: repo.id,
      prompt: 'take over',
      commands: ['true'],
    });
    const claim = await runnerCall<{ run: { id: string }; task: { sandboxId: string | null } }>(
      server.url,
      bobRunner.token,
      '/claim',
      {},
    );
    expect(claim.status).toBe(200);
    const bobRun = claim.body.run.id;
    const attach = (sandboxId: string) =>
      runnerCall<{ error?: { code: string } }>(
        server.url,
        bobRunner.token,
        `/runs/${bobRun}/sandbox`,
        {
          sandboxId,
        },
      );

    const byId = await attach(aliceSandbox);
    expect(byId.status).toBe(409);
    expect(byId.body.error?.code).toBe('conflict');

    const name = (await engine.docker.getContainer(aliceSandbox).inspect()).Name.replace(/^\//, '');
    expect(await driver.get(aliceSandbox.slice(0, 12))).toBeNull();
    expect(await driver.get(name)).toBeNull();
    for (const handle of [aliceSandbox.slice(0, 12), name, leftSandbox]) {
      expect((await attach(handle)).status).toBe(204);
      const read = await request<{ content?: string; error?: { code: string } }>(
        server.url,
        'GET',
        `/api/v1/tasks/${task.id}/files/content?path=secret.txt`,
        { token: bob.token },
      );
      expect(read.status, handle).toBe(404);
      expect(read.body.error?.code).toBe('file_not_found');
      const listed = await request<{ source: string; entries: { name: string }[] }>(
        server.url,
        'GET',
        `/api/v1/tasks/${task.id}/files?path=`,
        { token: bob.token },
      );
      expect(listed.body.source).toBe('branch');
      expect(listed.body.entries.map((entry) => entry.name)).not.toContain('secret.txt');
      const diff = await request<{ source: string; diff: string }>(
        server.url,
        'GET',
        `/api/v1/tasks/${task.id}/diff`,
        { token: bob.token },
      );
      expect(diff.body.source).toBe('branch');
      expect(diff.body.diff).not.toContain('secret-of-alice');
    }

    // Bob's next run goes to the server's runner, which never works in a sandbox Bob put there
    // (the last one: the sandbox alice's deleted task left).
    const finished = await runnerCall(server.url, bobRunner.token, `/runs/${bobRun}/finish`, {
      status: 'succeeded',
    });
    expect(finished.body).toEqual({ accepted: true });
    const queued = await request(server.url, 'POST', `/api/v1/tasks/${task.id}/runs`, {
      token: bob.token,
      json: { commands: ['cat /workspace/secret.txt 2>/dev/null || echo no-secret-here'] },
    });
    expect(queued.status).toBe(201);
    expect((await scale(2)).status).toBe(200);
    await waitForStatus(server.url, bob, task.id, ['in_review', 'failed'], 240_000);
    const out = stdoutOf(await taskEvents(server.url, bob, task.id));
    expect(out).toContain('no-secret-here');
    expect(out).not.toContain('secret-of-alice');
    const [second] = await runsOf(server.url, bob, task.id);
    expect([aliceSandbox, leftSandbox]).not.toContain(second?.sandboxId);

    // Alice's sandbox is untouched and still hers.
    const kept = await driver.get(aliceSandbox);
    expect((await kept?.exec(['cat', '/workspace/secret.txt']))?.stdout).toBe('secret-of-alice\n');
    const [aliceRow] = await server.database.db.select().from(tasks).where(eq(tasks.id, aliceTask));
    expect(aliceRow?.sandboxId).toBe(aliceSandbox);
    const asked = await runnerCall<{ tasks: Record<string, string> }>(
      server.url,
      bobRunner.token,
      '/sandboxes/tasks',
      { sandboxIds: [aliceSandbox] },
    );
    expect(asked.body.tasks).toEqual({});
  }, 400_000);
});

/** A TCP relay to a server that can be cut, as a network partition cuts a runner off. */
async function partitionable(
  target: URL,
): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let cut = false;
  const relay: Server = createServer((client) => {
    if (cut) return client.destroy();
    const upstream = createConnection(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const address = relay.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise((resolve) => relay.close(() => resolve())),
  };
}

describe('a runner cut off from the server', () => {
  it('stops its run once its lease runs out, and the run token cannot push after recovery', async () => {
    const server = await startTestServer({ runner: { slots: 0, leaseMs: 4_000 } });
    const root = await mkdtemp(path.join(tmpdir(), 'lucid-sbx-'));
    const relay = await partitionable(new URL(server.url));
    const driver = new LocalDriver({ root });
    // The sandbox reaches Lucid's git server on a path of its own, as on a runner's host: the cut
    // is between the runner and the server's API.
    const tunnel = await tunnelToLucid(server.url);
    driver.reachLucid(tunnel.endpoint);
    let runner: Runner | undefined;
    try {
      const user = await signUp(server.url);
      const made = await runnerToken(server.url, user, 'partitioned');
      const backend = new HttpRunnerBackend(relay.url, made.token);
      runner = new Runner({
        backend,
        driver,
        runnerId: (await backend.heartbeat(1)).runnerId,
        sandbox: SPEC,
        slots: 1,
        idleMs: 60 * 60_000,
        warmPool: 0,
        pollMs: 100,
        log: quiet,
      });
      runner.start();
      const repo = await pushedRepo(server.url, user, 'partitioned');
      const { task, run } = await startTask(server.url, user, {
        repoId: repo.id,
        prompt: 'work through a partition',
        commands: [
          'echo work > work.txt && git add work.txt && git commit -qm work',
          'echo started; while [ ! -f go ]; do sleep 0.05; done',
        ],
      });
      await until('the run has started', async () =>
        stdoutOf(await taskEvents(server.url, user, task.id)).includes('started'),
      );
      const sandboxId = (await runsOf(server.url, user, task.id))[0]?.sandboxId ?? '';

      relay.cut();
      const working = runner;
      await until('the runner lets the run go', async () => working.currentRuns.length === 0);
      await until('the server recovers the run', async () =>
        (await runsOf(server.url, user, task.id)).some(
          (r) => r.id === run.id && r.status === 'interrupted',
        ),
      );
      expect(
        await server.database.db.select().from(runTokens).where(eq(runTokens.runId, run.id)),
      ).toEqual([]);
      const sandbox = await driver.get(sandboxId);
      const push = await sandbox?.exec(['git', 'push', 'origin', `HEAD:refs/heads/${task.branch}`]);
      expect(push?.exitCode).not.toBe(0);
      expect(push?.stderr).toMatch(/Authentication|401|could not read/i);
      const branches = await request<{ name: string }[]>(
        server.url,
        'GET',
        `/api/v1/repos/${repo.id}/branches`,
        { token: user.token },
      );
      expect(JSON.stringify(branches.body)).not.toContain(task.branch);
    } finally {
      await runner?.stop();
      await relay.close();
      await tunnel.close();
      await server.close();
      await rm(root, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('the sandboxes of a runner that is gone', () => {
  it.skipIf(engine.skipReason !== null)(
    'are removed after the grace period; those of live or unknown runners are kept',
    async () => {
      const driver = new DockerDriver({ docker: engine.docker, image: engine.image });
      const server = await startTestServer({
        runner: {
          driver,
          slots: 1,
          leaseMs: 15_000,
          pollMs: 100,
          warmPool: 0,
          idleMs: 60 * 60_000,
        },
      });
      const made: string[] = [];
      const sandboxOf = async (runnerId: string) => {
        const sandbox = await driver.create({ ...SPEC, labels: { 'lucid.runner': runnerId } });
        made.push(sandbox.id);
        return sandbox.id;
      };
      const alive = async (id: string) => (await driver.get(id)) !== null;
      try {
        const admin = await signUp(server.url);
        const deleted = await runnerToken(server.url, admin, 'deleted host');
        const live = await runnerToken(server.url, admin, 'live host');
        await runnerCall(server.url, live.token, '/heartbeat', { capacity: 1 });
        const { db } = server.database;
        const oldServerRunner = 'rnr_olddatadirrunner00';
        await registerInProcessRunner(db, { id: oldServerRunner, name: 'old', capacity: 1 });

        const ofDeleted = await sandboxOf(deleted.id);
        const ofLive = await sandboxOf(live.id);
        const ofUnknown = await sandboxOf('rnr_anotherlucidsrunner');
        const ofOldServer = await sandboxOf(oldServerRunner);
        expect(
          (
            await request(server.url, 'DELETE', `/api/v1/runners/${deleted.id}`, {
              token: admin.token,
            })
          ).status,
        ).toBe(204);

        // Within the grace period, nothing goes.
        await server.runner?.reapIdle();
        for (const id of [ofDeleted, ofLive, ofUnknown, ofOldServer])
          expect(await alive(id)).toBe(true);

        // A day and more later: the deleted runner's and the silent one's go, the others stay.
        await db
          .update(auditLog)
          .set({ at: sql`now() - interval '2 days'` })
          .where(eq(auditLog.targetId, deleted.id));
        await db
          .update(runners)
          .set({ lastHeartbeatAt: sql`now() - interval '2 days'` })
          .where(eq(runners.id, oldServerRunner));
        const removed = await server.runner?.reapIdle();
        expect(removed).toEqual(expect.arrayContaining([ofDeleted, ofOldServer]));
        expect(await alive(ofDeleted)).toBe(false);
        expect(await alive(ofOldServer)).toBe(false);
        expect(await alive(ofLive)).toBe(true);
        expect(await alive(ofUnknown)).toBe(true);

        // A runner that is no instance admin's learns nothing of others' runners.
        const user = await signUp(server.url);
        const mine = await runnerToken(server.url, user, 'user host');
        const askedByUser = await runnerCall<{ gone: string[] }>(
          server.url,
          mine.token,
          '/runners/gone',
          {
            runnerIds: [deleted.id, oldServerRunner],
          },
        );
        expect(askedByUser.body).toEqual({ gone: [] });
        const askedByAdmin = await runnerCall<{ gone: string[] }>(
          server.url,
          live.token,
          '/runners/gone',
          {
            runnerIds: [deleted.id, oldServerRunner, 'rnr_anotherlucidsrunner', live.id],
          },
        );
        expect(askedByAdmin.body.gone.sort()).toEqual([deleted.id, oldServerRunner].sort());
      } finally {
        await server.close();
        for (const id of made) await (await driver.get(id))?.remove();
      }
    },
    300_000,
  );

  it('are kept while a run of that runner may still be in flight', async () => {
    const server = await startTestServer({ runner: { slots: 0, leaseMs: 60_000 } });
    try {
      const admin = await signUp(server.url);
      const holder = await runnerToken(server.url, admin, 'holder');
      const asker = await runnerToken(server.url, admin, 'asker');
      await startTask(server.url, admin, {
        repoId: (await pushedRepo(server.url, admin, 'held')).id,
        prompt: 'held',
        commands: ['true'],
      });
      expect((await runnerCall(server.url, holder.token, '/claim', {})).status).toBe(200);
      const { db } = server.database;
      await db
        .update(runners)
        .set({ lastHeartbeatAt: sql`now() - interval '2 days'` })
        .where(eq(runners.id, holder.id));
      await request(server.url, 'DELETE', `/api/v1/runners/${holder.id}`, { token: admin.token });
      await db
        .update(auditLog)
        .set({ at: sql`now() - interval '2 days'` })
        .where(eq(auditLog.targetId, holder.id));
      const asked = await runnerCall<{ gone: string[] }>(server.url, asker.token, '/runners/gone', {
        runnerIds: [holder.id],
      });
      expect(asked.body).toEqual({ gone: [] });
    } finally {
      await server.close();
    }
  }, 300_000);
});
