import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerDriver } from '../src/sandbox/docker/docker-driver.ts';
import { SANDBOX_NETWORK } from '../src/sandbox/docker/sandbox-network.ts';
import { request, type TestUser } from './support/client.ts';
import { dockerTestEngine } from './sandbox/docker-engine.ts';
import { pushedRepo, startTask, stdoutOf, taskEvents, waitForStatus } from './support/tasks.ts';
import { startRunnerServer, type RunnerServer } from './support/runner-server.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const engine = await dockerTestEngine('runner-docker.test.ts');

describe.skipIf(engine.skipReason !== null)('a run in a docker sandbox', () => {
  let server: TestServer;
  let user: TestUser;
  let driver: DockerDriver;
  let bed: RunnerServer;

  beforeAll(async () => {
    driver = new DockerDriver({ docker: engine.docker, image: engine.image });
    bed = await startRunnerServer(driver, { runner: { warmPool: 0 } });
    ({ server, user } = bed);
  });
  // The tasks' sandboxes are kept for follow-ups; nothing follows here.
  afterAll(() => bed.close());

  // The server listens for sandboxes before any is made: on an engine whose bridges are down while
  // no container runs (Debian's Engine 20.10, freshly started), the first task clones all the same.
  it('clones through the sandbox endpoint, pushes its branch and nothing else', async () => {
    const repo = await pushedRepo(server.url, user, 'in-docker');
    const { task, run } = await startTask(server.url, user, {
      repoId: repo.id,
      prompt: 'commit in a container',
      commands: [
        'id -u',
        'git rev-parse --abbrev-ref HEAD',
        'echo made-in-docker > made.txt && git add made.txt && git commit --quiet -m "made in docker"',
        'git push --quiet origin HEAD',
        'if git push origin HEAD:main 2>err.txt; then echo pushed-main; else echo refused-main; fi; cat err.txt',
        'env',
      ],
    });
    const done = await waitForStatus(server.url, user, task.id, ['in_review', 'failed'], 90_000);
    const events = await taskEvents(server.url, user, task.id);
    expect(
      done.status,
      JSON.stringify(events.filter((e) => e.type === 'error' || e.stream === 'stderr')),
    ).toBe('in_review');
    const out = stdoutOf(events);
    expect(out).toMatch(/^1000$/m);
    expect(out).toContain(task.branch);
    expect(out).toContain('refused-main');
    expect(out).toContain(`may push only to ${task.branch}`);
    expect(out).not.toContain(user.token);
    expect(out).not.toContain(server.config.encryptionKey.toString('base64'));

    const branches = await request<{ branches: { name: string }[] }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}/branches`,
      { token: user.token },
    );
    expect(branches.body.branches.map((b) => b.name).sort()).toEqual(['main', task.branch].sort());
    const commits = await request<{ commits: { subject: string }[] }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}/commits?ref=${encodeURIComponent(task.branch)}`,
      { token: user.token },
    );
    expect(commits.body.commits[0]?.subject).toBe('made in docker');

    const runs = await request<{ runs: { id: string; sandboxId: string }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}/runs`,
      { token: user.token },
    );
    expect(runs.body.runs[0]?.id).toBe(run.id);
    const sandbox = await driver.get(runs.body.runs[0]?.sandboxId ?? '');
    expect(sandbox?.labels).toMatchObject({ 'lucid.task': task.id, 'lucid.run': run.id });
    const container = await engine.docker.getContainer(sandbox?.id ?? '').inspect();
    expect(Object.keys(container.NetworkSettings.Networks)).toEqual([SANDBOX_NETWORK]);
  });
});

/**
 * The engine's socket, passed through a relay of the test's own that can be stopped and started
 * again: the engine, as the server sees it, goes away and comes back.
 */
async function engineRelay(target: string): Promise<{
  socketPath: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}> {
  const folder = await mkdtemp(path.join(tmpdir(), 'lucid-engine-relay-'));
  const socketPath = path.join(folder, 'docker.sock');
  const open = new Set<Socket>();
  let server: Server | null = null;
  const start = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const engine = createConnection(target);
        open.add(client).add(engine);
        client.pipe(engine).pipe(client);
        const end = () => {
          client.destroy();
          engine.destroy();
          open.delete(client);
          open.delete(engine);
        };
        client.on('error', end).on('close', end);
        engine.on('error', end).on('close', end);
      });
      server.listen(socketPath, resolve);
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy();
      if (server) server.close(() => resolve());
      else resolve();
      server = null;
    });
  await start();
  return {
    socketPath,
    stop,
    start,
    close: async () => {
      await stop();
      await rm(folder, { recursive: true, force: true });
    },
  };
}

describe.skipIf(engine.skipReason !== null)('readiness with the docker driver', () => {
  it('checks the engine: ready while it answers, 503 naming it when it does not', async () => {
    const modem = engine.docker.modem as { socketPath?: unknown };
    const target = typeof modem.socketPath === 'string' ? modem.socketPath : '/var/run/docker.sock';
    const relay = await engineRelay(target);
    const driver = new DockerDriver({
      docker: new Docker({ socketPath: relay.socketPath }),
      image: engine.image,
    });
    const server = await startTestServer({ runner: { driver, slots: 1, warmPool: 0 } });
    try {
      const ready = await request<{ status: string; checks: Record<string, unknown> }>(
        server.url,
        'GET',
        '/readyz',
      );
      expect(ready.status).toBe(200);
      expect(ready.body.checks.engine).toEqual({ ok: true });

      await relay.stop();
      const down = await request<{
        status: string;
        checks: Record<string, { ok: boolean; error?: string }>;
      }>(server.url, 'GET', '/readyz');
      expect(down.status).toBe(503);
      expect(down.body.status).toBe('not_ready');
      expect(down.body.checks.database).toEqual({ ok: true });
      expect(down.body.checks.engine?.ok).toBe(false);
      expect(down.body.checks.engine?.error).toContain(
        `The Docker engine did not answer: no answer from unix://${relay.socketPath}`,
      );
      await relay.start();
    } finally {
      await server.close();
      await relay.close();
    }
  });
});
