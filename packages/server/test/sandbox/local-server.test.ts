/**
 * The local driver as a server picks it from its configuration. With bubblewrap, a task's commands
 * run confined: the clone and a fetch go through the sandbox's own network to Lucid's git
 * endpoint, while the data dir, its encryption key, the host's services, link-local addresses and
 * Lucid's REST API stay out of reach. Without bubblewrap, `local` and `auto` run no command at all
 * (each run fails saying what to install or set) unless `local-unsafe` is chosen by name.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSandboxConfig } from '../../src/config.ts';
import { selectDriver, UNCONFINED_WARNING } from '../../src/sandbox/select-driver.ts';
import { signUp, type TestUser } from '../support/client.ts';
import { pushedRepo, startTask, stdoutOf, taskEvents, waitForStatus } from '../support/tasks.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const hasBwrap = existsSync('/usr/bin/bwrap');
const NO_ENGINE = new Docker({ socketPath: '/nonexistent/docker.sock' });
const runner = { slots: 1, leaseMs: 3_000, maxRuntimeMs: 60_000, pollMs: 100, warmPool: 0 };

describe.skipIf(!hasBwrap)('a server whose sandboxes are local, under bubblewrap', () => {
  let server: TestServer;
  let user: TestUser;
  let host: net.Server;
  let hostPort: number;

  beforeAll(async () => {
    server = await startTestServer({ env: { LUCID_SANDBOX: 'local' }, runner });
    user = await signUp(server.url);
    host = net.createServer((socket) => socket.end('host secret\n'));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostPort = (host.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    host.close();
    await server.close();
  });

  it("runs a task whose commands reach Lucid's git endpoint and nothing of the host", async () => {
    const keyFile = path.join(server.dataDir, 'encryption.key');
    const key = (await readFile(keyFile, 'utf8')).trim();
    const { port } = new URL(server.url);
    const repo = await pushedRepo(server.url, user, 'confined');
    const { task } = await startTask(server.url, user, {
      repoId: repo.id,
      prompt: 'try to get out',
      commands: [
        'git fetch origin && echo "fetched $(git ls-remote origin refs/heads/main | wc -l)"',
        `cat ${keyFile} || echo no-key`,
        `ls ${server.dataDir} ${path.join(server.dataDir, 'db')} || echo no-data-dir`,
        `cat /proc/1/root${keyFile} || echo no-key-through-proc`,
        `(exec 3<>/dev/tcp/127.0.0.1/${hostPort} && cat <&3) || echo no-host-service`,
        '(exec 3<>/dev/tcp/169.254.169.254/80 && echo link-local) || echo no-link-local',
        `exec 3<>/dev/tcp/127.0.0.1/${port} && ` +
          "printf 'GET /api/v1/repos HTTP/1.1\\r\\nHost: lucid\\r\\nConnection: close\\r\\n\\r\\n' >&3 && " +
          'cat <&3',
      ],
    });
    const done = await waitForStatus(server.url, user, task.id, ['in_review', 'failed']);
    const events = await taskEvents(server.url, user, task.id);
    expect(done.status, JSON.stringify(events.filter((e) => e.type === 'error'))).toBe('in_review');
    const out = stdoutOf(events);
    expect(out).toContain('fetched 1\n');
    for (const refused of [
      'no-key',
      'no-data-dir',
      'no-key-through-proc',
      'no-host-service',
      'no-link-local',
    ]) {
      expect(out).toContain(`${refused}\n`);
    }
    expect(out).toContain('HTTP/1.1 404');
    expect(out).toContain('Sandboxes reach only the git endpoint and the LLM gateway here.');
    expect(out).not.toContain(key);
    expect(out).not.toContain('host secret');
  });
});

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
