import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerDriver } from '../src/sandbox/docker/docker-driver.ts';
import { SANDBOX_NETWORK } from '../src/sandbox/docker/sandbox-network.ts';
import { request, type TestUser } from './support/client.ts';
import { dockerTestEngine } from './sandbox/docker-engine.ts';
import { pushedRepo, startTask, stdoutOf, taskEvents, waitForStatus } from './support/tasks.ts';
import { startRunnerServer, type RunnerServer } from './support/runner-server.ts';
import type { TestServer } from './support/test-server.ts';

const engine = await dockerTestEngine('runner-docker.test.ts');

describe.skipIf(engine.skipReason !== null)('a run in a docker sandbox', () => {
  let server: TestServer;
  let user: TestUser;
  let driver: DockerDriver;
  let bed: RunnerServer;

  beforeAll(async () => {
    driver = new DockerDriver({ docker: engine.docker, image: engine.image });
    bed = await startRunnerServer(driver, { runner: { warmPool: 0 } });
    ({ server, user } = bed);
  });
  // The tasks' sandboxes are kept for follow-ups; nothing follows here.
  afterAll(() => bed.close());

  // The server listens for sandboxes before any is made: on an engine whose bridges are down while
  // no container runs (Debian's Engine 20.10, freshly started), the first task clones all the same.
  it('clones through the sandbox endpoint, pushes its branch and nothing else', async () => {
    const repo = await pushedRepo(server.url, user, 'in-docker');
    const { task, run } = await startTask(server.url, user, {
      repoId: repo.id,
      prompt: 'commit in a container',
      commands: [
        'id -u',
        'git rev-parse --abbrev-ref HEAD',
        'echo made-in-docker > made.txt && git add made.txt && git commit --quiet -m "made in docker"',
        'git push --quiet origin HEAD',
        'if git push origin HEAD:main 2>err.txt; then echo pushed-main; else echo refused-main; fi; cat err.txt',
        'env',
      ],
    });
    const done = await waitForStatus(server.url, user, task.id, ['in_review', 'failed'], 90_000);
    const events = await taskEvents(server.url, user, task.id);
    expect(
      done.status,
      JSON.stringify(events.filter((e) => e.type === 'error' || e.stream === 'stderr')),
    ).toBe('in_review');
    const out = stdoutOf(events);
    expect(out).toMatch(/^1000$/m);
    expect(out).toContain(task.branch);
    expect(out).toContain('refused-main');
    expect(out).toContain(`may push only to ${task.branch}`);
    expect(out).not.toContain(user.token);
    expect(out).not.toContain(server.config.encryptionKey.toString('base64'));

    const branches = await request<{ branches: { name: string }[] }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}/branches`,
      { token: user.token },
    );
    expect(branches.body.branches.map((b) => b.name).sort()).toEqual(['main', task.branch].sort());
    const commits = await request<{ commits: { subject: string }[] }>(
      server.url,
      'GET',
      `/api/v1/repos/${repo.id}/commits?ref=${encodeURIComponent(task.branch)}`,
      { token: user.token },
    );
    expect(commits.body.commits[0]?.subject).toBe('made in docker');

    const runs = await request<{ runs: { id: string; sandboxId: string }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}/runs`,
      { token: user.token },
    );
    expect(runs.body.runs[0]?.id).toBe(run.id);
    const sandbox = await driver.get(runs.body.runs[0]?.sandboxId ?? '');
    expect(sandbox?.labels).toMatchObject({ 'lucid.task': task.id, 'lucid.run': run.id });
    const container = await engine.docker.getContainer(sandbox?.id ?? '').inspect();
    expect(Object.keys(container.NetworkSettings.Networks)).toEqual([SANDBOX_NETWORK]);
  });
});
