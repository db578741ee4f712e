import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tasks } from '../src/db/schema.ts';
import { DbRunnerBackend } from '../src/control/runner-backend.ts';
import { Runner } from '../src/runner/runner.ts';
import type { SandboxDriver, SandboxSpec } from '../src/sandbox/driver.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { dockerTestEngine } from './sandbox/docker-engine.ts';
import {
  pushedRepo,
  startTask,
  taskEvents,
  waitForStatus,
  type EventView,
} from './support/tasks.ts';
import { sandboxDrivers, startRunnerServer, type RunnerServer } from './support/runner-server.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const engine = await dockerTestEngine('runner-lifecycle.test.ts');

const SPEC: Omit<SandboxSpec, 'labels'> = {
  limits: { memoryBytes: 512 * 1024 * 1024, cpus: 1, pids: 256 },
  network: 'bridge',
};

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** Prints what an exact restore must keep: status, staged diff, files, history, branch. */
const INSPECT =
  'echo "== status"; git status --porcelain; echo "== staged"; git diff --cached --name-status; ' +
  'echo "== files"; cat README.md untracked.txt; echo "== log"; git log --format=%s; ' +
  'echo "== branch"; git symbolic-ref --short HEAD';

/** Polls until `check` holds; fails with `what` after a while. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never happened: ${what}`);
}

function stdoutOfRun(events: EventView[], runId: string): string {
  return events
    .filter((e) => e.runId === runId && e.type === 'tool.output' && e.stream === 'stdout')
    .map((e) => String(e.chunk))
    .join('');
}

/** The output of a run's last command. */
function lastOutput(events: EventView[], runId: string): string {
  const out = stdoutOfRun(events, runId);
  return out.slice(out.lastIndexOf('== status'));
}

const drivers = sandboxDrivers(engine);

