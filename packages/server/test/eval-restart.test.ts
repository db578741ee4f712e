/**
 * An eval survives the server: `lucid serve`, as its own process, is killed (SIGKILL) while the
 * fake LLM holds the agent's request of the eval's second case; started again on the same data
 * dir, the lost run is queued again once its lease runs out, and the eval finishes with every
 * case's result, each case run and checked once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvalDetail } from '@lucid/contracts';
import { startFakeGitHub, type FakeGitHub } from './fakes/github/index.ts';
import { offersTools, startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { request, signUp } from './support/client.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { freePort } from './support/test-server.ts';

const bin = fileURLToPath(new URL('../bin/lucid.js', import.meta.url));

let fake: FakeGitHub;
let llm: FakeLlm;
let dir: string;
let child: ChildProcess | null = null;

beforeAll(async () => {
  fake = await startFakeGitHub();
  llm = await startFakeLlm();
  dir = await mkdtemp(path.join(tmpdir(), 'lucid-eval-restart-'));
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
      LUCID_RUN_LEASE_SECONDS: '5',
      LOG_LEVEL: 'warn',
      ...fake.env(),
      ...fakeProviderEnv(llm.url, {
        anthropic: 'sk-ant-eval-restart-0123456789',
        openai: 'sk-openai-eval-restart-0123456789',
        compatible: 'sk-local-eval-restart-0123456789',
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

describe('a server killed in the middle of an eval', () => {
  it('finishes the eval with every case’s result after it starts again on the same data dir', async () => {
    let url = await serve();
    const user = await signUp(url);
    const alice = fake.addUser({ login: 'alice' });
    await fake.addRepo('alice', 'measured', {
      defaultBranch: 'main',
      files: { 'README.md': '# measured\n' },
    });
    const connected = await request(url, 'POST', '/api/integrations/github/token', {
      token: user.token,
      json: { token: alice.token },
    });
    expect(connected.status, JSON.stringify(connected.body)).toBe(200);
    const linked = await request<{ id: string }>(url, 'POST', '/api/integrations/github/repos', {
      token: user.token,
      json: { fullName: 'alice/measured' },
    });
    expect(linked.status, JSON.stringify(linked.body)).toBe(201);

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const caseTwo = (body: Record<string, unknown>) =>
      offersTools(body) && JSON.stringify(body).includes('Case two');
    llm.script([{ when: caseTwo, hold: held, text: 'Looked at it.' }]);
    const started = await request<EvalDetail>(url, 'POST', '/api/v1/evals', {
      token: user.token,
      json: {
        suite: {
          name: 'restarted',
          cases: ['one', 'two', 'three'].map((id) => ({
            id,
            repoId: linked.body.id,
            prompt: `Case ${id}: look at the README.`,
            check: 'test -f README.md',
          })),
        },
        model: 'anthropic/claude-sonnet-4-5',
        concurrency: 1,
      },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id = started.body.id;
    while (!llm.requests.some((r) => r.protocol !== undefined && caseTwo(r.body as never))) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const exited = once(child!, 'exit');
    child!.kill('SIGKILL');
    await exited;
    const askedOf = () =>
      llm.requests.filter((r) => r.protocol !== undefined && caseTwo(r.body as never));
    while (!askedOf()[0]?.abandoned) await new Promise((resolve) => setTimeout(resolve, 50));
    release();

    url = await serve();
    let detail: EvalDetail;
    for (;;) {
      const answer = await request(url, 'GET', `/api/v1/evals/${id}`, { token: user.token });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      detail = EvalDetail.parse(answer.body);
      if (detail.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(detail.status).toBe('done');
    expect(detail.results.map((r) => [r.caseId, r.status])).toEqual([
      ['one', 'passed'],
      ['two', 'passed'],
      ['three', 'passed'],
    ]);
    // The second case's first request died with the server; its run queued again asked anew.
    expect(askedOf().length).toBeGreaterThanOrEqual(2);
    expect(detail.summary.attempts).toBe(3);
    child!.kill('SIGTERM');
    await once(child!, 'exit');
    child = null;
  }, 180_000);
});
