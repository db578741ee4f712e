/**
 * Best-of-N on the fake GitHub with the scripted fake LLM: three attempts, each its own task on its
 * own branch in its own sandbox, one per model; the repository's check command fails for one and
 * passes for two that change different amounts. The smaller passing attempt ranks first; keeping
 * it makes its branch the task's, which alone reaches the forge with the pull request, while the
 * others' sandboxes and branches go. In auto mode the top attempt is kept by itself. A task of one
 * gets the check's `check.result` too.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { startFakeGitHub } from './fakes/github/index.ts';
import { offersTools, startFakeLlm, type FakeLlm, type ScriptStep } from './fakes/llm/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { linkedRepo, waitForEvent } from './support/forges.ts';
import { gitOk } from './support/git.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { taskEvents, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

type FakeGitHub = Awaited<ReturnType<typeof startFakeGitHub>>;

interface AttemptView {
  id: string;
  number: number;
  status: string;
  branch: string;
  model: string | null;
  check: { passed: boolean; exitCode: number | null; command: string } | null;
  diffStats: { filesChanged: number; insertions: number; deletions: number } | null;
  costUsd: number;
  rank: number | null;
  kept: boolean;
  discarded: boolean;
}

interface AttemptListView {
  keep: string;
  ranked: boolean;
  keptAttemptId: string | null;
  attempts: AttemptView[];
}

const CHECK = 'test ! -e broken.txt';

/** An attempt's answers: write one file, then finish; only its model's requests take them. */
function writes(model: string, file: string, lines: number): ScriptStep[] {
  const when = (body: Record<string, unknown>) => body.model === model && offersTools(body);
  const content = Array.from({ length: lines }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
  return [
    { when, toolCalls: [{ name: 'write_file', input: { path: file, content } }] },
    { when, toolCalls: [{ name: 'finish', input: { summary: `Wrote ${file}.` } }] },
  ];
}

describe('best-of-N', () => {
  let github: FakeGitHub;
  let llm: FakeLlm;
  let server: TestServer;
  let user: TestUser;
  let driver: LocalDriver;
  let repo: { id: string; fullName: string; upstreamPath: string };

  beforeAll(async () => {
    github = await startFakeGitHub();
    llm = await startFakeLlm();
    driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) });
    server = await startTestServer({
      env: {
        ...github.env(),
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-best-of-n-0123456789',
          openai: 'sk-openai-best-of-n-0123456789',
          compatible: 'sk-local-best-of-n-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      },
      runner: { driver, slots: 3, pollMs: 100, warmPool: 0 },
    });
    user = await signUp(server.url);
    const account = github.addUser({ login: 'alice' });
    repo = await linkedRepo(server, {
      user,
      provider: 'github',
      fake: github,
      login: account.login,
      token: account.token,
      name: 'best-of-n',
    });
    const patched = await request<{ checkCommand: string | null }>(
      server.url,
      'PATCH',
      `/api/v1/repos/${repo.id}`,
      { token: user.token, json: { checkCommand: CHECK } },
    );
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.checkCommand).toBe(CHECK);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await llm?.close();
    await github?.close();
  });

  const attemptsOf = async (taskId: string) =>
    (
      await request<AttemptListView>(server.url, 'GET', `/api/v1/tasks/${taskId}/attempts`, {
        token: user.token,
      })
    ).body;

  async function ranked(taskId: string): Promise<AttemptListView> {
    for (;;) {
      const list = await attemptsOf(taskId);
      if (list.ranked) return list;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  const branches = async () =>
    (
      await request<{ branches: { name: string }[] }>(
        server.url,
        'GET',
        `/api/v1/repos/${repo.id}/branches`,
        { token: user.token },
      )
    ).body.branches.map((b) => b.name);

  const upstreamBranches = async () =>
    (await gitOk(['for-each-ref', '--format=%(refname:short)', 'refs/heads'], repo.upstreamPath))
      .split('\n')
      .filter(Boolean);

  it('ranks the smaller passing attempt first; keeping it publishes its branch alone and removes the others', async () => {
    llm.script([
      ...writes('claude-sonnet-4-5', 'broken.txt', 1),
      ...writes('claude-haiku-4-5', 'big.txt', 12),
      ...writes('claude-opus-4-1', 'small.txt', 2),
    ]);
    const created = await request<{ task: { id: string; branch: string; attempts: number } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      {
        token: user.token,
        json: {
          repoId: repo.id,
          prompt: 'Add a notes file',
          attempts: 3,
          attemptSpecs: [
            { model: 'anthropic/claude-sonnet-4-5' },
            { model: 'anthropic/claude-haiku-4-5' },
            { model: 'anthropic/claude-opus-4-1' },
          ],
        },
      },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const task = created.body.task;
    expect(task.attempts).toBe(3);

    const list = await ranked(task.id);
    const [failing, big, small] = list.attempts;
    expect(list.attempts.map((a) => a.branch)).toEqual(
      [1, 2, 3].map((n) => `${task.branch}-a${n}`),
    );
    expect(failing).toMatchObject({
      status: 'in_review',
      rank: 3,
      check: { passed: false, command: CHECK },
    });
    expect(big).toMatchObject({
      status: 'in_review',
      rank: 2,
      check: { passed: true, exitCode: 0 },
    });
    expect(small).toMatchObject({
      status: 'in_review',
      rank: 1,
      check: { passed: true, exitCode: 0 },
    });
    expect(small!.diffStats!.insertions).toBeLessThan(big!.diffStats!.insertions);
    expect(list.keptAttemptId).toBeNull();

    // The task's totals hold its attempts' runs and what their model calls cost.
    const detail = await request<{ totals: { runs: number; costUsd: number } }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}`,
      { token: user.token },
    );
    const attemptsCost = list.attempts.reduce((sum, a) => sum + a.costUsd, 0);
    expect(attemptsCost).toBeGreaterThan(0);
    expect(detail.body.totals.runs).toBe(3);
    expect(detail.body.totals.costUsd).toBeGreaterThanOrEqual(attemptsCost - 1e-9);

    // The board shows the task alone, with its tally; the attempts stay behind it.
    const board = await request<{ columns: { cards: { id: string; attempts: unknown }[] }[] }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}/board`,
      { token: user.token },
    );
    const cards = board.body.columns.flatMap((column) => column.cards);
    expect(cards.find((card) => card.id === task.id)?.attempts).toEqual({ total: 3, green: 2 });
    expect(cards.some((card) => list.attempts.some((a) => a.id === card.id))).toBe(false);

    const diff = await request<{ diff: string }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}/attempts/diff?a=${big!.id}&b=${small!.id}`,
      { token: user.token },
    );
    expect(diff.status).toBe(200);
    expect(diff.body.diff).toContain('--- a/big.txt');
    expect(diff.body.diff).toContain('+++ b/small.txt');

    const sandboxes = await Promise.all(
      [failing!, big!].map(async (attempt) => {
        const runs = await request<{ runs: { sandboxId: string | null }[] }>(
          server.url,
          'GET',
          `/api/v1/tasks/${attempt.id}/runs`,
          { token: user.token },
        );
        return runs.body.runs[0]!.sandboxId!;
      }),
    );
    expect((await driver.list()).map((s) => s.id)).toEqual(expect.arrayContaining(sandboxes));

    const kept = await request<{ task: { status: string; branch: string; keptAttemptId: string } }>(
      server.url,
      'POST',
      `/api/v1/tasks/${task.id}/attempts/${small!.id}/keep`,
      { token: user.token },
    );
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    expect(kept.body.task).toMatchObject({
      status: 'in_review',
      branch: small!.branch,
      keptAttemptId: small!.id,
    });

    const opened = await waitForEvent(server, user, task.id, (e) => e.type === 'pr.opened');
    const pulls = github.pulls(repo.fullName);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ head: small!.branch, base: 'main', url: opened.url });
    expect(await upstreamBranches()).toEqual(['main', small!.branch].sort());
    expect(await gitOk(['show', `refs/heads/${small!.branch}:small.txt`], repo.upstreamPath)).toBe(
      'line 1\nline 2\n',
    );

    // The others' sandboxes are no task's now: the runner's sweep removes them.
    expect(await server.runner!.reapIdle()).toEqual(expect.arrayContaining(sandboxes));
    const left = (await driver.list()).map((s) => s.id);
    expect(left.filter((id) => sandboxes.includes(id))).toEqual([]);
    for (;;) {
      const names = await branches();
      if (!names.includes(failing!.branch) && !names.includes(big!.branch)) {
        expect(names).toContain(small!.branch);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const after = await attemptsOf(task.id);
    expect(after.attempts.map((a) => [a.kept, a.discarded])).toEqual([
      [false, true],
      [false, true],
      [true, false],
    ]);

    const again = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      `/api/v1/tasks/${task.id}/attempts/${big!.id}/keep`,
      { token: user.token },
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('invalid_transition');
  }, 180_000);

  it('keeps the top attempt by itself in auto mode', async () => {
    llm.script([
      ...writes('claude-sonnet-4-5', 'notes.txt', 3),
      ...writes('claude-haiku-4-5', 'broken.txt', 1),
    ]);
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: {
        repoId: repo.id,
        prompt: 'Add notes',
        attempts: 2,
        keep: 'auto',
        attemptSpecs: [
          { model: 'anthropic/claude-sonnet-4-5' },
          { model: 'anthropic/claude-haiku-4-5' },
        ],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const taskId = created.body.task.id;
    const opened = await waitForEvent(server, user, taskId, (e) => e.type === 'pr.opened');
    const list = await attemptsOf(taskId);
    const [passing] = list.attempts;
    expect(list).toMatchObject({ keep: 'auto', ranked: true, keptAttemptId: passing!.id });
    expect(passing).toMatchObject({ rank: 1, kept: true, check: { passed: true } });
    expect(github.pulls(repo.fullName).find((p) => p.url === opened.url)?.head).toBe(
      passing!.branch,
    );
  }, 180_000);

  it('starts the attempts of a card made to start later when the card is started', async () => {
    llm.script([
      ...writes('claude-sonnet-4-5', 'later-a.txt', 2),
      ...writes('claude-haiku-4-5', 'later-b.txt', 3),
    ]);
    const created = await request<{ task: { id: string; status: string; attempts: number } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      {
        token: user.token,
        json: {
          repoId: repo.id,
          title: 'Notes, later',
          prompt: 'Add notes later',
          attempts: 2,
          start: false,
          source: 'board',
          attemptSpecs: [
            { model: 'anthropic/claude-sonnet-4-5' },
            { model: 'anthropic/claude-haiku-4-5' },
          ],
        },
      },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.task).toMatchObject({ status: 'todo', attempts: 2 });
    const taskId = created.body.task.id;
    const waiting = await attemptsOf(taskId);
    expect(waiting.attempts.map((a) => a.status)).toEqual(['todo', 'todo']);

    const started = await request<{ taskId: string; status: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${taskId}/start`,
      { token: user.token },
    );
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.taskId).toBe(waiting.attempts[0]!.id);
    const list = await ranked(taskId);
    expect(list.attempts.map((a) => [a.status, a.model])).toEqual([
      ['in_review', 'anthropic/claude-sonnet-4-5'],
      ['in_review', 'anthropic/claude-haiku-4-5'],
    ]);
    const again = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      `/api/v1/tasks/${taskId}/start`,
      { token: user.token },
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('invalid_transition');
  }, 180_000);

  it('tells a task of one how its check went', async () => {
    llm.script(writes('claude-sonnet-4-5', 'broken.txt', 1));
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId: repo.id, prompt: 'Break it' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await waitForStatus(server.url, user, created.body.task.id, ['in_review'], 120_000);
    const check = (await taskEvents(server.url, user, created.body.task.id)).find(
      (e) => e.type === 'check.result',
    );
    expect(check).toMatchObject({ command: CHECK, exitCode: 1, passed: false, outputTail: '' });
    expect(check!.durationMs).toEqual(expect.any(Number));
  }, 180_000);

  it('stops every attempt still working when the task is stopped, and publishes nothing', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const prompt = 'Write a file, slowly';
    const mine = (body: Record<string, unknown>) =>
      offersTools(body) && JSON.stringify(body).includes(prompt);
    llm.script([1, 2, 3].map(() => ({ when: mine, hold: held, text: 'Thinking.' })));
    try {
      const created = await request<{ task: { id: string; branch: string } }>(
        server.url,
        'POST',
        '/api/v1/tasks',
        { token: user.token, json: { repoId: repo.id, prompt, attempts: 3 } },
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const task = created.body.task;
      for (;;) {
        const list = await attemptsOf(task.id);
        if (list.attempts.every((a) => a.status === 'running')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const stopped = await request<{ status: string; taskId: string }>(
        server.url,
        'POST',
        `/api/v1/tasks/${task.id}/stop`,
        { token: user.token },
      );
      expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
      const now = await request<{ status: string }>(server.url, 'GET', `/api/v1/tasks/${task.id}`, {
        token: user.token,
      });
      expect(now.body.status).toBe('cancelled');

      const list = await attemptsOf(task.id);
      for (const attempt of list.attempts) {
        await waitForStatus(server.url, user, attempt.id, ['cancelled'], 120_000);
        const runs = await request<{ runs: { status: string }[] }>(
          server.url,
          'GET',
          `/api/v1/tasks/${attempt.id}/runs`,
          { token: user.token },
        );
        expect(runs.body.runs.map((run) => run.status)).toEqual(['cancelled']);
      }
      const after = await attemptsOf(task.id);
      expect(after.ranked).toBe(false);
      expect(after.keptAttemptId).toBeNull();
      const final = await request<{ status: string }>(
        server.url,
        'GET',
        `/api/v1/tasks/${task.id}`,
        { token: user.token },
      );
      expect(final.body.status).toBe('cancelled');
      expect(github.pulls(repo.fullName).some((p) => p.head.startsWith(task.branch))).toBe(false);
      expect((await upstreamBranches()).some((name) => name.startsWith(task.branch))).toBe(false);
      const events = await taskEvents(server.url, user, task.id);
      expect(events.some((e) => e.type === 'pr.opened')).toBe(false);
    } finally {
      release();
    }
  }, 180_000);
});
