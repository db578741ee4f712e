/**
 * Notion in a real browser against the fake Notion: connect a Notion workspace through its consent
 * page (its name and icon shown; a refused internal token says why), then on New task → From
 * Notion pick a database, map it onto a repository from the guessed defaults, pick a task from its
 * pages (status filter, search, paging) and start it with the page's Markdown as the prompt; the
 * page moves to in progress with a comment linking the task, and the task page shows the Notion
 * card with the “Notion updated” banner and the line in the conversation. Once Notion refuses
 * Lucid's token, the next write-back says so on the task and Integrations asks for a reconnect.
 * Then the mapping starts tasks automatically from pages entering "Ready for Lucid", and shows its
 * last poll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { signUp, type TestUser } from '../packages/server/test/support/client.ts';
import { fakeProviderEnv } from '../packages/server/test/support/providers.ts';
import { request } from '../packages/server/test/support/client.ts';
import { pushedRepo } from '../packages/server/test/support/tasks.ts';
import type { TestServer } from '../packages/server/test/support/test-server.ts';
import {
  richText,
  startFakeNotion,
  type FakeDatabase,
  type FakeNotion,
  type FakePage,
} from '../packages/server/test/fakes/notion/index.ts';
import {
  chromiumMissing,
  openBrowser,
  screenshot,
  skipReason,
  type BrowserSession,
} from './support/browser.ts';
import { startWebServer } from './support/web-server.ts';

if (chromiumMissing) console.log(skipReason);

describe.skipIf(chromiumMissing)('the web app, Notion', () => {
  let notion: FakeNotion;
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let user: TestUser;
  let login: FakePage;
  let board: FakeDatabase;

  beforeAll(async () => {
    notion = await startFakeNotion({ clientId: 'lucid', clientSecret: 'notion-secret' });
    board = notion.addDatabase({
      title: 'Sprint board',
      icon: '🗂️',
      properties: {
        Name: { type: 'title' },
        Status: {
          type: 'status',
          options: ['Not started', 'Ready for Lucid', 'In progress', 'In review', 'Done'],
        },
        PR: { type: 'url' },
      },
    });
    login = notion.addPage(board, {
      title: 'Fix the login page',
      values: { Status: 'Not started' },
      blocks: [
        { type: 'heading_2', content: { rich_text: [richText('Why')] } },
        { type: 'paragraph', content: { rich_text: [richText('Sign-in takes five seconds.')] } },
        { type: 'to_do', content: { rich_text: [richText('Cache the session')], checked: false } },
      ],
    });
    for (let i = 1; i <= 11; i++) {
      notion.addPage(board, { title: `Chore ${i}`, values: { Status: 'Not started' } });
    }
    notion.addPage(board, { title: 'Ship the beta', values: { Status: 'Done' } });
    // No runner: the task stays queued; nothing listens at the providers' address.
    server = await startWebServer({
      env: {
        ...fakeProviderEnv('http://127.0.0.1:9', { anthropic: 'a', openai: 'o', compatible: 'c' }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        NOTION_API_URL: notion.url,
        NOTION_CLIENT_ID: 'lucid',
        NOTION_CLIENT_SECRET: 'notion-secret',
        // The test polls for automatic pickup itself.
        NOTION_PICKUP_INTERVAL_MS: '0',
      },
    });
    user = await signUp(server.url, 'Dorothy Vaughan');
    await pushedRepo(server.url, user, 'webshop');
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
    await page.goto(`/sign-in?next=${encodeURIComponent('/settings/integrations')}`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/settings/integrations');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await notion?.stop();
  });

  it('refuses an internal token Notion refuses, and connects through the consent page', async () => {
    await page.getByRole('button', { name: 'Use an internal integration token' }).click();
    await page.getByLabel('Internal integration secret').fill('ntn_not-a-real-one-at-all');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText('Notion refused this token').waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('link', { name: 'Connect Notion' }).click();
    await page.waitForURL('**/settings/integrations');
    await page.getByText('Acme HQ').waitFor();
    await page.getByText('connected by OAuth', { exact: false }).waitFor();
    await screenshot(page, 'notion-connect');
  });

  it('maps a database and picks a task from it: the prompt is the page', async () => {
    await page.goto('/tasks/new');
    await page.getByRole('tab', { name: 'From Notion' }).click();
    await page.getByRole('button', { name: 'Choose Sprint board' }).click();
    const mapping = page.getByRole('form', { name: 'Database mapping' });
    await mapping.waitFor();
    // The guessed defaults: the status property and its options, the PR link.
    expect(await mapping.getByLabel('Status property').inputValue()).toBe('Status');
    expect(await mapping.getByLabel('To do').inputValue()).toBe('Not started');
    expect(await mapping.getByLabel('PR link property').inputValue()).toBe('PR');
    await mapping.getByLabel('Base branch').fill('main');
    await mapping.getByRole('button', { name: 'Save mapping' }).click();

    const tasks = page.getByRole('list', { name: 'Notion tasks' });
    const use = (title: string) => tasks.getByRole('button', { name: `Use ${title}` });
    await use('Chore 11').waitFor();
    // To do by default: ten a page, the done one not among them.
    expect(await tasks.getByRole('listitem').count()).toBe(10);
    expect(await use('Ship the beta').count()).toBe(0);
    await page.getByRole('button', { name: 'Next' }).click();
    await use('Fix the login page').waitFor();
    await page.getByRole('button', { name: 'Previous' }).click();
    await use('Chore 11').waitFor();
    await page.getByLabel('Task', { exact: true }).fill('login');
    await use('Chore 11').waitFor({ state: 'detached' });
    await use('Fix the login page').click();

    const prompt = page.getByLabel('What should be done?');
    await expect
      .poll(() => prompt.inputValue())
      .toBe(
        '# Fix the login page\n\n## Why\n\nSign-in takes five seconds.\n\n- [ ] Cache the session\n\n' +
          `Notion page: ${login.url}`,
      );
    await page.getByText('From Notion: Fix the login page', { exact: false }).waitFor();
    const repo = page.getByRole('form', { name: 'New task' }).getByLabel('Repository');
    expect(await repo.locator('option:checked').textContent()).toBe('webshop');
    await screenshot(page, 'notion-pick');
  });

  it('starts the task, whose page shows the Notion card', async () => {
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/task_/);
    // The task started: a durable job moves its page to the mapping's "in progress".
    await expect
      .poll(() => notion.page(login.id)?.values.Status, { timeout: 15_000 })
      .toBe('In progress');
    await page.reload();
    const card = page.getByRole('region', { name: 'Notion page' });
    await card.getByText('Fix the login page').waitFor();
    await card.getByText('In progress', { exact: true }).waitFor();
    expect(await card.getByRole('link', { name: 'Open in Notion' }).getAttribute('href')).toBe(
      login.url,
    );
    await screenshot(page, 'notion-card');
  });

  it('tells what Lucid wrote to the page: the “Notion updated” banner with the page’s link', async () => {
    const card = page.getByRole('region', { name: 'Notion page' });
    const banner = card.getByRole('status');
    await banner.getByText('Notion updated — status In progress, comment posted').waitFor();
    expect(await banner.getByRole('link', { name: 'See the page' }).getAttribute('href')).toBe(
      login.url,
    );
    const taskUrl = page.url();
    expect(notion.comments.filter((c) => c.pageId === login.id).map((c) => c.text)).toEqual([
      `Lucid started: ${taskUrl}`,
    ]);
    await page
      .getByText('Notion updated — status In progress, comment posted · the page')
      .waitFor();
    await screenshot(page, 'notion-updated');
  });

  it('starts tasks automatically from the pages entering a status, and shows the last poll', async () => {
    await page.goto('/tasks/new');
    await page.getByRole('tab', { name: 'From Notion' }).click();
    await page.getByRole('button', { name: 'Choose Sprint board' }).click();
    await page.getByRole('button', { name: 'Edit mapping' }).click();
    const mapping = page.getByRole('form', { name: 'Database mapping' });
    const pickup = mapping.getByLabel('Start tasks automatically when their status becomes');
    expect(await pickup.locator('option').allTextContents()).toEqual([
      'Never (start them here)',
      'Not started',
      'Ready for Lucid',
      'In progress',
      'In review',
      'Done',
    ]);
    await pickup.selectOption('Ready for Lucid');
    await mapping.getByRole('button', { name: 'Save mapping' }).click();
    const state = page.getByRole('status', { name: 'Automatic pickup' });
    await state.getByText('Automatic pickup is on, starting tasks as Dorothy Vaughan.').waitFor();
    await state.getByText('Not looked at yet.').waitFor();

    const notes = notion.addPage(board, {
      title: 'Write the release notes',
      values: { Status: 'Ready for Lucid' },
    });
    const started = await server.notionPickup.pollOnce();
    expect(started).toHaveLength(1);
    expect(await server.notionPickup.pollOnce()).toEqual([]);
    // Its run queued, the page moves on to the mapping's "in progress".
    await expect
      .poll(() => notion.page(notes.id)?.values.Status, { timeout: 15_000 })
      .toBe('In progress');

    await page.reload();
    await page.getByRole('tab', { name: 'From Notion' }).click();
    await page.getByRole('button', { name: 'Choose Sprint board' }).click();
    await page.getByRole('button', { name: 'Edit mapping' }).click();
    await page
      .getByRole('status', { name: 'Automatic pickup' })
      .getByText('Last looked at', { exact: false })
      .waitFor();
    expect(
      await page
        .getByRole('form', { name: 'Database mapping' })
        .getByLabel('Start tasks automatically when their status becomes')
        .inputValue(),
    ).toBe('Ready for Lucid');
    await screenshot(page, 'notion-pickup');

    await page.goto(`/tasks/${started[0]}`);
    const card = page.getByRole('region', { name: 'Notion page' });
    await card.getByText('Write the release notes').waitFor();
  });

  it('says on the task when Notion refuses Lucid’s token, and Integrations asks to reconnect', async () => {
    const taskId = page.url().split('/tasks/')[1]!;
    const connected = await request<{ connections: { id: string }[] }>(
      server.url,
      'GET',
      '/api/integrations/notion',
      { token: user.token },
    );
    expect(connected.body.connections).toHaveLength(1);
    for (const token of notion.issuedTokens()) notion.revoke(token);
    for (const action of ['stop', 'start']) {
      const done = await request(server.url, 'POST', `/api/v1/tasks/${taskId}/${action}`, {
        token: user.token,
      });
      expect(done.status, JSON.stringify(done.body)).toBeLessThan(300);
    }
    const card = page.getByRole('region', { name: 'Notion page' });
    const alert = card.getByRole('alert');
    await alert
      .getByText("Notion refused Lucid's token: reconnect in Settings → Integrations.")
      .waitFor();
    await alert.getByRole('link', { name: 'Open Integrations' }).click();
    await page.waitForURL('**/settings/integrations');
    await page.getByText("Needs reconnect: Notion refused Lucid's token").waitFor();
    await page.getByRole('link', { name: 'Reconnect Notion' }).waitFor();
    await screenshot(page, 'notion-reconnect');
  });
});
