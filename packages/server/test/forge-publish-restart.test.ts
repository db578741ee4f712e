/**
 * Publishing survives the server: `lucid serve`, as its own process, is killed (SIGKILL) while
 * the fake GitHub holds the request opening a run's pull request; started again on the same data
 * dir, it takes the stored job up again and opens the request, once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './fakes/github/index.ts';
import { shellTrajectory, startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { request, signUp } from './support/client.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { taskEvents, type EventView } from './support/tasks.ts';
import { freePort } from './support/test-server.ts';

const bin = fileURLToPath(new URL('../bin/lucid.js', import.meta.url));

let fake: FakeGitHub;
let llm: FakeLlm;
let dir: string;
let child: ChildProcess | null = null;

beforeAll(async () => {
  fake = await startFakeGitHub();
  llm = await startFakeLlm();
  dir = await mkdtemp(path.join(tmpdir(), 'lucid-restart-'));
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await llm?.close();
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

/** `lucid serve` on the test's data dir; resolves with its URL once it answers. */
async function serve(): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = spawn(process.execPath, [bin, 'serve'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LUCID_PUBLIC_URL: url,
      LUCID_DATA_DIR: path.join(dir, 'data'),
      LUCID_SIGNUP: 'open',
      LUCID_SANDBOX: 'local',
      LUCID_SANDBOX_WARM_POOL: '0',
      LOG_LEVEL: 'warn',
      ...fake.env(),
      ...fakeProviderEnv(llm.url, {
        anthropic: 'sk-ant-restart-test-0123456789',
        openai: 'sk-openai-restart-test-0123456789',
        compatible: 'sk-local-restart-test-0123456789',
      }),
      LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child = started;
  let stderr = '';
  started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (;;) {
    if (started.exitCode !== null) throw new Error(`lucid serve exited: ${stderr}`);
    const answered = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) return url;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function eventOf(
  url: string,
  user: Parameters<typeof taskEvents>[1],
  taskId: string,
  type: string,
): Promise<EventView> {
  for (;;) {
    const found = (await taskEvents(url, user, taskId)).find((e) => e.type === type);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

describe('a server killed before the pull request opened', () => {
  it('opens it once after it starts again on the same data dir', async () => {
    let url = await serve();
    const user = await signUp(url);
    const alice = fake.addUser({ login: 'alice' });
    await fake.addRepo('alice', 'sturdy', {
      defaultBranch: 'main',
      files: { 'README.md': '# sturdy\n' },
    });
    const connected = await request(url, 'POST', '/api/integrations/github/token', {
      token: user.token,
      json: { token: alice.token },
    });
    expect(connected.status, JSON.stringify(connected.body)).toBe(200);
    const linked = await request<{ id: string }>(url, 'POST', '/api/integrations/github/repos', {
      token: user.token,
      json: { fullName: 'alice/sturdy' },
    });
    expect(linked.status, JSON.stringify(linked.body)).toBe(201);

    llm.script(
      shellTrajectory([{ command: 'echo sturdy > sturdy.txt' }], 'Added sturdy.txt.', {
        finishTool: 'finish',
      }),
    );
    const held = fake.holdNextPullCreation();
    const created = await request<{ task: { id: string; branch: string } }>(
      url,
      'POST',
      '/api/v1/tasks',
      { token: user.token, json: { repoId: linked.body.id, prompt: 'Add a sturdy file' } },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const task = created.body.task;
    await held;
    const exited = once(child!, 'exit');
    child!.kill('SIGKILL');
    await exited;
    expect(fake.pulls('alice/sturdy')).toEqual([]);

    url = await serve();
    const opened = await eventOf(url, user, task.id, 'pr.opened');
    const pulls = fake.pulls('alice/sturdy');
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ head: task.branch, url: opened.url });
    const events = await taskEvents(url, user, task.id);
    expect(events.filter((e) => e.type === 'pr.opened')).toHaveLength(1);
    child!.kill('SIGTERM');
    await once(child!, 'exit');
    child = null;
  }, 180_000);
});
