/**
 * Forge integrations in a real browser against the fake GitHub and GitLab: connect GitHub through
 * its consent page and GitLab with a personal token, see the error a failed connection brings
 * back, add a repository from each (on the repositories page and in the new-task picker; each
 * shows its webhook's payload URL and secret once, saying where they go on the forge), and
 * disconnect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { TestServer } from '../packages/server/test/support/test-server.ts';
import { startFakeGitHub, type FakeGitHub } from '../packages/server/test/fakes/github/index.ts';
import { startFakeGitLab, type FakeGitLab } from '../packages/server/test/fakes/gitlab/index.ts';
import {
  chromiumMissing,
  openBrowser,
  screenshot,
  skipReason,
  type BrowserSession,
} from './support/browser.ts';
import { startWebServer } from './support/web-server.ts';

if (chromiumMissing) console.log(skipReason);

describe.skipIf(chromiumMissing)('the web app, forge integrations', () => {
  let github: FakeGitHub;
  let gitlab: FakeGitLab;
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let gitlabToken = '';

  beforeAll(async () => {
    github = await startFakeGitHub();
    gitlab = await startFakeGitLab();
    github.addUser({ login: 'octo', name: 'Octo Cat' });
    await github.addRepo('octo', 'service', { files: { 'README.md': '# service\n' } });
    await github.addRepo('octo', 'website', { files: { 'README.md': '# website\n' } });
    gitlabToken = gitlab.addUser({ login: 'tanuki', name: 'Tanuki' }).token;
    await gitlab.addRepo('tanuki', 'pipeline', { files: { 'README.md': '# pipeline\n' } });
    // GitLab has no OAuth app on this server: personal tokens only.
    const { GITLAB_CLIENT_ID: _id, GITLAB_CLIENT_SECRET: _secret, ...gitlabEnv } = gitlab.env();
    server = await startWebServer({ env: { ...github.env(), ...gitlabEnv } });
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await github?.close();
    await gitlab?.close();
  });

  it('connects GitHub through its consent page', async () => {
    await page.goto('/sign-up');
    await page.getByLabel('Name').fill('Grace Hopper');
    await page.getByLabel('Email').fill(`grace-${process.pid}-${Date.now()}@example.test`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/tasks');

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Integrations' })
      .click();
    await page.waitForURL('**/settings/integrations');
    expect(await page.getByRole('link', { name: 'Connect GitLab' }).count()).toBe(0);
    github.authorizeAs('octo');
    await page.getByRole('link', { name: 'Connect GitHub' }).click();
    await page.waitForURL('**/settings/integrations');
    await page.getByText('@octo').waitFor();
    await page.getByText('Octo Cat').waitFor();
    await screenshot(page, 'integrations-github');
  });

  it('connects GitLab with a personal token, refusing a wrong one', async () => {
    await page.getByRole('button', { name: 'Connect GitLab with a token' }).click();
    const field = page.getByLabel('GitLab personal access token');
    await field.fill('glpat-not-a-real-one');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText('GitLab refused this token').waitFor();
    await field.fill(gitlabToken);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText('@tanuki').waitFor();
    expect(await page.content()).not.toContain(gitlabToken);
  });

  it('shows why a connection failed', async () => {
    await page.goto(
      '/settings/integrations?error=forge_error&message=GitHub+access+was+not+granted.',
    );
    await page.getByRole('alert').getByText('GitHub access was not granted.').waitFor();
    await screenshot(page, 'integrations-error');
  });

  it('adds a GitHub repository from the repositories page', async () => {
    await page.goto('/repos');
    await page.getByRole('button', { name: 'Add from GitHub' }).click();
    const picker = page.getByRole('region', { name: 'Add from GitHub' });
    await picker.getByText('octo/website').waitFor();
    await picker.getByLabel('Search your GitHub repositories').fill('serv');
    await picker.getByText('octo/website').waitFor({ state: 'detached' });
    await screenshot(page, 'add-from-github');
    await picker.getByRole('button', { name: 'Add octo/service' }).click();
    const webhook = page.getByRole('region', { name: 'Webhook secret for service' });
    await webhook.getByText('Settings → Webhooks → Add webhook').waitFor();
    await screenshot(page, 'add-from-github-webhook');
    await webhook.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/repos\/[a-z0-9_]+$/);
    await page.getByRole('heading', { name: 'service', level: 1 }).waitFor();
    const card = page.getByRole('region', { name: 'Tasks from issues' });
    await card.getByText('/api/webhooks/github/repo_', { exact: false }).waitFor();
    await card.getByText('Its secret was shown once', { exact: false }).waitFor();
  });

  it('adds a GitLab repository from the new-task picker and selects it', async () => {
    await page.goto('/tasks/new');
    await page.getByRole('button', { name: 'Add from GitLab' }).click();
    await page.getByRole('button', { name: 'Add tanuki/pipeline' }).click();
    await page.getByRole('region', { name: 'Add from GitLab' }).waitFor({ state: 'detached' });
    const webhook = page.getByRole('region', { name: 'Webhook secret for pipeline' });
    await webhook.getByText('Settings → Webhooks → Add new webhook').waitFor();
    await webhook.getByRole('button', { name: 'Continue' }).click();
    const select = page.getByLabel('Repository');
    await select.locator('option', { hasText: 'pipeline' }).waitFor({ state: 'attached' });
    await expect.poll(async () => select.locator('option:checked').textContent()).toBe('pipeline');
  });

  it('disconnects GitLab', async () => {
    await page.goto('/settings/integrations');
    await page.getByText('@tanuki').waitFor();
    const row = page.getByRole('listitem').filter({ hasText: '@tanuki' });
    await row.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disconnect' }).click();
    await page.getByText('@tanuki').waitFor({ state: 'detached' });
    await page.getByText('@octo').waitFor();
  });
});
