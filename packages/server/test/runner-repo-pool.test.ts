import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerDriver } from '../src/sandbox/docker/docker-driver.ts';
import type { SandboxDriver } from '../src/sandbox/driver.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { dockerTestEngine } from './sandbox/docker-engine.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { authedUrl, gitOk, makeLocalRepo } from './support/git.ts';
import { startTask, stdoutOf, taskEvents, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const engine = await dockerTestEngine('runner-repo-pool.test.ts');

const drivers: { name: string; skip: string | null; make: () => Promise<SandboxDriver> }[] = [
  {
    name: 'local',
    skip: null,
    make: async () => new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
  },
  {
    name: 'docker',
    skip: engine.skipReason,
    make: async () => new DockerDriver({ docker: engine.docker, image: engine.image }),
  },
];

/** Polls until `check` holds; fails with `what` after a while. */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
}

describe.each(drivers)("a repository's warm pool on the $name driver", ({ skip, make }) => {
  let server: TestServer;
  let driver: SandboxDriver;
  let user: TestUser;
  let runnerId: string;

  beforeAll(async () => {
    if (skip) return;
    driver = await make();
    server = await startTestServer({
      runner: { driver, slots: 2, leaseMs: 5_000, maxRuntimeMs: 120_000, warmPool: 1 },
    });
    runnerId = (await readFile(path.join(server.dataDir, 'runner-id'), 'utf8')).trim();
    user = await signUp(server.url);
  });
  afterAll(async () => {
    if (skip) return;
    await server.close();
    for (const info of await driver.list({ 'lucid.runner': runnerId })) {
      await (await driver.get(info.id))?.remove();
    }
  });

  /** A repository with one commit, and the local clone that pushed it. */
  async function repository(name: string) {
    const made = await request<{ id: string; cloneUrl: string }>(
      server.url,
      'POST',
      '/api/v1/repos',
      { token: user.token, json: { name } },
    );
    expect(made.status).toBe(201);
    const local = await makeLocalRepo({ 'README.md': `# ${name}\n` });
    const url = authedUrl(made.body.cloneUrl, user.token);
    await gitOk(['push', '--quiet', url, 'main'], local);
    return { id: made.body.id, local, url };
  }

  /** Runs a task of commands on the repository to its end; answers its output and sandbox. */
  async function runToEnd(repoId: string, commands: string[]) {
    const { task } = await startTask(server.url, user, { repoId, prompt: 'look', commands });
    const done = await waitForStatus(server.url, user, task.id, ['in_review', 'todo', 'failed']);
    const events = await taskEvents(server.url, user, task.id);
    expect(done.status, JSON.stringify(events.filter((e) => e.type === 'error'))).not.toBe(
      'failed',
    );
    const runs = await request<{ runs: { sandboxId: string | null }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}/runs`,
      { token: user.token },
    );
    return { output: stdoutOf(events), sandboxId: runs.body.runs[0]?.sandboxId ?? null };
  }

  /**
   * Runs a task on the repository that holds its run (and so its token, which primes the pool)
   * until the repository's pool is ready; answers the ids pooled for it then.
   */
  async function warmUp(repoId: string): Promise<Set<string>> {
    const runner = server.runner!;
    const { task } = await startTask(server.url, user, {
      repoId,
      prompt: 'warm up',
      commands: ['while [ ! -f go ]; do sleep 0.05; done'],
    });
    let sandboxId: string | null = null;
    await until('the run has its sandbox', async () => {
      const runs = await request<{ runs: { sandboxId: string | null }[] }>(
        server.url,
        'GET',
        `/api/v1/tasks/${task.id}/runs`,
        { token: user.token },
      );
      sandboxId = runs.body.runs[0]?.sandboxId ?? null;
      return sandboxId !== null;
    });
    await until("the repository's pool is ready", () => runner.pooledFor(repoId).size > 0);
    const pooled = runner.pooledFor(repoId);
    await (await driver.get(sandboxId!))!.writeFile('/workspace/go', '');
    await waitForStatus(server.url, user, task.id, ['in_review', 'todo', 'failed']);
    return pooled;
  }

  it.skipIf(skip !== null)(
    'gives a task a sandbox holding its repository, which still sees a commit pushed just before',
    async () => {
      const a = await repository('warm-a');
      const pooled = await warmUp(a.id);

      await gitOk(['commit', '--allow-empty', '-qm', 'pushed right before the task'], a.local);
      await gitOk(['push', '--quiet', a.url, 'main'], a.local);
      const second = await runToEnd(a.id, ['git log -1 --format=%s']);
      expect(pooled.has(second.sandboxId ?? '')).toBe(true);
      expect(second.output).toContain('pushed right before the task');
    },
  );

  it.skipIf(skip !== null)(
    "holds the default branch's files before a task takes it, and the task finds its branch clean",
    async () => {
      const c = await repository('tree-c');
      const pooled = await warmUp(c.id);
      const [id] = [...pooled];
      const sandbox = await driver.get(id!);
      const before = await sandbox!.exec(['cat', 'README.md'], { cwd: '/workspace' });
      expect(before.stdout).toBe('# tree-c\n');

      const taken = await runToEnd(c.id, [
        'git symbolic-ref --short HEAD',
        'git status --porcelain | wc -l',
        'cat README.md',
      ]);
      expect(taken.sandboxId).toBe(id);
      expect(taken.output).toMatch(/^lucid\/\S+$/m);
      expect(taken.output).toMatch(/^0$/m);
      expect(taken.output).toContain('# tree-c');
    },
  );

  it.skipIf(skip !== null)(
    "never gives a sandbox holding repository A to a task on repository B, nor A's objects",
    async () => {
      const runner = server.runner!;
      const a = await repository('kept-a');
      await gitOk(['commit', '--allow-empty', '-qm', 'only in A'], a.local);
      await gitOk(['push', '--quiet', a.url, 'main'], a.local);
      const onlyInA = (await gitOk(['rev-parse', 'HEAD'], a.local)).trim();
      const pooledForA = await warmUp(a.id);

      const b = await repository('kept-b');
      const onB = await runToEnd(b.id, [
        `git cat-file -e ${onlyInA} 2>/dev/null && echo "A's commit is here" || echo "no trace of A"`,
        'git log --all --format=%s',
      ]);
      expect(pooledForA.has(onB.sandboxId ?? '')).toBe(false);
      expect(onB.output).toContain('no trace of A');
      expect(onB.output).not.toContain('only in A');
      expect(runner.pooledFor(b.id).has(onB.sandboxId ?? '')).toBe(false);
    },
  );
});
