import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerDriver } from '../src/sandbox/docker/docker-driver.ts';
import type { SandboxDriver } from '../src/sandbox/driver.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { request, signUp } from './support/client.ts';
import { hostProcessArgs, observedDriver, type StartedCommand } from './support/processes.ts';
import { dockerTestEngine } from './sandbox/docker-engine.ts';
import { pushedRepo, startTask, taskEvents, waitForStatus } from './support/tasks.ts';
import { startTestServer } from './support/test-server.ts';

const engine = await dockerTestEngine('run-token-processes.test.ts');

/** Sandboxes the tests made, removed at the end. */
const made: Array<{ driver: SandboxDriver; id: string }> = [];
afterAll(async () => {
  for (const { driver, id } of made) await (await driver.get(id))?.remove();
});

/**
 * The run token, read from the one place it may be: the git settings file the workspace is given on
 * standard input.
 */
function runTokenOf(started: StartedCommand[]): string {
  const given = started.map((command) => command.stdin ?? '').join('\n');
  const basic = /Authorization: Basic (\S+)/.exec(given)?.[1] ?? '';
  const token = Buffer.from(basic, 'base64')
    .toString('utf8')
    .replace(/^lucid:/, '');
  expect(token).toMatch(/^lucid_run_/);
  return token;
}

/**
 * Runs a task that samples `ps` inside its sandbox, pushes its branch with the credentials the
 * workspace holds, then waits; meanwhile `ps` is sampled on the host.
 */
async function sampleProcessesDuringRun(real: SandboxDriver) {
  const started: StartedCommand[] = [];
  const driver = observedDriver(real, started);
  const server = await startTestServer({
    runner: { driver, slots: 1, leaseMs: 5_000, maxRuntimeMs: 120_000, pollMs: 100, warmPool: 0 },
  });
  try {
    const user = await signUp(server.url);
    const repo = await pushedRepo(server.url, user, 'no-token-in-ps');
    const { task } = await startTask(server.url, user, {
      repoId: repo.id,
      prompt: 'push and wait',
      commands: [
        'echo pushed > pushed.txt && git add pushed.txt && git commit --quiet -m pushed',
        'git push --quiet origin HEAD',
        'ps -ww -eo args > .git/ps-in-sandbox.txt',
        'until [ -e .git/sampled ]; do sleep 0.1; done',
      ],
    });
    const runs = async () =>
      (
        await request<{ runs: { sandboxId: string | null }[] }>(
          server.url,
          'GET',
          `/api/v1/tasks/${task.id}/runs`,
          { token: user.token },
        )
      ).body.runs;
    let sandbox = null;
    for (let i = 0; i < 900 && !sandbox; i++) {
      const id = (await runs())[0]?.sandboxId;
      const found = id ? await real.get(id) : null;
      if (found && (await found.exec(['test', '-e', '.git/ps-in-sandbox.txt'])).exitCode === 0) {
        sandbox = found;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    if (!sandbox) throw new Error('the task never reached its last command');
    made.push({ driver: real, id: sandbox.id });
    const onHost = await hostProcessArgs();
    await sandbox.exec(['touch', '.git/sampled']);
    const done = await waitForStatus(server.url, user, task.id, ['in_review', 'failed'], 90_000);
    const events = await taskEvents(server.url, user, task.id);
    expect(done.status, JSON.stringify(events.filter((e) => e.type === 'tool.result'))).toBe(
      'in_review',
    );
    const inSandbox = (await sandbox.exec(['cat', '.git/ps-in-sandbox.txt'])).stdout;
    expect(inSandbox).toContain('ps -ww -eo args');
    return { started, onHost, inSandbox, token: runTokenOf(started) };
  } finally {
    await server.close();
  }
}

/** Every form the run token takes: itself, and as git's Basic credentials. */
function tokenForms(token: string): string[] {
  return [token, Buffer.from(`lucid:${token}`).toString('base64')];
}

function expectNoToken(sample: Awaited<ReturnType<typeof sampleProcessesDuringRun>>): void {
  const argv = sample.started.map((command) => command.argv.join(' ')).join('\n');
  expect(argv).toContain('git');
  for (const secret of tokenForms(sample.token)) {
    expect(argv).not.toContain(secret);
    expect(sample.onHost).not.toContain(secret);
    expect(sample.inSandbox).not.toContain(secret);
  }
  expect(argv).not.toContain('Authorization');
}

describe('the run token, never on a command line', () => {
  it('of any process a run starts on the local driver, on the host or in the sandbox', async () => {
    const driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) });
    expectNoToken(await sampleProcessesDuringRun(driver));
  });

  it.skipIf(engine.skipReason !== null)(
    'of any process a run starts on the docker driver, on the host or in the container',
    async () => {
      const driver = new DockerDriver({ docker: engine.docker, image: engine.image });
      expectNoToken(await sampleProcessesDuringRun(driver));
    },
  );
});
