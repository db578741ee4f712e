import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { pushedRepo, startTask, stdoutOf, taskEvents, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let driver: LocalDriver;
let user: TestUser;
let repoId: string;

beforeAll(async () => {
  driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) });
  server = await startTestServer({
    runner: { driver, slots: 2, leaseMs: 3_000, maxRuntimeMs: 60_000, pollMs: 100, warmPool: 0 },
  });
  user = await signUp(server.url);
  repoId = (await pushedRepo(server.url, user, 'runner-repo')).id;
});
afterAll(() => server.close());

describe("the server's runner", () => {
  it('runs the commands in a sandbox holding the repository on the task branch', async () => {
    const { task } = await startTask(server.url, user, {
      repoId,
      prompt: 'say hello',
      commands: [
        'echo hello > out.txt && cat out.txt',
        'git rev-parse --abbrev-ref HEAD',
        'cat README.md',
        'echo to-stderr >&2',
      ],
    });
    const done = await waitForStatus(server.url, user, task.id, ['in_review', 'failed']);
    const events = await taskEvents(server.url, user, task.id);
    expect(done.status, JSON.stringify(events.filter((e) => e.type === 'error'))).toBe('in_review');

    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const statuses = events.filter((e) => e.type === 'task.status').map((e) => e.status);
    expect(statuses).toEqual(['queued', 'running', 'in_review']);
    expect(
      events
        .filter((e) => e.type === 'tool.call')
        .map((e) => (e.input as { command: string }).command),
    ).toHaveLength(4);
    expect(events.filter((e) => e.type === 'tool.result').every((e) => e.ok === true)).toBe(true);
    const out = stdoutOf(events);
    expect(out).toContain('hello\n');
    expect(out).toContain(`${task.branch}\n`);
    expect(out).toContain('# runner-repo');
    const stderr = events.filter((e) => e.type === 'tool.output' && e.stream === 'stderr');
    expect(stderr.map((e) => e.chunk).join('')).toContain('to-stderr');

    const runs = await request<{ runs: { status: string; sandboxId: string | null }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}/runs`,
      { token: user.token },
    );
    expect(runs.body.runs[0]?.status).toBe('succeeded');
    const sandbox = await driver.get(runs.body.runs[0]?.sandboxId ?? '');
    expect(sandbox?.labels['lucid.task']).toBe(task.id);
  });

  it('fails the task at the first failing command, and runs none after it', async () => {
    const { task } = await startTask(server.url, user, {
      repoId,
      prompt: 'fail',
      commands: ['echo before', 'exit 3', 'echo never'],
    });
    await waitForStatus(server.url, user, task.id, ['failed']);
    const events = await taskEvents(server.url, user, task.id);
    expect(stdoutOf(events)).not.toContain('never');
    expect(events.find((e) => e.type === 'error')).toMatchObject({ code: 'command_failed' });
    expect(events.filter((e) => e.type === 'tool.result').map((e) => e.exitCode)).toEqual([0, 3]);
  });

  it('stops a running command when its run is cancelled, and keeps the sandbox', async () => {
    const { task, run } = await startTask(server.url, user, {
      repoId,
      prompt: 'long',
      commands: ['echo started; sleep 120'],
    });
    await waitForStatus(server.url, user, task.id, ['running']);
    // Wait until the command has begun.
    for (
      let i = 0;
      i < 100 && !stdoutOf(await taskEvents(server.url, user, task.id)).includes('started');
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const cancel = await request(server.url, 'POST', `/api/v1/runs/${run.id}/cancel`, {
      token: user.token,
    });
    expect(cancel.status).toBe(200);
    await waitForStatus(server.url, user, task.id, ['cancelled']);
    const runs = await request<{ runs: { status: string; sandboxId: string }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}/runs`,
      { token: user.token },
    );
    expect(runs.body.runs[0]?.status).toBe('cancelled');
    const sandbox = await driver.get(runs.body.runs[0]?.sandboxId ?? '');
    expect(sandbox).not.toBeNull();
    const sleeping = await sandbox?.exec([
      'sh',
      '-c',
      'ps -eo args | grep -c "^sleep 120" || true',
    ]);
    expect(sleeping?.stdout.trim()).toBe('0');
  });

  it('gives the sandbox none of the server’s secrets', async () => {
    const { task } = await startTask(server.url, user, {
      repoId,
      prompt: 'look around',
      commands: ['env', 'cat ~/.gitconfig ~/.git-credentials 2>/dev/null; true'],
    });
    await waitForStatus(server.url, user, task.id, ['in_review']);
    const out = stdoutOf(await taskEvents(server.url, user, task.id));
    expect(out).not.toContain(server.config.encryptionKey.toString('base64'));
    expect(out).not.toContain(user.token);
    expect(out).not.toMatch(/ENCRYPTION_KEY|DATABASE_URL|LUCID_TEST/);
  });
});

describe("a command run's output", () => {
  it('shows the run token as [redacted], even printed in pieces', async () => {
    const { task } = await startTask(server.url, user, {
      repoId,
      prompt: 'print the credentials',
      commands: [
        // The header, a few characters at a time: a secret split across output chunks.
        'git config --get-regexp extraheader | fold -w 7 | while IFS= read -r p; do printf %s "$p"; sleep 0.02; done; echo',
        'git config --get-regexp extraheader | sed -n "s/.*Basic //p" | base64 -d; echo',
        'git config --get-regexp extraheader >&2',
      ],
    });
    const done = await waitForStatus(server.url, user, task.id, ['in_review', 'failed']);
    const events = await taskEvents(server.url, user, task.id);
    expect(done.status).toBe('in_review');
    const out = stdoutOf(events);
    expect(out).toContain('Authorization: Basic [redacted]');
    expect(out).toContain('lucid:[redacted]');
    const stderr = events.filter((e) => e.type === 'tool.output' && e.stream === 'stderr');
    expect(stderr.map((e) => e.chunk).join('')).toContain('Authorization: Basic [redacted]');
    // Neither the token nor its Basic credentials (base64 of "lucid:lucid_run_…").
    expect(JSON.stringify(events)).not.toMatch(/lucid_run_|bHVjaWQ6bHVjaWRfcnVu/);
  });
});

describe('the runtime limit', () => {
  it('ends a run that takes too long as failed with runtime_limit_exceeded', async () => {
    const limited = await startTestServer({
      runner: { driver, slots: 1, leaseMs: 3_000, maxRuntimeMs: 1_500, pollMs: 100 },
    });
    try {
      const owner = await signUp(limited.url);
      const repo = await pushedRepo(limited.url, owner, 'slow');
      const { task } = await startTask(limited.url, owner, {
        repoId: repo.id,
        prompt: 'slow',
        commands: ['sleep 60'],
      });
      await waitForStatus(limited.url, owner, task.id, ['failed']);
      const events = await taskEvents(limited.url, owner, task.id);
      expect(events.find((e) => e.type === 'error')).toMatchObject({
        code: 'runtime_limit_exceeded',
      });
    } finally {
      await limited.close();
    }
  });
});
