/**
 * The start overlaps: the built-in agent's first model request leaves while the sandbox's workspace
 * is made ready, its prompt built from Lucid's own copy of the repository; its tools wait for the
 * workspace; a workspace that cannot be made fails the run and aborts the request in flight; a
 * pooled workspace that already holds the commits a run needs fetches nothing.
 *
 * Ordering is proven, not timed: the sandboxes (local driver) reach Lucid through a gate the test
 * holds, so a workspace's fetch waits until the test lets it through.
 */
import { once } from 'node:events';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemPrompt } from '../src/agent/system-prompt.ts';
import type { Sandbox } from '../src/sandbox/driver.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { offersTools, startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { request, type TestUser } from './support/client.ts';
import { authedUrl, git, gitOk, makeLocalRepo } from './support/git.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { startRunnerServer, type RunnerServer } from './support/runner-server.ts';
import { taskEvents, waitForStatus, type EventView } from './support/tasks.ts';
import type { TestServer } from './support/test-server.ts';

/**
 * What sandboxes reach of Lucid, through a Unix socket the test owns: requests to Lucid's git
 * server wait while the gate is held, or are refused once it fails them.
 */
interface GitGate {
  socket: string;
  /** Requests to `/git/` that have arrived and wait. */
  waiting: number;
  hold(): void;
  release(): void;
  /** Answers every waiting and later git request with 503. */
  fail(): void;
  close(): Promise<void>;
}

