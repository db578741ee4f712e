/**
 * Publishing a task's work to its repository's forge, on the fake GitHub and the fake GitLab: the
 * agent's run pushes its branch to Lucid, the server pushes it upstream and opens the pull or merge
 * request; later runs refresh the same one; a non-fast-forward leaves the task awaiting merge until
 * a retry brings the work up to date; a revoked token is reported in words the user can act on;
 * the forge token appears nowhere it should not.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { startFakeGitHub } from './fakes/github/index.ts';
import { startFakeGitLab } from './fakes/gitlab/index.ts';
import { shellTrajectory, startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { linkedRepo, waitForEvent, type FakeForgeLike } from './support/forges.ts';
import { cliUser } from './support/cli.ts';
import { authedUrl, gitOk } from './support/git.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { startTask, taskEvents, waitForStatus, type EventView } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

interface FakeForge extends FakeForgeLike {
  env(): Record<string, string>;
  addUser(input: { login: string }): { login: string; token: string };
  pulls(
    fullName: string,
  ): { number: number; head: string; base: string; body: string; url: string; state: string }[];
  revoke(token: string): void;
  /** The next `count` API requests fail with that status. */
  fail(status: number, count: number): void;
  requests: unknown[];
  close(): Promise<void>;
}

const forges: { provider: 'github' | 'gitlab'; name: string; start: () => Promise<FakeForge> }[] = [
  { provider: 'github', name: 'GitHub', start: startFakeGitHub as () => Promise<FakeForge> },
  { provider: 'gitlab', name: 'GitLab', start: startFakeGitLab as () => Promise<FakeForge> },
];

