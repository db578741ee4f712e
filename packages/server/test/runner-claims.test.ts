/**
 * A runner with several free slots and several runs waiting claims them side by side: each claim's
 * answer (Lucid's copy read, a token minted) is not waited for by the next claim.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClaimedRun } from '@lucid/contracts';
import { Runner } from '../src/runner/runner.ts';
import type { RunnerBackend } from '../src/runner/backend.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { tunnelToLucid } from '../src/sandbox/local/lucid-tunnel.ts';
import { signUp, type TestUser } from './support/client.ts';
import { runnerBackendOn } from './support/runner-backend.ts';
import { pushedRepo, startTask, taskEvents, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

describe('a runner with runs waiting for several slots', () => {
  let server: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    server = await startTestServer();
    user = await signUp(server.url);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('claims them side by side, each claim asking without waiting for work', async () => {
    const repo = await pushedRepo(server.url, user, 'side-by-side');
    const taskIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { task } = await startTask(server.url, user, {
        repoId: repo.id,
        prompt: `run ${i}`,
        commands: ['true'],
      });
      taskIds.push(task.id);
    }

    // The database backend, seen claim by claim: each claim is held until another is under way
    // beside it (or a while has passed), so claims one after another never overlap.
    const backend = runnerBackendOn(server, 'rnr_side_by_side');
    let underWay = 0;
    let most = 0;
    const waits: (boolean | undefined)[] = [];
    let overlap!: () => void;
    const overlapped = new Promise<void>((resolve) => (overlap = resolve));
    const seen: RunnerBackend = Object.assign(Object.create(backend) as RunnerBackend, {
      async claim(signal?: AbortSignal, options?: { wait?: boolean }): Promise<ClaimedRun | null> {
        underWay += 1;
        most = Math.max(most, underWay);
        waits.push(options?.wait);
        if (underWay > 1) overlap();
        try {
          await Promise.race([overlapped, new Promise((resolve) => setTimeout(resolve, 2_000))]);
          return await backend.claim();
        } finally {
          underWay -= 1;
        }
      },
    });
    const driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) });
    const tunnel = await tunnelToLucid(server.url);
    driver.reachLucid(tunnel.endpoint);
    const runner = new Runner({
      backend: seen,
      driver,
      runnerId: 'rnr_side_by_side',
      sandbox: {
        limits: { memoryBytes: 512 * 1024 * 1024, cpus: 1, pids: 256 },
        network: 'bridge',
      },
      slots: 4,
      idleMs: 60 * 60_000,
      warmPool: 0,
      pollMs: 60 * 60_000,
      log: quiet,
    });
    runner.start();
    try {
      for (const id of taskIds) {
        const done = await waitForStatus(server.url, user, id, ['in_review', 'todo', 'failed']);
        const errors = (await taskEvents(server.url, user, id)).filter((e) => e.type === 'error');
        expect(done.status, JSON.stringify(errors)).not.toBe('failed');
      }
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(4);
      // The claim loop's own claim may wait for work; the claims beside it never do.
      expect(waits.filter((wait) => wait === false).length).toBeGreaterThan(0);
    } finally {
      await runner.stop();
      await tunnel.close();
    }
  });
});