async function gitGate(target: string): Promise<GitGate> {
  const folder = await mkdtemp(path.join(tmpdir(), 'lucid-gate-'));
  const socket = path.join(folder, 'lucid.sock');
  let mode: 'open' | 'held' | 'failing' = 'open';
  const waiters: (() => void)[] = [];
  const gate = {
    socket,
    waiting: 0,
    hold: () => void (mode = 'held'),
    release: () => {
      mode = 'open';
      for (const go of waiters.splice(0)) go();
    },
    fail: () => {
      mode = 'failing';
      for (const go of waiters.splice(0)) go();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(folder, { recursive: true, force: true });
    },
  };
  const server = http.createServer((req, res) => {
    void (async () => {
      if ((req.url ?? '').startsWith('/git/') && mode === 'held') {
        gate.waiting += 1;
        await new Promise<void>((resolve) => waiters.push(resolve));
        gate.waiting -= 1;
      }
      if ((req.url ?? '').startsWith('/git/') && mode === 'failing') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('the git server is down\n');
        return;
      }
      const upstream = http.request(`${target}${req.url ?? '/'}`, {
        method: req.method,
        headers: req.headers,
      });
      upstream.on('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    })();
  });
  server.listen(socket);
  await once(server, 'listening');
  return gate;
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never came: ${what}`);
}

/** The system prompt an Anthropic request carried, its blocks joined. */
function systemOf(body: unknown): string {
  const system = (body as { system?: string | { text: string }[] }).system;
  return typeof system === 'string' ? system : (system ?? []).map((block) => block.text).join('');
}

describe('the start of an agent run', () => {
  let llm: FakeLlm;
  let driver: LocalDriver;
  let root: string;
  let bed: RunnerServer;
  let server: TestServer;
  let user: TestUser;
  let gate: GitGate;

  async function start(warmPool: number): Promise<void> {
    bed = await startRunnerServer(driver, {
      env: {
        ...fakeProviderEnv(llm.url, { anthropic: 'sk-ant-x', openai: 'sk-o-x', compatible: 'c' }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      },
      runner: { warmPool },
    });
    ({ server, user } = bed);
    gate = await gitGate(server.url);
    driver.reachLucid({ url: new URL(server.url).origin, socket: gate.socket });
  }

  async function stop(): Promise<void> {
    gate.release();
    await bed.close();
    await gate.close();
  }

  async function pushRepo(name: string, dir: string): Promise<string> {
    const repo = await request<{ id: string; cloneUrl: string }>(
      server.url,
      'POST',
      '/api/v1/repos',
      { token: user.token, json: { name } },
    );
    expect(repo.status).toBe(201);
    await gitOk(['push', '--quiet', authedUrl(repo.body.cloneUrl, user.token), 'main'], dir);
    return repo.body.id;
  }

  async function agentTask(repoId: string, prompt: string) {
    const created = await request<{ task: { id: string; branch: string } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      { token: user.token, json: { repoId, prompt } },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.task;
  }

  async function phasesOf(taskId: string): Promise<Record<string, number>> {
    const runs = await request<{ runs: { phases: { phase: string; at: string }[] }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${taskId}/runs`,
      { token: user.token },
    );
    return Object.fromEntries(runs.body.runs[0]!.phases.map((p) => [p.phase, Date.parse(p.at)]));
  }

  async function taskSandbox(taskId: string): Promise<Sandbox> {
    const [info] = await driver.list({ 'lucid.task': taskId });
    const sandbox = info ? await driver.get(info.id) : null;
    if (!sandbox) throw new Error('the task has no sandbox');
    return sandbox;
  }

  const modelRequests = () =>
    llm.requests.filter((r) => r.protocol && offersTools(r.body as never));
  const toolOutput = (events: EventView[]) =>
    events
      .filter((e) => e.type === 'tool.output')
      .map((e) => (e as unknown as { chunk: string }).chunk)
      .join('');

  beforeAll(async () => {
    llm = await startFakeLlm();
    root = await mkdtemp(path.join(tmpdir(), 'lucid-sbx-'));
    driver = new LocalDriver({ root });
  });
  afterAll(async () => {
    await llm.close();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => llm.reset());

  describe('in a new sandbox', () => {
    beforeAll(() => start(0));
    afterAll(() => stop());

    it('sends its first model request before the workspace is ready, built from Lucid’s copy; a tool call waits for the workspace', async () => {
      const readme = `# Overlap\n\n${'A line of the README that goes on.\n'.repeat(120)}`;
      const dir = await makeLocalRepo({
        'AGENTS.md': '\n\n  Run `npm test` before you finish.  \n\n',
        'docs/claude.md': 'Claude: keep commits small.\n',
        '.lucid/instructions.md': 'Lucid: write in plain words.\n',
        'README.md': readme,
        'src/app.txt': 'the app\n',
      });
      await symlink('docs/claude.md', path.join(dir, 'CLAUDE.md'));
      await gitOk(['add', 'CLAUDE.md'], dir);
      await gitOk(['commit', '--quiet', '-m', 'CLAUDE.md names docs/claude.md'], dir);
      const repoId = await pushRepo('overlap', dir);

      llm.script([
        {
          when: offersTools,
          toolCalls: [{ name: 'bash', input: { command: 'ls; cat AGENTS.md' } }],
        },
        { when: offersTools, text: 'Listed the files.' },
      ]);
      gate.hold();
      const task = await agentTask(repoId, 'list the files');
      // The workspace cannot be ready while its fetch is held: the model request leaves before.
      await until(
        () => modelRequests().length > 0 && gate.waiting > 0,
        'the first model request while the fetch is held',
      );
      const early = await taskEvents(server.url, user, task.id);
      expect(early.filter((e) => e.type === 'tool.call')).toEqual([]);
      gate.release();

      const done = await waitForStatus(server.url, user, task.id, ['in_review', 'failed', 'todo']);
      const events = await taskEvents(server.url, user, task.id);
      expect(done.status, JSON.stringify(events.filter((e) => e.type === 'error'))).toBe('todo');
      // The tool ran in the checked-out workspace.
      expect(toolOutput(events)).toContain('src');
      expect(toolOutput(events)).toContain('Run `npm test` before you finish.');
      const phases = await phasesOf(task.id);
      expect(phases.modelRequestSent).toBeLessThan(phases.workspaceReady!);
      expect(phases.workspaceReady).toBeLessThanOrEqual(phases.firstToolCall!);

      // The prompt from Lucid's copy is the prompt the workspace gives for the same commit.
      const sent = systemOf(modelRequests()[0]!.body);
      expect(sent).toBe(await systemPrompt(await taskSandbox(task.id)));
      expect(sent).toContain('Claude: keep commits small.');
      expect(sent).toContain('Lucid: write in plain words.');
      expect(sent).toContain('[… the README goes on]');
    });

    it('fails with the reason when the workspace cannot be made, aborting the model request in flight', async () => {
      const repoId = await pushRepo('broken', await makeLocalRepo());
      let answer = () => {};
      llm.script([
        {
          when: offersTools,
          hold: new Promise<void>((resolve) => (answer = resolve)),
          toolCalls: [{ name: 'bash', input: { command: 'echo never > never.txt' } }],
        },
      ]);
      gate.hold();
      const task = await agentTask(repoId, 'write never.txt');
      await until(() => modelRequests().length > 0 && gate.waiting > 0, 'the model request');
      gate.fail();
      const done = await waitForStatus(server.url, user, task.id, ['in_review', 'failed', 'todo']);
      answer();
      expect(done.status).toBe('failed');
      const runs = await request<{ runs: { status: string; errorMessage: string | null }[] }>(
        server.url,
        'GET',
        `/api/v1/tasks/${task.id}/runs`,
        { token: user.token },
      );
      expect(runs.body.runs[0]).toMatchObject({ status: 'failed' });
      expect(runs.body.runs[0]!.errorMessage).toContain('Preparing the workspace failed');
      await until(() => modelRequests()[0]!.abandoned === true, 'the model request aborted');
      const events = await taskEvents(server.url, user, task.id);
      expect(events.filter((e) => e.type.startsWith('git.') || e.type === 'tool.call')).toEqual([]);
      const bare = path.join(server.dataDir, 'git', `${repoId}.git`);
      const branch = await git(['--git-dir', bare, 'rev-parse', '--verify', task.branch], tmpdir());
      expect(branch.code).not.toBe(0);
      gate.release();
    });
  });

  describe('in a pooled sandbox', () => {
    beforeAll(() => start(1));
    afterAll(() => stop());

    it('fetches nothing when the workspace holds the commits the run needs, and fetches what it lacks', async () => {
      const dir = await makeLocalRepo({ 'README.md': '# pooled\n' });
      const repoId = await pushRepo('pooled', dir);
      const pooled = async () => {
        await until(() => (server.runner?.pooledFor(repoId).size ?? 0) > 0, 'a primed sandbox');
        const [id] = [...server.runner!.pooledFor(repoId)];
        return (await driver.get(id!))!;
      };
      const run = async (prompt: string, command: string) => {
        llm.script([
          { when: offersTools, toolCalls: [{ name: 'bash', input: { command } }] },
          { when: offersTools, text: 'Done.' },
        ]);
        const task = await agentTask(repoId, prompt);
        const done = await waitForStatus(server.url, user, task.id, ['in_review', 'failed']);
        const events = await taskEvents(server.url, user, task.id);
        expect(done.status, JSON.stringify(events.filter((e) => e.type === 'error'))).toBe(
          'in_review',
        );
        return { task, events };
      };
      const fetchedSince = async (sandbox: Sandbox) =>
        (await sandbox.exec(['test', '-e', '.git/FETCH_HEAD'], { cwd: '/workspace' })).exitCode ===
        0;

      // The repository's pool is primed at its first run.
      await run('first', 'echo one > one.txt');
      let sandbox = await pooled();
      await sandbox.exec(['rm', '.git/FETCH_HEAD'], { cwd: '/workspace' });
      await run('second', 'cat README.md > seen.txt; echo two > two.txt');
      expect(await fetchedSince(sandbox)).toBe(false);
      expect((await sandbox.readFile('/workspace/seen.txt')).toString()).toBe('# pooled\n');

      // A commit pushed since the sandbox was primed is fetched.
      sandbox = await pooled();
      await sandbox.exec(['rm', '.git/FETCH_HEAD'], { cwd: '/workspace' });
      await gitOk(['commit', '--quiet', '--allow-empty', '-m', 'later'], dir);
      await gitOk(
        ['push', '--quiet', authedUrl(`${server.url}/git/${repoId}.git`, user.token), 'main'],
        dir,
      );
      const later = await run('third', 'git log --format=%s -1; echo three > three.txt');
      expect(toolOutput(later.events)).toContain('later');
      expect(await fetchedSince(sandbox)).toBe(true);
    });
  });
});
