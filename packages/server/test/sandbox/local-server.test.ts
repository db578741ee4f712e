/**
 * The local driver as a server picks it from its configuration. Without bubblewrap, `local` and
 * `auto` run no command at all (each run fails saying what to install or set) unless
 * `local-unsafe` is chosen by name.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSandboxConfig } from '../../src/config.ts';
import { selectDriver, UNCONFINED_WARNING } from '../../src/sandbox/select-driver.ts';
import { signUp } from '../support/client.ts';
import { pushedRepo, startTask, taskEvents, waitForStatus } from '../support/tasks.ts';
import { startTestServer } from '../support/test-server.ts';

const NO_ENGINE = new Docker({ socketPath: '/nonexistent/docker.sock' });
const runner = { slots: 1, leaseMs: 3_000, maxRuntimeMs: 60_000, pollMs: 100, warmPool: 0 };

describe('a host without bubblewrap', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-no-bwrap-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  function config(driver: string) {
    return loadSandboxConfig({ LUCID_DATA_DIR: dataDir, LUCID_SANDBOX: driver });
  }

  it('gets a driver that refuses every sandbox from local and auto, saying what to do', async () => {
    for (const choice of ['local', 'auto']) {
      const selected = await selectDriver(config(choice), { bwrap: null, docker: NO_ENGINE });
      expect(selected.refusal).toMatch(/bubblewrap is not installed/);
      expect(selected.refusal).toContain('apt-get install bubblewrap');
      expect(selected.refusal).toContain('LUCID_SANDBOX=local-unsafe');
      await expect(
        selected.driver.create({
          labels: {},
          limits: { memoryBytes: 1024 ** 3, cpus: 1, pids: 64 },
          network: 'none',
        }),
      ).rejects.toThrow(selected.refusal ?? '');
    }
  });

  it('runs commands unconfined only with local-unsafe, and warns', async () => {
    const selected = await selectDriver(config('local-unsafe'), { bwrap: null });
    expect(selected.refusal).toBeNull();
    expect(selected.warnings).toEqual([UNCONFINED_WARNING]);
    expect(selected.driver.isolation).toMatch(
      /^none \(LUCID_SANDBOX=local-unsafe\): .*encryption key/,
    );
  });

  it('fails a task with the reason, and none of its commands runs', async () => {
    const { driver } = await selectDriver(config('local'), { bwrap: null });
    const server = await startTestServer({ runner: { ...runner, driver } });
    const marker = path.join(dataDir, 'ran-unconfined');
    try {
      const user = await signUp(server.url);
      const repo = await pushedRepo(server.url, user, 'refused');
      const { task } = await startTask(server.url, user, {
        repoId: repo.id,
        prompt: 'touch the host',
        commands: [`touch ${marker}`],
      });
      await waitForStatus(server.url, user, task.id, ['failed']);
      const events = await taskEvents(server.url, user, task.id);
      const error = events.find((e) => e.type === 'error');
      expect(String(error?.message)).toContain('bubblewrap is not installed');
      expect(events.filter((e) => e.type === 'tool.call')).toEqual([]);
      expect(existsSync(marker)).toBe(false);
    } finally {
      await server.close();
    }
  });
});
