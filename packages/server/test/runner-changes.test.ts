import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SandboxDriver } from '../src/sandbox/driver.ts';
import { shellTrajectory, startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { dockerTestEngine } from './sandbox/docker-engine.ts';
import { request, type TestUser } from './support/client.ts';
import { authedUrl, git, gitOk, makeLocalRepo } from './support/git.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { taskEvents, waitForStatus } from './support/tasks.ts';
import { sandboxDrivers, startRunnerServer, type RunnerServer } from './support/runner-server.ts';
import type { TestServer } from './support/test-server.ts';

const engine = await dockerTestEngine('runner-changes.test.ts');

const drivers = sandboxDrivers(engine);

/** What a run leaves behind besides its work: npm's logs in HOME, caches, dependencies. */
const LITTER =
  'mkdir -p ~/.npm/_logs .cache node_modules/z && echo log > ~/.npm/_logs/x.log && ' +
  'echo cache > .cache/y && echo dep > node_modules/z/index.js && echo work > real.txt && ' +
  'echo changed > vendor/node_modules/kept.js && echo "HOME=$HOME"';

describe.each(drivers)('an agent run on the $name driver', ({ skip, make }) => {
  let llm: FakeLlm;
  let driver: SandboxDriver;
  let server: TestServer;
  let user: TestUser;
  let bed: RunnerServer;

  beforeAll(async () => {
    if (skip) return;
    llm = await startFakeLlm();
    driver = await make();
    bed = await startRunnerServer(driver, {
      env: {
        ...fakeProviderEnv(llm.url, { anthropic: 'sk-ant-x', openai: 'sk-o-x', compatible: 'c' }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      },
      runner: { warmPool: 0 },
    });
    ({ server, user } = bed);
  });
  afterAll(async () => {
    if (skip) return;
    await bed.close();
    await llm.close();
  });
  beforeEach(() => llm?.reset());

  /** A repository whose main branch tracks a file under a path the excludes name. */
  async function repoWithVendored(name: string): Promise<string> {
    const repo = await request<{ id: string; cloneUrl: string }>(
      server.url,
      'POST',
      '/api/v1/repos',
      { token: user.token, json: { name } },
    );
    expect(repo.status).toBe(201);
    const local = await makeLocalRepo({
      'README.md': `# ${name}\n`,
      'vendor/node_modules/kept.js': 'original\n',
    });
    await gitOk(['push', '--quiet', authedUrl(repo.body.cloneUrl, user.token), 'main'], local);
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

  const bareRepo = (repoId: string) => path.join(server.dataDir, 'git', `${repoId}.git`);

  it.skipIf(skip !== null)(
    "commits only the agent's work: HOME is outside the checkout and caches are excluded",
    async () => {
      const repoId = await repoWithVendored('litter');
      llm.script(shellTrajectory([{ command: LITTER }], 'Wrote real.txt.'));
      const task = await agentTask(repoId, 'write real.txt');
      const done = await waitForStatus(server.url, user, task.id, ['in_review', 'failed', 'todo']);
      const events = await taskEvents(server.url, user, task.id);
      expect(done.status, JSON.stringify(events.filter((e) => e.type === 'error'))).toBe(
        'in_review',
      );
      expect(JSON.stringify(events)).toContain('HOME=/home/lucid');
      expect(events.some((e) => e.type === 'git.push')).toBe(true);

      const changed = await gitOk(
        ['--git-dir', bareRepo(repoId), 'diff', '--name-only', 'main', task.branch],
        tmpdir(),
      );
      expect(changed.split('\n').filter(Boolean).sort()).toEqual([
        'real.txt',
        'vendor/node_modules/kept.js',
      ]);
    },
  );

  it.skipIf(skip !== null)(
    'is timed from queued to its first tool call, in phases that add up to the whole',
    async () => {
      const repoId = await repoWithVendored('timed');
      llm.script(shellTrajectory([{ command: 'echo timed > timed.txt' }], 'Wrote timed.txt.'));
      const task = await agentTask(repoId, 'write timed.txt');
      await waitForStatus(server.url, user, task.id, ['in_review', 'failed', 'todo']);
      const runs = await request<{
        runs: { createdAt: string; phases: { phase: string; at: string; ms: number }[] }[];
      }>(server.url, 'GET', `/api/v1/tasks/${task.id}/runs`, { token: user.token });
      const run = runs.body.runs[0]!;
      const phases = run.phases;
      expect(phases.map((p) => p.phase).sort()).toEqual(
        [
          'claimed',
          'firstToolCall',
          'modelRequestSent',
          'queued',
          'sandboxReady',
          'workspaceReady',
        ].sort(),
      );
      expect(phases[0]).toMatchObject({ phase: 'queued', at: run.createdAt, ms: 0 });
      const at = (phase: string) => Date.parse(phases.find((p) => p.phase === phase)!.at);
      expect(at('claimed')).toBeLessThanOrEqual(at('sandboxReady'));
      expect(at('sandboxReady')).toBeLessThanOrEqual(at('workspaceReady'));
      expect(at('modelRequestSent')).toBeLessThanOrEqual(at('firstToolCall'));
      expect(phases.every((p) => p.ms >= 0)).toBe(true);
      const total = phases.reduce((sum, p) => sum + p.ms, 0);
      expect(total).toBe(at('firstToolCall') - Date.parse(run.createdAt));
    },
  );

  it.skipIf(skip !== null)(
    'that changes nothing goes back to To Do, pushes nothing and says so; a follow-up works on it',
    async () => {
      const repoId = await repoWithVendored('unchanged');
      llm.script([{ text: 'The code already does that; nothing to change.' }]);
      const task = await agentTask(repoId, 'is the README fine?');
      const done = await waitForStatus(server.url, user, task.id, ['in_review', 'failed', 'todo']);
      const events = await taskEvents(server.url, user, task.id);
      expect(done.status, JSON.stringify(events.filter((e) => e.type === 'error'))).toBe('todo');
      expect(events.filter((e) => e.type === 'git.push' || e.type === 'git.commit')).toEqual([]);
      const runEvents = events.filter((e) => e.runId === events.at(-1)?.runId);
      expect(runEvents.at(-1)).toMatchObject({
        type: 'task.status',
        status: 'todo',
        reason: 'The agent made no changes; nothing was pushed.',
        noChanges: true,
      });
      expect(runEvents.filter((e) => e.type === 'run.status').at(-1)).toMatchObject({
        status: 'succeeded',
      });
      expect(events.some((e) => e.type === 'message.assistant')).toBe(true);
      const branch = await git(
        ['--git-dir', bareRepo(repoId), 'rev-parse', '--verify', '--quiet', task.branch],
        tmpdir(),
      );
      expect(branch.code).not.toBe(0);

      const board = await request<{
        columns: { id: string; cards: { id: string; noChanges: boolean }[] }[];
      }>(server.url, 'GET', `/api/v1/repos/${repoId}/board`, { token: user.token });
      const todo = board.body.columns.find((column) => column.id === 'todo');
      expect(todo?.cards.find((card) => card.id === task.id)?.noChanges).toBe(true);

      llm.script(shellTrajectory([{ command: 'echo more > more.txt' }], 'Added more.txt.'));
      const followUp = await request<{ delivery: string }>(
        server.url,
        'POST',
        `/api/v1/tasks/${task.id}/messages`,
        { token: user.token, json: { text: 'Then add more.txt.' } },
      );
      expect(followUp.status, JSON.stringify(followUp.body)).toBe(202);
      expect(followUp.body.delivery).toBe('new_run');
      const after = await waitForStatus(server.url, user, task.id, ['in_review', 'failed', 'todo']);
      expect(after.status).toBe('in_review');
      const again = await request<{
        columns: { id: string; cards: { id: string; noChanges: boolean }[] }[];
      }>(server.url, 'GET', `/api/v1/repos/${repoId}/board`, { token: user.token });
      const review = again.body.columns.find((column) => column.id === 'in_review');
      expect(review?.cards.find((card) => card.id === task.id)?.noChanges).toBe(false);
    },
  );
});