describe.each(drivers)('sandbox lifecycle on the $name driver', ({ skip, make }) => {
  let server: TestServer;
  let driver: SandboxDriver;
  let user: TestUser;
  let runnerId: string;
  let bed: RunnerServer;

  beforeAll(async () => {
    if (skip) return;
    driver = await make();
    bed = await startRunnerServer(driver, { runner: { idleMs: 1, warmPool: 1 } });
    ({ server, user, runnerId } = bed);
  });
  afterAll(async () => {
    if (skip) return;
    await bed.close();
  });

  async function taskRow(taskId: string) {
    const [row] = await server.database.db.select().from(tasks).where(eq(tasks.id, taskId));
    return row;
  }

  async function runsOf(taskId: string) {
    return (
      await request<{ runs: { id: string; status: string; sandboxId: string | null }[] }>(
        server.url,
        'GET',
        `/api/v1/tasks/${taskId}/runs`,
        { token: user.token },
      )
    ).body.runs;
  }

  async function liveSandboxes(): Promise<string[]> {
    return (await driver.list({ 'lucid.runner': runnerId })).map((info) => info.id);
  }

  async function reaped(taskId: string, sandboxId: string): Promise<void> {
    await until(`the sandbox of ${taskId} is reaped`, async () => {
      const row = await taskRow(taskId);
      return (
        row?.sandboxId === null &&
        row.snapshotRef !== null &&
        !(await liveSandboxes()).includes(sandboxId)
      );
    });
  }

  async function queueRun(taskId: string, commands: string[]): Promise<string> {
    const queued = await request<{ id: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${taskId}/runs`,
      { token: user.token, json: { commands } },
    );
    expect(queued.status, JSON.stringify(queued.body)).toBe(201);
    return queued.body.id;
  }

  it.skipIf(skip !== null)(
    'takes a sandbox made before the run from the warm pool, and refills the pool',
    async () => {
      let pooled: string[] = [];
      await until('the pool holds a ready sandbox', async () => {
        pooled = (await driver.list({ 'lucid.pool': '1', 'lucid.runner': runnerId })).map(
          (info) => info.id,
        );
        // Listed as soon as the engine has it; taken only once the pool has it ready.
        return pooled.length === 1 && Boolean(server.runner?.pooledSandboxes.has(pooled[0]!));
      });
      const repo = await pushedRepo(server.url, user, `pool-${Date.now()}`);
      const { task } = await startTask(server.url, user, {
        repoId: repo.id,
        prompt: 'pooled',
        commands: ['cat README.md'],
      });
      await waitForStatus(server.url, user, task.id, ['in_review'], 90_000);
      const [run] = await runsOf(task.id);
      expect(run?.sandboxId).toBe(pooled[0]);
      await until('the pool is refilled', async () =>
        (await driver.list({ 'lucid.pool': '1', 'lucid.runner': runnerId })).some(
          (info) => info.id !== pooled[0],
        ),
      );
    },
    120_000,
  );

  it.skipIf(skip !== null)(
    'reaps an idle sandbox into a snapshot, never during a run, and restores it exactly',
    async () => {
      const repo = await pushedRepo(server.url, user, `reap-${Date.now()}`);
      const { task, run } = await startTask(server.url, user, {
        repoId: repo.id,
        prompt: 'leave work behind',
        commands: [
          'echo local > local.txt && git add local.txt && git commit --quiet -m "local commit"',
          'echo changed >> README.md && echo new > untracked.txt',
          'echo staged > staged.txt && git add staged.txt',
          'echo started; while [ ! -f go ]; do sleep 0.05; done; rm go',
          INSPECT,
        ],
      });
      await until('the run has started its waiting command', async () =>
        stdoutOfRun(await taskEvents(server.url, user, task.id), run.id).includes('started'),
      );
      const [running] = await runsOf(task.id);
      const sandboxId = running?.sandboxId ?? '';
      expect(await server.runner?.reapIdle()).not.toContain(sandboxId);
      expect(await liveSandboxes()).toContain(sandboxId);
      await (await driver.get(sandboxId))?.exec(['touch', '/workspace/go']);
      await waitForStatus(server.url, user, task.id, ['in_review'], 90_000);
      const before = lastOutput(await taskEvents(server.url, user, task.id), run.id);
      expect(before).toContain('M README.md');
      expect(before).toContain('?? untracked.txt');
      expect(before).toContain('A  staged.txt');
      expect(before).toContain('local commit');

      await reaped(task.id, sandboxId);
      const snapshot = (await taskRow(task.id))?.snapshotRef ?? '';
      expect(snapshot).toMatch(/^[0-9a-f]{40}$/);

      const again = await queueRun(task.id, [INSPECT]);
      await waitForStatus(server.url, user, task.id, ['in_review', 'failed'], 90_000);
      const events = await taskEvents(server.url, user, task.id);
      expect(
        events.filter((e) => e.type === 'error'),
        stdoutOfRun(events, again),
      ).toEqual([]);
      expect(lastOutput(events, again)).toBe(before);
      const [second] = await runsOf(task.id);
      expect(second?.id).toBe(again);
      expect(second?.sandboxId).not.toBe(sandboxId);
    },
    180_000,
  );

  it.skipIf(skip !== null)(
    'restores a workspace whose branch has no commit yet',
    async () => {
      const repo = await request<{ id: string }>(server.url, 'POST', '/api/v1/repos', {
        token: user.token,
        json: { name: `empty-${Date.now()}` },
      });
      const { task, run } = await startTask(server.url, user, {
        repoId: repo.body.id,
        prompt: 'start from nothing',
        commands: [
          'echo a > README.md && git add README.md && echo b > untracked.txt',
          INSPECT + '; git rev-parse -q --verify HEAD || echo unborn',
        ],
      });
      await waitForStatus(server.url, user, task.id, ['in_review'], 90_000);
      const before = lastOutput(await taskEvents(server.url, user, task.id), run.id);
      expect(before).toContain('A  README.md');
      expect(before).toContain('unborn');
      const [first] = await runsOf(task.id);
      await reaped(task.id, first?.sandboxId ?? '');

      const again = await queueRun(task.id, [
        INSPECT + '; git rev-parse -q --verify HEAD || echo unborn',
      ]);
      await waitForStatus(server.url, user, task.id, ['in_review', 'failed'], 90_000);
      const events = await taskEvents(server.url, user, task.id);
      expect(lastOutput(events, again)).toBe(before);
    },
    180_000,
  );

  it.skipIf(skip !== null)(
    'removes at start the sandboxes of the runner that no task uses, and keeps the others',
    async () => {
      const other = await startTestServer({
        runner: { driver, slots: 1, leaseMs: 5_000, pollMs: 100, warmPool: 0 },
      });
      const otherId = (await readFile(path.join(other.dataDir, 'runner-id'), 'utf8')).trim();
      try {
        const owner = await signUp(other.url);
        const repo = await pushedRepo(other.url, owner, 'orphans');
        const { task } = await startTask(other.url, owner, {
          repoId: repo.id,
          prompt: 'keep me',
          commands: ['true'],
        });
        await waitForStatus(other.url, owner, task.id, ['in_review'], 90_000);
        const [used] = (
          await request<{ runs: { sandboxId: string }[] }>(
            other.url,
            'GET',
            `/api/v1/tasks/${task.id}/runs`,
            { token: owner.token },
          )
        ).body.runs;
        const orphan = await driver.create({ ...SPEC, labels: { 'lucid.runner': otherId } });
        const foreign = await driver.create({ ...SPEC, labels: { 'lucid.runner': 'rnr_else' } });

        const restarted = new Runner({
          backend: new DbRunnerBackend({
            db: other.database.db,
            runnerId: otherId,
            leaseMs: 5_000,
            maxRuntimeMs: 60_000,
            sandboxUrl: other.url,
            gatewayUrl: `${other.url}/llm`,
            agentMaxSteps: 50,
          }),
          driver,
          runnerId: otherId,
          sandbox: SPEC,
          slots: 0,
          idleMs: 60 * 60_000,
          warmPool: 0,
          log: quiet,
        });
        restarted.start();
        try {
          await until('the orphan is removed', async () =>
            (await driver.list({ 'lucid.runner': otherId })).every((i) => i.id !== orphan.id),
          );
          const left = (await driver.list({ 'lucid.runner': otherId })).map((i) => i.id);
          expect(left).toContain(used?.sandboxId);
          expect(await driver.get(foreign.id)).not.toBeNull();
        } finally {
          await restarted.stop();
          await foreign.remove();
        }
      } finally {
        await other.close();
        for (const info of await driver.list({ 'lucid.runner': otherId })) {
          await (await driver.get(info.id))?.remove();
        }
      }
    },
    180_000,
  );
});

describe('queueing another run of a task', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('needs the member role, refuses a second pending run and hides other users’ tasks', async () => {
    const owner = await signUp(server.url);
    const stranger = await signUp(server.url, 'Stranger');
    const repo = await pushedRepo(server.url, owner, 'queued');
    const { task } = await startTask(server.url, owner, {
      repoId: repo.id,
      prompt: 'queue more',
      commands: [],
    });
    const hidden = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      `/api/v1/tasks/${task.id}/runs`,
      { token: stranger.token, json: { commands: ['true'] } },
    );
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe('task_not_found');

    const pending = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      `/api/v1/tasks/${task.id}/runs`,
      { token: owner.token, json: { commands: ['true'] } },
    );
    expect(pending.status).toBe(409);

    const runs = await request<{ runs: { id: string }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}/runs`,
      { token: owner.token },
    );
    const first = runs.body.runs[0]?.id ?? '';
    expect(
      (await request(server.url, 'POST', `/api/v1/runs/${first}/cancel`, { token: owner.token }))
        .status,
    ).toBe(200);
    const queued = await request<{ id: string; status: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${task.id}/runs`,
      { token: owner.token, json: { commands: ['echo again'] } },
    );
    expect(queued.status).toBe(201);
    expect(queued.body.status).toBe('queued');
    expect(
      (
        await request(server.url, 'POST', `/api/v1/tasks/${task.id}/runs`, {
          token: owner.token,
          json: { commands: 'nope' },
        })
      ).status,
    ).toBe(400);
  });
});