describe.each(forges)('publishing to $name', ({ provider, name, start }) => {
  let fake: FakeForge;
  let llm: FakeLlm;
  let server: TestServer;
  let user: TestUser;
  let account: { login: string; token: string };
  let repo: { id: string; fullName: string; upstreamPath: string };
  let task: { id: string; branch: string };
  const log: string[] = [];

  beforeAll(async () => {
    fake = await start();
    llm = await startFakeLlm();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log.push(chunk.toString('utf8'));
        done();
      },
    });
    server = await startTestServer({
      env: {
        ...fake.env(),
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-publish-test-0123456789',
          openai: 'sk-openai-publish-test-0123456789',
          compatible: 'sk-local-publish-test-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      },
      logger: pino({ level: 'debug' }, sink),
      runner: {
        driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
        slots: 1,
        pollMs: 100,
        warmPool: 0,
      },
    });
    user = await signUp(server.url);
    account = fake.addUser({ login: 'alice' });
    repo = await linkedRepo(server, {
      user,
      provider,
      fake,
      login: account.login,
      token: account.token,
      name: `app-${provider}`,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await llm?.close();
    await fake?.close();
  });

  async function followUp(text: string): Promise<void> {
    const posted = await request<{ delivery: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${task.id}/messages`,
      { token: user.token, json: { text } },
    );
    expect(posted.body.delivery, JSON.stringify(posted.body)).toBe('new_run');
  }

  const upstreamSha = async (ref: string) =>
    (await gitOk(['rev-parse', ref], repo.upstreamPath)).trim();
  const count = (events: EventView[], type: string) => events.filter((e) => e.type === type).length;

  it("opens the request with the agent's commit on its branch upstream", async () => {
    llm.script(
      shellTrajectory(
        [{ command: 'echo hello > hello.txt && test -f hello.txt && env | sort' }],
        'Added hello.txt, which greets.',
        { finishTool: 'finish' },
      ),
    );
    const created = await request<{ task: { id: string; branch: string } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      { token: user.token, json: { repoId: repo.id, prompt: 'Add a hello file' } },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    task = created.body.task;

    const opened = await waitForEvent(server, user, task.id, (e) => e.type === 'pr.opened');
    const events = await taskEvents(server.url, user, task.id);
    const pushed = events.find((e) => e.type === 'git.push')!;
    expect(events.find((e) => e.type === 'upstream.push')).toMatchObject({
      provider,
      branch: task.branch,
      sha: pushed.sha,
    });
    expect(await upstreamSha(`refs/heads/${task.branch}`)).toBe(pushed.sha);
    expect(await gitOk(['show', `refs/heads/${task.branch}:hello.txt`], repo.upstreamPath)).toBe(
      'hello\n',
    );

    const pulls = fake.pulls(repo.fullName);
    expect(pulls).toHaveLength(1);
    const [pull] = pulls;
    expect(pull).toMatchObject({ head: task.branch, base: 'main', state: 'open' });
    expect(opened).toMatchObject({ provider, url: pull!.url, number: pull!.number });
    expect(pull!.body).toContain('Add a hello file');
    expect(pull!.body).toContain('Added hello.txt, which greets.');
    expect(pull!.body).toContain('echo hello > hello.txt');
    expect(pull!.body).toContain('exit 0');
    expect(pull!.body).toContain(String(pushed.sha).slice(0, 10));
    expect(pull!.body).toContain('Opened by Lucid');

    const stored = await request<{ prUrl: string; prNumber: number }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}`,
      { token: user.token },
    );
    expect(stored.body).toMatchObject({ prUrl: pull!.url, prNumber: pull!.number });
  });

  it('refreshes the same request on a later run, without a duplicate', async () => {
    llm.script(
      shellTrajectory([{ command: 'echo world > world.txt' }], 'Added world.txt as well.', {
        finishTool: 'finish',
      }),
    );
    await followUp('Also add a world file');
    await waitForEvent(server, user, task.id, (e) => e.type === 'pr.updated');
    const pulls = fake.pulls(repo.fullName);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]!.body).toContain('Added world.txt as well.');
    expect(await gitOk(['show', `refs/heads/${task.branch}:world.txt`], repo.upstreamPath)).toBe(
      'world\n',
    );
    const events = await taskEvents(server.url, user, task.id);
    expect(count(events, 'pr.opened')).toBe(1);
  });

  it('leaves a non-fast-forward awaiting merge, and a retry brings the work up to date', async () => {
    // Someone pushes to the task's branch upstream.
    const clone = path.join(await mkdtemp(path.join(tmpdir(), 'lucid-upstream-')), 'work');
    await gitOk(['clone', '--quiet', '--branch', task.branch, repo.upstreamPath, clone]);
    await gitOk(['config', 'user.email', 'bob@example.test'], clone);
    await gitOk(['config', 'user.name', 'Bob'], clone);
    await gitOk(['commit', '--quiet', '--allow-empty', '-m', 'Theirs'], clone);
    await gitOk(['push', '--quiet', 'origin', task.branch], clone);
    const theirs = (await gitOk(['rev-parse', 'HEAD'], clone)).trim();

    llm.script(
      shellTrajectory([{ command: 'echo three > three.txt' }], 'Added three.txt.', {
        finishTool: 'finish',
      }),
    );
    await followUp('Add a third file');
    const waiting = await waitForStatus(server.url, user, task.id, ['awaiting_merge'], 60_000);
    expect(waiting.status).toBe('awaiting_merge');
    const events = await taskEvents(server.url, user, task.id);
    const rejected = events.filter((e) => e.type === 'error' && e.code === 'push_rejected');
    expect(rejected).toHaveLength(1);
    expect(String(rejected[0]!.message)).toContain(`${name} refused the push of ${task.branch}`);
    const status = events.filter((e) => e.type === 'task.status').at(-1)!;
    expect(status).toMatchObject({ status: 'awaiting_merge' });
    expect(String(status.reason)).toContain('Retry the task');
    expect(await upstreamSha(`refs/heads/${task.branch}`)).toBe(theirs);

    const updates = count(events, 'pr.updated');
    llm.script(
      shellTrajectory(
        [
          {
            command: `git fetch --quiet origin refs/lucid/upstream/${task.branch} && git merge --quiet --no-edit FETCH_HEAD`,
          },
        ],
        'Merged the upstream commits.',
        { finishTool: 'finish' },
      ),
    );
    const retried = await request<{ id: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${task.id}/retry`,
      { token: user.token },
    );
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    const prompt = (await taskEvents(server.url, user, task.id))
      .filter((e) => e.type === 'message.user')
      .at(-1)!;
    expect(String(prompt.text)).toContain('Rebase your work on the latest main');
    await waitForEvent(
      server,
      user,
      task.id,
      (e) => e.type === 'pr.updated' && e.runId === retried.body.id,
    );
    expect(count(await taskEvents(server.url, user, task.id), 'pr.updated')).toBe(updates + 1);
    const head = await upstreamSha(`refs/heads/${task.branch}`);
    await gitOk(['merge-base', '--is-ancestor', theirs, head], repo.upstreamPath);
    expect(await gitOk(['show', `refs/heads/${task.branch}:three.txt`], repo.upstreamPath)).toBe(
      'three\n',
    );
    expect(fake.pulls(repo.fullName)).toHaveLength(1);
  });

  it('lands a branch with lucid land --pr, opening its request', async () => {
    const work = path.join(await mkdtemp(path.join(tmpdir(), 'lucid-land-')), 'work');
    const lucidRepo = await request<{ cloneUrl: string; name: string }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}`,
      { token: user.token },
    );
    await gitOk(['clone', '--quiet', authedUrl(lucidRepo.body.cloneUrl, user.token), work]);
    await gitOk(['checkout', '--quiet', '-b', 'feature/landed'], work);
    await gitOk(['config', 'user.email', 'dev@example.test'], work);
    await gitOk(['config', 'user.name', 'Dev'], work);
    await gitOk(['commit', '--quiet', '--allow-empty', '-m', 'Landed by hand'], work);
    await gitOk(['push', '--quiet', 'origin', 'feature/landed'], work);
    const sha = (await gitOk(['rev-parse', 'HEAD'], work)).trim();

    const cli = await cliUser();
    Object.assign(cli.env, { LUCID_SERVER: server.url, LUCID_TOKEN: user.token });
    const landed = await cli.run([
      'land',
      lucidRepo.body.name,
      '--branch',
      'feature/landed',
      '--pr',
    ]);
    expect(landed.stderr).toBe('');
    expect(landed.code).toBe(0);
    expect(landed.stdout).toContain(`Pushed feature/landed at ${sha}`);
    expect(await upstreamSha('refs/heads/feature/landed')).toBe(sha);
    const pull = fake.pulls(repo.fullName).find((p) => p.head === 'feature/landed');
    expect(pull).toMatchObject({ base: 'main', state: 'open' });
    expect(landed.stdout).toContain(pull!.url);

    const withRemote = await cli.run([
      'land',
      lucidRepo.body.name,
      '--branch',
      'feature/landed',
      '--pr',
      '--remote',
      repo.upstreamPath,
    ]);
    expect(withRemote.code).not.toBe(0);
    expect(withRemote.stderr).toContain('leave out --remote');
  });

  it('merges the request on the forge when the task is approved', async () => {
    const approved = await request<{ task: { status: string } }>(
      server.url,
      'POST',
      `/api/v1/tasks/${task.id}/approve`,
      { token: user.token },
    );
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.task.status).toBe('done');
    const pull = fake.pulls(repo.fullName).find((p) => p.head === task.branch)!;
    expect(pull.state).toBe('merged');
    const merged = (await taskEvents(server.url, user, task.id)).find(
      (e) => e.type === 'git.merge',
    );
    expect(merged).toMatchObject({ branch: task.branch, into: 'main' });
    await gitOk(
      ['merge-base', '--is-ancestor', String(merged!.sha), 'refs/heads/main'],
      repo.upstreamPath,
    );
  });

  it('opens no request for a run that changed nothing; the next run with work opens one', async () => {
    llm.script([{ text: 'Nothing needs to change here.' }]);
    const created = await request<{ task: { id: string; branch: string } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      { token: user.token, json: { repoId: repo.id, prompt: 'Check the README' } },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const quiet = created.body.task;
    expect((await waitForStatus(server.url, user, quiet.id, ['todo', 'in_review'])).status).toBe(
      'todo',
    );
    const first = await taskEvents(server.url, user, quiet.id);
    const firstRun = first.find((e) => e.type === 'run.status')?.runId;

    // The publisher takes a task's runs in order: once the second run's request is open, the
    // first run's publishing is over.
    llm.script(
      shellTrajectory([{ command: 'echo checked > checked.txt' }], 'Recorded the check.', {
        finishTool: 'finish',
      }),
    );
    const posted = await request<{ delivery: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${quiet.id}/messages`,
      { token: user.token, json: { text: 'Write down that you checked.' } },
    );
    expect(posted.body.delivery, JSON.stringify(posted.body)).toBe('new_run');
    const opened = await waitForEvent(server, user, quiet.id, (e) => e.type === 'pr.opened');
    expect(opened.runId).not.toBe(firstRun);
    const events = await taskEvents(server.url, user, quiet.id);
    expect(
      events.filter(
        (e) =>
          e.runId === firstRun &&
          ['git.push', 'upstream.push', 'pr.opened', 'pr.updated', 'error'].includes(e.type),
      ),
    ).toEqual([]);
    expect(fake.pulls(repo.fullName).filter((p) => p.head === quiet.branch)).toHaveLength(1);
  });

  it('retries while the forge answers 5xx, opening one request and telling the task of each failed attempt (pr.pending)', async () => {
    llm.script(
      shellTrajectory([{ command: 'echo flaky > flaky.txt' }], 'Added flaky.txt.', {
        finishTool: 'finish',
      }),
    );
    // GitLab's client retries a 502 by itself, so GitLab answers 503 here.
    fake.fail(provider === 'github' ? 502 : 503, 3);
    const created = await request<{ task: { id: string; branch: string } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      { token: user.token, json: { repoId: repo.id, prompt: 'Add a flaky file' } },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const flaky = created.body.task;
    await waitForEvent(server, user, flaky.id, (e) => e.type === 'pr.opened');
    const events = await taskEvents(server.url, user, flaky.id);
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    const retries = events.filter((e) => e.type === 'pr.pending');
    expect(
      retries.map(({ provider, attempt, maxAttempts, reason }) => ({
        provider,
        attempt,
        maxAttempts,
        reason,
      })),
    ).toEqual(
      [1, 2, 3].map((attempt) => ({
        provider,
        attempt,
        maxAttempts: 5,
        reason: `${name} answered ${provider === 'github' ? 502 : 503}`,
      })),
    );
    expect(count(events, 'pr.opened')).toBe(1);
    expect(events.filter((e) => e.type === 'task.status').at(-1)).toMatchObject({
      status: 'in_review',
    });
    expect(fake.pulls(repo.fullName).filter((p) => p.head === flaky.branch)).toHaveLength(1);
  });

  it("says the forge refused Lucid's token when it was revoked", async () => {
    fake.revoke(account.token);
    llm.script(
      shellTrajectory([{ command: 'echo four > four.txt' }], 'Added four.txt.', {
        finishTool: 'finish',
      }),
    );
    await followUp('Add a fourth file');
    const error = await waitForEvent(
      server,
      user,
      task.id,
      (e) => e.type === 'error' && e.code === 'invalid_forge_token',
    );
    expect(error.message).toBe(
      `${name} refused Lucid's token for alice: reconnect it in Settings → Integrations.`,
    );
    const status = (await taskEvents(server.url, user, task.id))
      .filter((e) => e.type === 'task.status')
      .at(-1)!;
    expect(status).toMatchObject({ status: 'in_review' });
    expect(String(status.reason)).toContain(`not published to ${name}`);
  });

  it('never shows the forge token in events, the log, the sandbox or model requests', async () => {
    const events = await taskEvents(server.url, user, task.id);
    // The sandbox's whole environment was printed by the first run.
    expect(events.some((e) => e.type === 'tool.output' && String(e.chunk).includes('PATH='))).toBe(
      true,
    );
    expect(JSON.stringify(events)).not.toContain(account.token);
    expect(JSON.stringify(llm.requests)).not.toContain(account.token);
    expect(log.length).toBeGreaterThan(0);
    expect(log.join('')).not.toContain(account.token);
  });
});

