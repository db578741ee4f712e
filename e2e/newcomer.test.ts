/**
 * A newcomer's whole first journey, as the README tells it, in a real browser against a brand-new
 * server that takes accounts by invitation: the first visit offers the admin account; the Tokens page
 * makes a token and shows how to install `lucid` from this server; the command it shows installs
 * `lucid` on a "machine" of its own (no npm registry, a folder outside Lucid's checkout), which signs
 * in and ingests a local repository; the repository's board opens directly; a task started from the
 * New task page is stopped ("Stopping…", then one calm line) and waits in To Do as "Stopped"; started
 * again, its work is approved from the task page, and the repository page shows the merged commit.
 * Every page on the way is saved as a screenshot (test-results/screenshots/newcomer-*.png).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { LocalDriver } from '../packages/server/src/sandbox/local/local-driver.ts';
import { startFakeLlm, type FakeLlm } from '../packages/server/test/fakes/llm/index.ts';
import type { TestServer } from '../packages/server/test/support/test-server.ts';
import {
  chromiumMissing,
  openBrowser,
  screenshot,
  skipReason,
  type BrowserSession,
} from './support/browser.ts';
import { startWebServer } from './support/web-server.ts';

if (chromiumMissing) console.log(skipReason);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

const newcomer = {
  name: 'Katherine Johnson',
  email: `katherine-${process.pid}-${Date.now()}@example.test`,
  password: 'trajectories and orbits',
};

describe.skipIf(chromiumMissing)("a newcomer's first journey", () => {
  let llm: FakeLlm;
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  /** Another machine: its own home, npm prefix and cache, and a project outside the checkout. */
  let machine = '';
  let env: Record<string, string> = {};
  let lucid = '';
  let token = '';
  let repoPath = '';
  let taskId = '';

  function run(file: string, args: string[], cwd = machine): Promise<Result> {
    return new Promise((resolve) => {
      execFile(file, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr,
        }),
      );
    });
  }

  async function ok(file: string, args: string[], cwd = machine): Promise<string> {
    const result = await run(file, args, cwd);
    expect(result.code, `${file} ${args.join(' ')}\n${result.stderr}`).toBe(0);
    return result.stdout;
  }

  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

  beforeAll(async () => {
    llm = await startFakeLlm();
    server = await startWebServer({
      env: {
        ANTHROPIC_API_KEY: 'sk-ant-newcomer-0123456789',
        ANTHROPIC_BASE_URL: `${llm.url}/v1`,
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        LUCID_SIGNUP: 'invite',
      },
      runner: {
        driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
        slots: 1,
        leaseMs: 3_000,
        maxRuntimeMs: 120_000,
        pollMs: 100,
        warmPool: 0,
      },
    });
    machine = await mkdtemp(path.join(tmpdir(), 'lucid-newcomer-'));
    env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: machine,
      LUCID_CONFIG_DIR: path.join(machine, 'config'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: newcomer.name,
      GIT_AUTHOR_EMAIL: newcomer.email,
      GIT_COMMITTER_NAME: newcomer.name,
      GIT_COMMITTER_EMAIL: newcomer.email,
    };
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await llm?.close();
    if (machine) await rm(machine, { recursive: true, force: true });
  });

  it('is offered the admin account on the first visit, and lands on an empty tasks list', async () => {
    await page.goto('/');
    await page.waitForURL('**/sign-in');
    await page.getByRole('heading', { name: 'Welcome to Lucid' }).waitFor();
    expect(await page.getByText('Welcome back').count()).toBe(0);
    await screenshot(page, 'newcomer-1-first-visit');

    await page.getByRole('link', { name: 'Create the admin account' }).click();
    await page.getByRole('heading', { name: 'Create the admin account' }).waitFor();
    await page.getByLabel('Name').fill(newcomer.name);
    await page.getByLabel('Email').fill(newcomer.email);
    await page.getByLabel('Password').fill(newcomer.password);
    await screenshot(page, 'newcomer-2-admin-account');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/tasks');
    await page.getByRole('heading', { name: 'No tasks yet' }).waitFor();
    await screenshot(page, 'newcomer-3-tasks-empty');
  });

  it('is asked for a repository first by the Board and by New task', async () => {
    await nav('Board').click();
    await page.getByRole('heading', { name: 'No repository has a board yet' }).waitFor();
    expect(await page.getByRole('link', { name: 'Add a repository' }).getAttribute('href')).toBe(
      '/repos',
    );
    await screenshot(page, 'newcomer-3a-board-no-repository');
    await nav('Tasks').click();
    await page.getByRole('link', { name: 'New task' }).first().click();
    await page.waitForURL(/\/tasks\/new/);
    await page.getByRole('heading', { name: 'No repository to work on' }).waitFor();
    await page.getByRole('link', { name: 'Add a repository' }).waitFor();
    await screenshot(page, 'newcomer-3b-new-task-no-repository');
  });

  it('sees which model providers the server has', async () => {
    await nav('Model providers').click();
    await page.waitForURL('**/settings/providers');
    await page
      .getByRole('list', { name: 'Usable models' })
      .getByText('anthropic/claude-sonnet-4-5')
      .waitFor();
    await screenshot(page, 'newcomer-4-providers');
  });

  it('makes a token, and installs lucid with the command the page shows', async () => {
    await nav('API tokens').click();
    await page.waitForURL('**/settings/tokens');
    await page.getByLabel('Token name').fill('laptop');
    await page.getByRole('button', { name: 'Create token' }).click();
    token = (await page.getByTestId('new-token').locator('code').textContent()) ?? '';
    expect(token).toMatch(/^lucid_pat_/);
    const install =
      (await page
        .getByRole('group', { name: 'Install the lucid command' })
        .locator('pre code')
        .textContent()) ?? '';
    expect(install).toBe(`npm install -g ${server.url}/cli.tgz`);
    await screenshot(page, 'newcomer-5-token-and-install');

    // The command as shown, on a machine whose npm reaches no registry: the package needs none.
    const [npm, ...args] = install.split(' ');
    const prefix = path.join(machine, 'prefix');
    await ok(npm!, [
      ...args,
      '--prefix',
      prefix,
      '--cache',
      path.join(machine, 'npm-cache'),
      '--registry',
      'http://127.0.0.1:9/',
      '--no-audit',
      '--no-fund',
      '--no-update-notifier',
    ]);
    lucid = path.join(prefix, 'bin', 'lucid');
    expect(await ok(lucid, ['--version'])).toMatch(/^\d+\.\d+\.\d+/);
  }, 120_000);

  it('signs in with lucid and ingests a local repository', async () => {
    const login = await ok(lucid, ['login', '--server', server.url, '--token', token]);
    expect(login).toContain(`Signed in to ${server.url} as ${newcomer.name}`);

    repoPath = path.join(machine, 'projects', 'orbits');
    await mkdir(repoPath, { recursive: true });
    await ok('git', ['init', '--quiet', '--initial-branch', 'main'], repoPath);
    await writeFile(path.join(repoPath, 'README.md'), '# Orbits\n');
    await ok('git', ['add', 'README.md'], repoPath);
    await ok('git', ['commit', '--quiet', '-m', 'First commit'], repoPath);
    const ingested = await ok(lucid, ['ingest', '.', '--name', 'orbits'], repoPath);
    expect(ingested).toContain('orbits');
    expect(await ok(lucid, ['repos'])).toContain('orbits');
  });

  it('opens the only repository\'s board directly, and starts a task from "New task"', async () => {
    await nav('Repositories').click();
    await page.getByRole('link', { name: 'orbits', exact: true }).waitFor();
    await screenshot(page, 'newcomer-6-repositories');
    await nav('Board').click();
    await page.waitForURL(/\/repos\/[a-z0-9_]+\/board$/);
    await page.getByRole('region', { name: 'To Do' }).waitFor();
    await screenshot(page, 'newcomer-7-board-empty');

    // The first run works in a long command: it is stopped there.
    llm.script([
      { toolCalls: [{ name: 'bash', input: { command: 'echo THINKING && sleep 60' } }] },
    ]);
    await nav('Tasks').click();
    await page.getByRole('link', { name: 'New task' }).first().click();
    await page.waitForURL(/\/tasks\/new/);
    expect(await page.getByLabel('Repository').locator('option:checked').textContent()).toBe(
      'orbits',
    );
    await page.getByLabel('What should be done?').fill('Add a file naming the planets in order');
    await screenshot(page, 'newcomer-8-new-task');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/(?!new$)[a-z0-9_]+$/);
    taskId = new URL(page.url()).pathname.split('/').pop() ?? '';
    await page
      .getByRole('log', { name: 'Terminal output' })
      .getByText('$ echo THINKING && sleep 60')
      .waitFor({ timeout: 30_000 });
    await screenshot(page, 'newcomer-9-task-working');
  });

  it('stops the task: "Stopping…", then one calm line, and the card waits in To Do', async () => {
    // The answer to Stop is held back until the button has been seen pending.
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    await page.route('**/api/v1/tasks/*/stop', async (route) => {
      await held;
      await route.continue();
    });
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('button', { name: 'Stopping…' }).waitFor();
    const stopAnswer = page.waitForResponse('**/api/v1/tasks/*/stop');
    answer();
    expect((await stopAnswer).status()).toBe(200);
    await page.unroute('**/api/v1/tasks/*/stop');
    const chat = page.getByRole('log', { name: 'Conversation' });
    await chat.getByText(/^Stopped at \d/).waitFor({ timeout: 30_000 });
    expect(await chat.getByRole('alert').count()).toBe(0);
    await screenshot(page, 'newcomer-10-task-stopped');

    await nav('Board').click();
    const card = page.getByRole('region', { name: 'To Do' }).locator(`[data-task-id="${taskId}"]`);
    await card.getByText('Stopped', { exact: true }).waitFor();
    await screenshot(page, 'newcomer-11-board-stopped');

    llm.script([
      {
        toolCalls: [
          {
            name: 'write_file',
            input: { path: 'planets.txt', content: 'Mercury\nVenus\nEarth\nMars\n' },
          },
        ],
      },
      { text: 'I added planets.txt with the inner planets in order.' },
    ]);
    await card.getByRole('button', { name: /^Start / }).click();
    const reviewed = page
      .getByRole('region', { name: 'In Review' })
      .locator(`[data-task-id="${taskId}"]`);
    await reviewed.waitFor({ timeout: 60_000 });
    await reviewed.getByText(/1 file/).waitFor();
    await screenshot(page, 'newcomer-12-board-in-review');
  });

  it('approves the work from the task page, and the repository shows the commit', async () => {
    await page.goto(`/tasks/${taskId}`);
    await page
      .getByRole('log', { name: 'Conversation' })
      .getByText('I added planets.txt with the inner planets in order.', { exact: true })
      .waitFor();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('button', { name: 'Approve' }).waitFor({ state: 'detached' });
    await screenshot(page, 'newcomer-13-task-approved');

    await nav('Repositories').click();
    await page.getByRole('link', { name: 'orbits', exact: true }).click();
    const commits = page.getByRole('list', { name: /commits/i });
    await commits
      .getByText(/planets/i)
      .first()
      .waitFor();
    await screenshot(page, 'newcomer-14-repository');

    // The approved work is on main, and a fresh clone has it.
    const clone = path.join(machine, 'clone');
    const url = (await ok(lucid, ['repos'])).match(/https?:\/\/\S+\.git/)?.[0];
    expect(url).toBeTruthy();
    await ok('git', [
      '-c',
      `http.extraHeader=Authorization: Basic ${Buffer.from(`lucid:${token}`).toString('base64')}`,
      'clone',
      '--quiet',
      url!,
      clone,
    ]);
    await ok('git', ['-C', clone, 'cat-file', '-e', 'HEAD:planets.txt']);
  });
});
