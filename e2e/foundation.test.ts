/**
 * The first journey through the web app in a real browser, against a real server: sign up, create
 * a repository, push code into it with git and a token made in the page, read its history, manage
 * tokens, sign out and back in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { TestServer } from '../packages/server/test/support/test-server.ts';
import { authedUrl, git, gitOk, makeLocalRepo } from '../packages/server/test/support/git.ts';
import { request, signUp } from '../packages/server/test/support/client.ts';
import {
  chromiumMissing,
  openBrowser,
  screenshot,
  skipReason,
  type BrowserSession,
} from './support/browser.ts';
import { startWebServer } from './support/web-server.ts';

if (chromiumMissing) console.log(skipReason);

describe.skipIf(chromiumMissing)('the web app, first journey', () => {
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  const user = {
    name: 'Ada Lovelace',
    email: `ada-${process.pid}-${Date.now()}@example.test`,
    password: 'correct horse battery',
  };
  let cloneUrl = '';
  let token = '';

  beforeAll(async () => {
    server = await startWebServer();
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const path = () => new URL(page.url()).pathname;

  it('offers the first visitor of a new server to create its admin account', async () => {
    await page.goto('/');
    await page.waitForURL('**/sign-in');
    await page.getByRole('heading', { name: 'Welcome to Lucid' }).waitFor();
    expect(await page.getByText('Welcome back').count()).toBe(0);
    expect(await page.getByRole('button', { name: /GitHub|Google/ }).count()).toBe(0);
    await screenshot(page, 'first-visit');

    await page.getByRole('link', { name: 'Create the admin account' }).click();
    await page.waitForURL('**/sign-up');
    await page.getByRole('heading', { name: 'Create the admin account' }).waitFor();
    await page.getByLabel('Name').fill(user.name);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await screenshot(page, 'sign-up');
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.waitForURL('**/tasks');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Repositories' })
      .click();
    await page.waitForURL('**/repos');
    await page.getByRole('heading', { name: 'No repositories yet' }).waitFor();
    const banner = page.getByRole('banner');
    await banner.getByText(user.name).waitFor();
    await banner.getByText(user.email).waitFor();
    await screenshot(page, 'repos-empty');
  });

  it('creates a repository and lists it with its clone URL and push commands', async () => {
    await page.getByRole('button', { name: 'New repository' }).click();
    await page.getByLabel('Name').fill('demo');
    expect(await page.getByLabel('Default branch').inputValue()).toBe('main');
    await page.getByRole('button', { name: 'Create repository' }).click();

    const item = page
      .getByRole('listitem')
      .filter({ has: page.getByRole('link', { name: 'demo', exact: true }) });
    await item.waitFor();
    cloneUrl = (await item.locator('code').first().textContent()) ?? '';
    expect(cloneUrl).toMatch(new RegExp(`^${server.url}/git/[a-z0-9_]+\\.git$`));
    await item.getByText(`git remote add lucid ${cloneUrl}`).waitFor();
    await item.getByText('git push lucid main').waitFor();
    const importCard = page.getByRole('region', { name: 'Import a local repository' });
    await importCard.getByText(`npm install -g ${server.url}/cli.tgz`).waitFor();
    await importCard.getByText(`lucid login --server ${server.url} --token <token>`).waitFor();
    await importCard.getByText('lucid ingest <path> --name <name>').waitFor();
    await item.getByText('never', { exact: true }).waitFor();
    await screenshot(page, 'repos-list');

    await page.getByRole('button', { name: 'New repository' }).click();
    await page.getByLabel('Name').fill('demo');
    await page.getByRole('button', { name: 'Create repository' }).click();
    await page.getByText('A repository named "demo" already exists in this workspace.').waitFor();
    await screenshot(page, 'repos-name-taken');
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('makes a token that is shown once', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'API tokens' })
      .click();
    await page.waitForURL('**/settings/tokens');
    await page.getByRole('heading', { name: 'No tokens yet' }).waitFor();
    await page.getByLabel('Token name').fill('laptop');
    await page.getByRole('button', { name: 'Create token' }).click();

    await page.getByText('Copy it now: it will not be shown again.').waitFor();
    token = (await page.getByTestId('new-token').locator('code').textContent()) ?? '';
    expect(token.length).toBeGreaterThan(20);
    await page.getByText(`lucid login --server ${server.url} --token ${token}`).waitFor();
    const install = page.getByRole('group', { name: 'Install the lucid command' });
    expect(await install.locator('pre code').textContent()).toBe(
      `npm install -g ${server.url}/cli.tgz`,
    );
    await install.getByRole('button', { name: 'Copy the install command' }).waitFor();
    await screenshot(page, 'tokens-created');

    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('cell', { name: 'laptop', exact: true }).waitFor();
    expect(await page.content()).not.toContain(token);
    await page.reload();
    await page.getByRole('cell', { name: 'laptop', exact: true }).waitFor();
    expect(await page.content()).not.toContain(token);
  });

  it('shows the branch and commits after a real git push', async () => {
    const local = await makeLocalRepo({ 'README.md': '# demo\n' });
    await gitOk(['commit', '--quiet', '--allow-empty', '-m', 'Add the greeting'], local);
    await gitOk(['push', '--quiet', authedUrl(cloneUrl, token), 'main'], local);
    const head = (await gitOk(['rev-parse', 'HEAD'], local)).trim();

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Repositories' })
      .click();
    await page.getByRole('link', { name: 'demo', exact: true }).click();
    await page.waitForURL(/\/repos\/[a-z0-9_]+$/);
    await page.getByRole('heading', { name: 'demo', level: 1 }).waitFor();

    const branches = page.getByRole('table', { name: 'Branches' });
    await branches.getByRole('cell', { name: /^main/ }).waitFor();
    await branches.getByRole('cell', { name: head.slice(0, 7) }).waitFor();
    const commits = page.getByRole('list', { name: 'Recent commits' });
    await commits.getByText('Add the greeting').waitFor();
    await commits.getByText('first commit').waitFor();
    expect(await page.getByText('Last push never').count()).toBe(0);
    await screenshot(page, 'repo-detail');

    // A push while the page is open shows at once.
    await gitOk(['commit', '--quiet', '--allow-empty', '-m', 'Add the farewell'], local);
    await gitOk(['push', '--quiet', authedUrl(cloneUrl, token), 'main'], local);
    await commits.getByText('Add the farewell').waitFor();
    await commits.getByRole('listitem').first().getByText('main', { exact: true }).waitFor();
    await screenshot(page, 'repo-detail-after-push');

    await page.getByLabel('Description').fill('A demo project');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();
    await page.reload();
    await page.getByText('A demo project').first().waitFor();
  });

  it('revokes the token, after which git refuses it', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'API tokens' })
      .click();
    const row = page.getByRole('row').filter({ hasText: 'laptop' });
    await row.waitFor();
    expect(await row.getByText('never').count()).toBe(0);

    await page.getByRole('button', { name: 'Revoke laptop' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke “laptop”?' });
    await dialog.waitFor();
    await screenshot(page, 'tokens-revoke');
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await page.getByRole('heading', { name: 'No tokens yet' }).waitFor();

    const refused = await git(['ls-remote', authedUrl(cloneUrl, token)]);
    expect(refused.code).not.toBe(0);
  });

  it('signs out, keeps signed-out users out, and shows a wrong password as the server words it', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in');
    // A server with an account welcomes its users back.
    await page.getByRole('heading', { name: 'Sign in to Lucid' }).waitFor();
    await page.getByText(/^Welcome back\./).waitFor();
    await screenshot(page, 'sign-in');
    await page.goto('/repos');
    await page.waitForURL('**/sign-in');
    await page.goto('/settings/tokens');
    await page.waitForURL('**/sign-in?next=%2Fsettings%2Ftokens');

    const wrong = await request<{ message: string }>(
      server.url,
      'POST',
      '/api/auth/sign-in/email',
      {
        json: { email: user.email, password: 'not the password' },
      },
    );
    expect(wrong.status).toBe(401);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText(wrong.body.message).waitFor();
    expect(path()).toBe('/sign-in');
    await screenshot(page, 'sign-in-error');

    await page.getByLabel('Password').fill(user.password);
    await page.getByLabel('Password').press('Enter');
    await page.waitForURL('**/settings/tokens');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Repositories' })
      .click();
    await page.getByRole('link', { name: 'demo', exact: true }).waitFor();
  });

  it('deletes the repository after confirmation', async () => {
    await page.getByRole('link', { name: 'demo', exact: true }).click();
    await page.getByRole('button', { name: 'Delete repository' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete demo?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Delete repository' }).click();
    await page.waitForURL('**/repos');
    await page.getByRole('heading', { name: 'No repositories yet' }).waitFor();
  });

  it('offers GitHub sign-in only when the server has it configured', async () => {
    const withGitHub = await startWebServer({
      env: {
        GITHUB_CLIENT_ID: 'client-id',
        GITHUB_CLIENT_SECRET: 'client-secret',
      },
    });
    try {
      // A server with an account: its sign-in page, not the first visit's.
      await signUp(withGitHub.url, 'Grace Hopper');
      await page.goto(`${withGitHub.url}/sign-in`);
      await page.getByRole('button', { name: 'Continue with GitHub' }).waitFor();
      expect(await page.getByRole('button', { name: 'Continue with Google' }).count()).toBe(0);
      await screenshot(page, 'sign-in-social');
    } finally {
      await withGitHub.close();
    }
  });
});
