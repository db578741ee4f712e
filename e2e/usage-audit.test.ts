/**
 * The Usage and Audit pages in a real browser: the usage of runs recorded through the product's
 * own paths is drawn as a chart (SVG) and tabled by model, with its CSV to download; the audit
 * page lists the tasks the test made and cancelled, filters them and pages through them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { recordUsage } from '../packages/server/src/tasks/usage.ts';
import { request, signUp, type TestUser } from '../packages/server/test/support/client.ts';
import { claimedRun, runnerBackendOn } from '../packages/server/test/support/runner-backend.ts';
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

describe.skipIf(chromiumMissing)('usage and audit pages', () => {
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let user: TestUser;
  const taskIds: string[] = [];

  beforeAll(async () => {
    server = await startWebServer();
    user = await signUp(server.url, 'Hedy Lamarr');
    const repo = await pushedRepo(server.url, user, 'metered');
    const backend = runnerBackendOn(server, 'rnr_usagepage');
    const me = await request<{ workspaces: Array<{ id: string }> }>(
      server.url,
      'GET',
      '/api/v1/me',
      {
        token: user.token,
      },
    );
    const workspaceId = me.body.workspaces[0]!.id;
    for (const [model, inputTokens, outputTokens] of [
      ['anthropic/claude-sonnet-4-5', 40_000, 6_000],
      ['openai/gpt-4o-mini', 90_000, 12_000],
    ] as const) {
      const { taskId, runId } = await claimedRun(server, backend, user, repo.id);
      taskIds.push(taskId);
      await recordUsage(server.database.db, {
        caller: { runId, taskId, workspaceId, userId: user.id },
        model,
        usage: { inputTokens, outputTokens },
      });
      await backend.finish(runId, { status: 'succeeded', exitCode: 0 });
    }
    const cancelled = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId: repo.id, prompt: 'Not this one', commands: ['true'] },
    });
    expect(cancelled.status).toBe(201);
    const cancel = await request(
      server.url,
      'POST',
      `/api/v1/tasks/${cancelled.body.task.id}/cancel`,
      {
        token: user.token,
      },
    );
    expect(cancel.status).toBeLessThan(300);

    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/tasks');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('draws cost and tokens per day, tables them by model, and offers the CSV', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Usage' })
      .click();
    await page.waitForURL('**/usage');
    const chart = page.getByTestId('usage-chart');
    await chart.locator('svg .recharts-bar-rectangle').first().waitFor();
    expect(await chart.locator('svg .recharts-line-dot').count()).toBeGreaterThan(0);
    await page.getByLabel('Group by').selectOption('model');
    const row = page.getByRole('row').filter({ hasText: 'openai/gpt-4o-mini' });
    await row.getByText('90k', { exact: true }).waitFor();
    await page.getByRole('row').filter({ hasText: 'anthropic/claude-sonnet-4-5' }).waitFor();

    const download = page.getByRole('link', { name: 'Download CSV' });
    const href = (await download.getAttribute('href')) ?? '';
    expect(href).toContain('format=csv');
    const csv = await page.request.get(href);
    expect(csv.headers()['content-disposition']).toMatch(/^attachment; filename="lucid-usage-/);
    expect(await csv.text()).toContain('openai/gpt-4o-mini');
    await screenshot(page, 'usage-page');
  });

  it('lists what the test did, and filters it by action', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Audit' })
      .click();
    await page.waitForURL('**/audit');
    const entries = page.getByRole('table', { name: 'Audit entries' });
    await entries.getByRole('row').filter({ hasText: 'task.cancel' }).waitFor();
    for (const id of taskIds) {
      await entries
        .getByRole('row')
        .filter({ hasText: 'task.create' })
        .filter({ hasText: id })
        .waitFor();
    }
    expect(await entries.getByText('Hedy Lamarr').count()).toBeGreaterThan(0);

    await page.getByLabel('Action').fill('task.');
    await page.getByRole('button', { name: 'Apply' }).click();
    await entries
      .getByRole('row')
      .filter({ hasText: 'repo.create' })
      .waitFor({ state: 'detached' });
    const actions = await entries.locator('tbody tr td:nth-child(3)').allTextContents();
    expect(actions).toEqual(['task.cancel', 'task.create', 'task.create', 'task.create']);
    await screenshot(page, 'audit-page');

    await page.getByLabel('Action').fill('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await entries.getByRole('row').filter({ hasText: 'repo.create' }).waitFor();
    expect(await page.getByRole('button', { name: 'Newer' }).isDisabled()).toBe(true);
  });
});
