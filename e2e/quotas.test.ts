/**
 * Workspace quotas in a real browser: the owner reads and changes them on the Quotas settings
 * page, a task past the day's quota is refused on the New task page with the server's sentence
 * where the button is, and a task queued while the workspace runs all it may at once says so on
 * its board card.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { request, signUp, type TestUser } from '../packages/server/test/support/client.ts';
import { fakeProviderEnv } from '../packages/server/test/support/providers.ts';
import { pushedRepo } from '../packages/server/test/support/tasks.ts';
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

describe.skipIf(chromiumMissing)('workspace quotas', () => {
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let user: TestUser;
  let repoId = '';

  beforeAll(async () => {
    // No runner of its own: the tasks stay queued until a remote runner, whose lease outlasts the
    // test, claims one; nothing listens at the providers' address.
    server = await startWebServer({
      env: {
        ...fakeProviderEnv('http://127.0.0.1:9', { anthropic: 'a', openai: 'o', compatible: 'c' }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        LUCID_WORKSPACE_TASKS_PER_DAY: '2',
        LUCID_RUN_LEASE_SECONDS: '600',
      },
    });
    user = await signUp(server.url, 'Mary Jackson');
    repoId = (await pushedRepo(server.url, user, 'quota-demo')).id;
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
    await page.goto(`/sign-in?next=${encodeURIComponent('/settings/quotas')}`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/settings/quotas');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the owner the quotas, and saves the workspace’s own', async () => {
    await page.getByRole('heading', { name: 'Quotas' }).waitFor();
    await page.getByText('0 used of 2 (server default)').waitFor();
    await page.getByLabel('Tasks a day (UTC)').fill('1');
    await page.getByRole('button', { name: 'Save quotas' }).click();
    await page.getByText('0 used of 1', { exact: true }).waitFor();
  });

  it('refuses the task past the day’s quota on the New task page, saying when the next can start', async () => {
    const startOne = async (prompt: string) => {
      await page.goto('/tasks/new');
      await page.getByLabel('What should be done?').fill(prompt);
      await page.getByRole('button', { name: 'Start task' }).click();
    };
    await startOne('Write the changelog');
    await page.waitForURL(/\/tasks\/task_/);
    await startOne('Write the release notes');
    const alert = page.getByRole('alert').filter({ hasText: 'Could not start the task' });
    await alert
      .getByText(/^This workspace has created its 1 task for today; the next can start in \d+/)
      .waitFor();
    expect(page.url()).toContain('/tasks/new');
    await screenshot(page, 'quota-refused');
  });

  it('marks the card of a task waiting for the workspace’s runs at once', async () => {
    await page.goto('/settings/quotas');
    await page.getByLabel('Tasks a day (UTC)').fill('10');
    await page.getByLabel('Runs at once').fill('1');
    await page.getByRole('button', { name: 'Save quotas' }).click();
    await page.getByText('0 used of 1', { exact: true }).waitFor();

    // A runner takes the queued task: the workspace now runs the one run it may at once.
    const runner = await request<{ token: string }>(server.url, 'POST', '/api/v1/runners/tokens', {
      token: user.token,
      json: { name: 'build-box' },
    });
    expect(runner.status, JSON.stringify(runner.body)).toBe(201);
    const claimed = await request(server.url, 'POST', '/api/v1/runner/claim', {
      token: runner.body.token,
    });
    expect(claimed.status, JSON.stringify(claimed.body)).toBe(200);
    const next = await request(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId, prompt: 'Write the release notes', title: 'Release notes' },
    });
    expect(next.status, JSON.stringify(next.body)).toBe(201);

    await page.goto(`/repos/${repoId}/board`);
    const waiting = page.getByRole('listitem', { name: 'Release notes' });
    const note = waiting.getByText('Waiting: the workspace runs 1 task at once');
    await note.waitFor();
    // The whole sentence is inside the card, not cut off at its edge.
    const [noteBox, cardBox] = [await note.boundingBox(), await waiting.boundingBox()];
    expect(noteBox && cardBox && noteBox.x + noteBox.width <= cardBox.x + cardBox.width).toBe(true);
    // The running one is not marked.
    const running = page.getByRole('listitem', { name: 'Write the changelog' });
    await running.waitFor();
    expect(await running.getByText('Waiting:').count()).toBe(0);
    await screenshot(page, 'quota-waiting');
  });
});
