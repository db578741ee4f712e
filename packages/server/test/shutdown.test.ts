/**
 * Graceful shutdown of a real `lucid runner` process: on SIGTERM it stops claiming, lets the run
 * in flight finish within `LUCID_SHUTDOWN_GRACE_MS`, and hands back what is still going when that
 * ends, so that another runner picks it up at once (not when its lease would have lapsed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '@lucid/contracts';
import { request, signUp, type TestUser } from './support/client.ts';
import { pushedRepo, startTask, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const bin = fileURLToPath(new URL('../bin/lucid.js', import.meta.url));
/** Longer than any test here: a run queued again came from a hand-back, never a lapsed lease. */
const LEASE_MS = 120_000;
/** Starts, then waits in its sandbox until the test lets it go on. */
const WAITING = 'touch /tmp/started; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo went on';

let server: TestServer;
let owner: TestUser;
let repoId: string;
const children: ChildProcess[] = [];
const dirs: string[] = [];

interface RunnerProcess {
  child: ChildProcess;
  dataDir: string;
  output: () => string;
}

async function runnerToken(name: string): Promise<string> {
  const made = await request<{ token: string }>(server.url, 'POST', '/api/v1/runners/tokens', {
    token: owner.token,
    json: { name },
  });
  expect(made.status).toBe(201);
  return made.body.token;
}

/** `lucid runner` as its own process, with local sandboxes in a folder of its own. */
async function startRunner(token: string, graceMs: number): Promise<RunnerProcess> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-shutdown-'));
  dirs.push(dataDir);
  const child = spawn(process.execPath, [bin, 'runner', '--server', server.url, '--slots', '2'], {
    env: {
      PATH: process.env.PATH,
      HOME: dataDir,
      LUCID_SANDBOX: 'local',
      LUCID_SANDBOX_WARM_POOL: '0',
      LUCID_DATA_DIR: dataDir,
      LUCID_RUNNER_TOKEN: token,
      LUCID_SHUTDOWN_GRACE_MS: String(graceMs),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  children.push(child);
  return { child, dataDir, output: () => output };
}

/** The `/tmp` of the runner's sandbox whose command has started waiting. */
async function waitingSandbox(runner: RunnerProcess): Promise<string> {
  const root = path.join(runner.dataDir, 'sandboxes');
  for (let i = 0; i < 600; i++) {
    const ids = await readdir(root).catch(() => []);
    for (const id of ids) {
      const tmp = path.join(root, id, 'tmp');
      if (await stat(path.join(tmp, 'started')).catch(() => null)) return tmp;
    }
    if (runner.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no command of the runner started waiting:\n${runner.output()}`);
}

async function waitForOutput(runner: RunnerProcess, text: string): Promise<void> {
  while (!runner.output().includes(text)) {
    if (runner.child.exitCode !== null) throw new Error(`the runner exited:\n${runner.output()}`);
    await once(runner.child.stdout!, 'data');
  }
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  return child.exitCode;
}

async function runsOf(taskId: string): Promise<Run[]> {
  const answer = await request<{ runs: Run[] }>(server.url, 'GET', `/api/v1/tasks/${taskId}/runs`, {
    token: owner.token,
  });
  return answer.body.runs.sort((a, b) => a.attempt - b.attempt);
}

beforeAll(async () => {
  server = await startTestServer({ runner: { slots: 0, leaseMs: LEASE_MS } });
  owner = await signUp(server.url);
  repoId = (await pushedRepo(server.url, owner, 'shutdown')).id;
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exitOf(child);
  }
});
afterAll(async () => {
  await server.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('a runner told to stop (SIGTERM)', () => {
  it('lets its run in flight finish within the grace period, claims nothing more, and exits', async () => {
    const a = await startRunner(await runnerToken('host a'), 600_000);
    const first = await startTask(server.url, owner, {
      repoId,
      prompt: 'finish during shutdown',
      commands: [WAITING],
    });
    const tmp = await waitingSandbox(a);

    a.child.kill('SIGTERM');
    await waitForOutput(a, 'SIGTERM: stopping');
    const second = await startTask(server.url, owner, {
      repoId,
      prompt: 'queued during shutdown',
      commands: ['echo second'],
    });
    await writeFile(path.join(tmp, 'go'), '');
    expect(await exitOf(a.child), a.output()).toBe(0);

    expect((await waitForStatus(server.url, owner, first.task.id, ['in_review'])).status).toBe(
      'in_review',
    );
    expect((await runsOf(first.task.id)).map((run) => run.status)).toEqual(['succeeded']);
    expect((await runsOf(second.task.id)).map((run) => [run.status, run.runnerId])).toEqual([
      ['queued', null],
    ]);

    await startRunner(await runnerToken('host b'), 0);
    expect(
      (await waitForStatus(server.url, owner, second.task.id, ['in_review', 'failed'])).status,
    ).toBe('in_review');
  });

  it('hands back a run still going when the grace period ends; another runner finishes it', async () => {
    const a = await startRunner(await runnerToken('host c'), 200);
    const { task } = await startTask(server.url, owner, {
      repoId,
      prompt: 'handed back',
      commands: [WAITING],
    });
    await waitingSandbox(a);

    a.child.kill('SIGTERM');
    expect(await exitOf(a.child), a.output()).toBe(0);
    expect(a.output()).toContain('run handed back to be queued again');
    const [handedBack, next] = await runsOf(task.id);
    expect(handedBack).toMatchObject({ status: 'interrupted', attempt: 1 });
    expect(next).toMatchObject({ status: 'queued', attempt: 2, runnerId: null });

    const b = await startRunner(await runnerToken('host d'), 0);
    await writeFile(path.join(await waitingSandbox(b), 'go'), '');
    expect((await waitForStatus(server.url, owner, task.id, ['in_review', 'failed'])).status).toBe(
      'in_review',
    );
    const runs = await runsOf(task.id);
    expect(runs.map((run) => run.status)).toEqual(['interrupted', 'succeeded']);
    expect(runs[1]!.runnerId).not.toBe(runs[0]!.runnerId);
  });
});