describe('publishing a remote runner’s run', () => {
  let github: Awaited<ReturnType<typeof startFakeGitHub>>;
  let server: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    github = await startFakeGitHub();
    server = await startTestServer({ env: github.env() });
    user = await signUp(server.url);
  });

  afterAll(async () => {
    await server?.close();
    await github?.close();
  });

  it('opens the request once the runner reports through the runner API that its run succeeded', async () => {
    const account = github.addUser({ login: 'remo' });
    const repo = await linkedRepo(server, {
      user,
      provider: 'github',
      fake: github,
      login: account.login,
      token: account.token,
      name: 'remote-app',
    });
    const runner = await request<{ token: string }>(server.url, 'POST', '/api/v1/runners/tokens', {
      token: user.token,
      json: { name: 'elsewhere' },
    });
    expect(runner.status).toBe(201);
    const { task } = await startTask(server.url, user, {
      repoId: repo.id,
      prompt: 'Work elsewhere',
      commands: ['true'],
    });
    const claim = await request<{ run: { id: string }; git: { cloneUrl: string; token: string } }>(
      server.url,
      'POST',
      '/api/v1/runner/claim',
      { token: runner.body.token },
    );
    expect(claim.status).toBe(200);

    // The runner's sandbox commits and pushes the task branch to Lucid with the run's token.
    const work = path.join(await mkdtemp(path.join(tmpdir(), 'lucid-remote-')), 'work');
    const lucidRepo = await request<{ cloneUrl: string }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}`,
      { token: user.token },
    );
    await gitOk(['clone', '--quiet', authedUrl(lucidRepo.body.cloneUrl, user.token), work]);
    await gitOk(['checkout', '--quiet', '-b', task.branch], work);
    await gitOk(['commit', '--quiet', '--allow-empty', '-m', 'Remote work'], work);
    const sha = (await gitOk(['rev-parse', 'HEAD'], work)).trim();
    await gitOk(
      ['push', '--quiet', authedUrl(lucidRepo.body.cloneUrl, claim.body.git.token), task.branch],
      work,
    );
    const runApi = (suffix: string, json: unknown) =>
      request(server.url, 'POST', `/api/v1/runner/runs/${claim.body.run.id}/${suffix}`, {
        token: runner.body.token,
        json,
      });
    expect(
      (await runApi('events', { events: [{ type: 'git.push', branch: task.branch, sha }] })).status,
    ).toBe(204);
    expect((await runApi('finish', { status: 'succeeded', exitCode: 0 })).status).toBe(200);

    const opened = await waitForEvent(server, user, task.id, (e) => e.type === 'pr.opened');
    const [pull] = github.pulls(repo.fullName);
    expect(pull).toMatchObject({ head: task.branch, base: 'main', url: opened.url });
    expect(
      (await gitOk(['rev-parse', `refs/heads/${task.branch}`], repo.upstreamPath)).trim(),
    ).toBe(sha);
  });
});
