/**
 * A runner on another host reaches Lucid through a balancer in front of several servers; when the
 * server answering one of its calls dies, the call never gets its answer. The runner sends it
 * again (another server takes it), and an append sent again is stored once, whether or not the
 * first sending was stored before its server died.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lucidAgentRuntime } from '../src/agent/runtime.ts';
import { HttpRunnerBackend } from '../src/runner/http-backend.ts';
import { Runner } from '../src/runner/runner.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { tunnelToLucid } from '../src/sandbox/local/lucid-tunnel.ts';
import { startFakeLlm } from './fakes/llm/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { pushedRepo, startTask, stdoutOf, taskEvents, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

/**
 * A proxy to `target` that cuts the client's connection of the next request whose path ends with
 * `suffix`: `after` its server answered it (it did the work), or `before` it reaches the server.
 */
async function cuttingProxy(target: () => string): Promise<{
  url: string;
  cutNext(suffix: string, when: 'before' | 'after'): void;
  cuts: number;
  close(): Promise<void>;
}> {
  let cut: { suffix: string; when: 'before' | 'after' } | null = null;
  const state = { cuts: 0 };
  const server: Server = createServer((req, res) => {
    const cutting = cut && req.url?.endsWith(cut.suffix) ? cut : null;
    if (cutting) cut = null;
    if (cutting?.when === 'before') {
      state.cuts += 1;
      return req.socket.destroy();
    }
    const upstream = httpRequest(
      new URL(req.url ?? '/', target()),
      { method: req.method, headers: req.headers },
      (answer) => {
        if (cutting) {
          state.cuts += 1;
          answer.resume();
          answer.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    cutNext: (suffix, when) => (cut = { suffix, when }),
    get cuts() {
      return state.cuts;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let server: TestServer;
let user: TestUser;
let proxy: Awaited<ReturnType<typeof cuttingProxy>>;
let backend: HttpRunnerBackend;

beforeAll(async () => {
  server = await startTestServer({ runner: { slots: 0 } });
  user = await signUp(server.url);
  const made = await request<{ token: string }>(server.url, 'POST', '/api/v1/runners/tokens', {
    token: user.token,
    json: { name: 'behind a balancer' },
  });
  proxy = await cuttingProxy(() => server.url);
  backend = new HttpRunnerBackend(proxy.url, made.body.token);
  await backend.heartbeat(1);
});
afterAll(async () => {
  await proxy.close();
  await server.close();
});

describe('a runner whose call is cut off with its server', () => {
  it.each(['after', 'before'] as const)(
    'sends an append again, stored once when cut %s the server stored it',
    async (when) => {
      const repo = await pushedRepo(server.url, user, `resend-${when}`);
      const { task } = await startTask(server.url, user, {
        repoId: repo.id,
        prompt: 'cut off',
        commands: ['true'],
      });
      const claimed = await backend.claim(undefined, { wait: false });
      expect(claimed?.task.id).toBe(task.id);
      const runId = claimed!.run.id;
      await backend.append(runId, [{ type: 'tool.output', stream: 'stdout', chunk: 'first\n' }]);

      const cuts = proxy.cuts;
      proxy.cutNext('/events', when);
      await backend.append(runId, [{ type: 'tool.output', stream: 'stdout', chunk: 'cut off\n' }]);
      expect(proxy.cuts).toBe(cuts + 1);
      // The same events again, not a resend: stored again.
      await backend.append(runId, [{ type: 'tool.output', stream: 'stdout', chunk: 'cut off\n' }]);

      expect(stdoutOf(await taskEvents(server.url, user, task.id))).toBe(
        'first\ncut off\ncut off\n',
      );
      await backend.finish(runId, { status: 'succeeded', exitCode: 0 });
    },
  );

  it('sends a lease renewal again when its answer never came', async () => {
    const repo = await pushedRepo(server.url, user, 'resend-lease');
    await startTask(server.url, user, { repoId: repo.id, prompt: 'renew', commands: ['true'] });
    const claimed = await backend.claim(undefined, { wait: false });
    proxy.cutNext('/lease', 'after');
    expect(await backend.renew(claimed!.run.id)).toMatchObject({ lost: false });
    await backend.finish(claimed!.run.id, { status: 'succeeded', exitCode: 0 });
  });

  it("finds the task's branch pushed when the push's answer never came", async () => {
    // Lucid's address is the proxy's, as a balancer's would be: the sandbox pushes through it.
    let target = '';
    const balancer = await cuttingProxy(() => target);
    const llm = await startFakeLlm();
    const behind = await startTestServer({
      runner: { slots: 0 },
      env: {
        LUCID_PUBLIC_URL: balancer.url,
        ANTHROPIC_API_KEY: 'sk-ant-server-only-0123456789',
        ANTHROPIC_BASE_URL: `${llm.url}/v1`,
      },
    });
    target = behind.url;
    const root = await mkdtemp(path.join(tmpdir(), 'lucid-sbx-'));
    const driver = new LocalDriver({ root });
    const tunnel = await tunnelToLucid(balancer.url);
    driver.reachLucid(tunnel.endpoint);
    let runner: Runner | undefined;
    try {
      const owner = await signUp(balancer.url);
      const made = await request<{ token: string }>(
        balancer.url,
        'POST',
        '/api/v1/runners/tokens',
        {
          token: owner.token,
          json: { name: 'pushes through a balancer' },
        },
      );
      const runnerBackend = new HttpRunnerBackend(balancer.url, made.body.token);
      runner = new Runner({
        backend: runnerBackend,
        driver,
        runnerId: (await runnerBackend.heartbeat(1)).runnerId,
        sandbox: {
          limits: { memoryBytes: 512 * 1024 * 1024, cpus: 1, pids: 256 },
          network: 'bridge',
        },
        slots: 1,
        idleMs: 60 * 60_000,
        warmPool: 0,
        pollMs: 100,
        log: { info: () => {}, warn: () => {}, error: () => {} },
        agent: lucidAgentRuntime({ secrets: [], cliAgents: [] }),
      });
      const repo = await pushedRepo(balancer.url, owner, 'resend-push');
      // The push lands, then its answer is lost with its server.
      balancer.cutNext('/git-receive-pack', 'after');
      runner.start();
      llm.script([
        { toolCalls: [{ name: 'write_file', input: { path: 'pushed.txt', content: 'pushed\n' } }] },
        { toolCalls: [{ name: 'finish', input: { summary: 'Wrote pushed.txt.' } }] },
      ]);
      const created = await request<{ task: { id: string; branch: string } }>(
        balancer.url,
        'POST',
        '/api/v1/tasks',
        {
          token: owner.token,
          json: {
            repoId: repo.id,
            prompt: 'Write pushed.txt',
            model: 'anthropic/claude-sonnet-4-5',
          },
        },
      );
      const { task } = created.body;
      const done = await waitForStatus(balancer.url, owner, task.id, ['in_review', 'failed']);
      const events = await taskEvents(balancer.url, owner, task.id);
      expect(balancer.cuts).toBe(1);
      expect(done.status, JSON.stringify(events.filter((e) => e.type === 'error'))).toBe(
        'in_review',
      );
      expect(events.filter((e) => e.type === 'git.push')).toMatchObject([{ branch: task.branch }]);
    } finally {
      await runner?.stop();
      await tunnel.close();
      await balancer.close();
      await behind.close();
      await llm.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
