/**
 * Safety before every push, in a real browser: an admin sets the workspace's protected paths on
 * the Safety settings page; the scripted agent commits an AWS key pair on a repository from the
 * fake GitHub; the task page says the push is blocked, its Safety tab lists every check with the
 * finding's file, line and masked secret, and nothing reaches GitHub; “Allow once” lets the next
 * push through and the pull request's link appears.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { LocalDriver } from '../packages/server/src/sandbox/local/local-driver.ts';
import { startFakeGitHub, type FakeGitHub } from '../packages/server/test/fakes/github/index.ts';
import {
  shellTrajectory,
  startFakeLlm,
  type FakeLlm,
} from '../packages/server/test/fakes/llm/index.ts';
import { fakeProviderEnv } from '../packages/server/test/support/providers.ts';
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

const SECRET_KEY = 'Zr8kQ2vN5xT1bW7yL0pH3sD9fG6jC4aM2eR8uK1n';

/** Writes settings.py with an AWS key pair; the secrets are never whole in the command. */
const plantKeys =
  `printf 'import os\\n\\naws_access_key_id = "AKIA%s"\\naws_secret_access_key = "%s%s"\\n' ` +
  `'4QZR7T2LMXW9PD3K' '${SECRET_KEY.slice(0, 20)}' '${SECRET_KEY.slice(20)}' > settings.py`;

describe.skipIf(chromiumMissing)('the web app, a push blocked by the safety checks', () => {
  let github: FakeGitHub;
  let llm: FakeLlm;
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let repoId = '';
  let taskId = '';
  let octoToken = '';

  /** Calls the API from the page, with its session, as the app does. */
  async function api<T>(method: string, pathname: string, json?: unknown): Promise<T> {
    const answer = await page.evaluate(
      async ({ method, pathname, json }) => {
        const response = await fetch(pathname, {
          method,
          headers: json === undefined ? {} : { 'content-type': 'application/json' },
          body: json === undefined ? null : JSON.stringify(json),
        });
        return { status: response.status, body: (await response.json()) as unknown };
      },
      { method, pathname, json },
    );
    expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
    return answer.body as T;
  }

  beforeAll(async () => {
    github = await startFakeGitHub();
    llm = await startFakeLlm();
    octoToken = github.addUser({ login: 'octo', name: 'Octo Cat' }).token;
    await github.addRepo('octo', 'vault', { files: { 'README.md': '# vault\n' } });
    server = await startWebServer({
      env: {
        ...github.env(),
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-safety-e2e-0123456789',
          openai: 'sk-openai-safety-e2e-0123456789',
          compatible: 'sk-local-safety-e2e-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      },
      runner: {
        driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
        slots: 1,
        pollMs: 100,
        warmPool: 0,
      },
    });
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await llm?.close();
    await github?.close();
  });

  it('sets the protected paths on the Safety settings page', async () => {
    await page.goto('/sign-up');
    await page.getByLabel('Name').fill('Grace Hopper');
    await page.getByLabel('Email').fill(`grace-${process.pid}-${Date.now()}@example.test`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/tasks');

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Safety' })
      .click();
    await page.waitForURL('**/settings/safety');
    await page.getByLabel('Protected paths').fill('.github/workflows/\ninfra/**');
    await page.getByLabel('Refused commands').fill('git push --force*');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('status').filter({ hasText: 'Policy saved.' }).waitFor();
    await screenshot(page, 'safety-policy');
  });

  it('blocks the push of a planted AWS key, shows the finding masked, and nothing reaches GitHub', async () => {
    await api('POST', '/api/integrations/github/token', { token: octoToken });
    const repo = await api<{ id: string }>('POST', '/api/integrations/github/repos', {
      fullName: 'octo/vault',
    });
    repoId = repo.id;
    llm.script(
      shellTrajectory([{ command: plantKeys }], 'Added the settings.', { finishTool: 'finish' }),
    );
    const created = await api<{ task: { id: string; branch: string } }>('POST', '/api/v1/tasks', {
      repoId,
      prompt: 'Add the cloud settings',
    });
    taskId = created.task.id;
    await page.goto(`/tasks/${taskId}`);

    const blocked = page.getByRole('alert').filter({ hasText: 'Push blocked:' });
    await blocked.waitFor({ timeout: 60_000 });
    await blocked.getByText('settings.py:3').waitFor();
    await blocked.getByRole('button', { name: 'Show the checks' }).click();
    const checks = page.getByRole('list', { name: 'Safety checks' });
    await checks.getByText('Secret scan', { exact: true }).waitFor();
    await checks.getByText('Protected paths', { exact: true }).waitFor();
    await checks.getByText('Files changed', { exact: true }).waitFor();
    await checks.getByText('settings.py:3', { exact: true }).waitFor();
    await checks.getByText('settings.py:4', { exact: true }).waitFor();
    await checks.getByText('AKIA…', { exact: true }).waitFor();
    await checks.getByText('Zr8k…', { exact: true }).waitFor();
    expect(await page.content()).not.toContain(SECRET_KEY);
    await screenshot(page, 'safety-blocked');

    expect(github.pulls('octo/vault')).toHaveLength(0);
    expect(github.requests.some((r) => JSON.stringify(r).includes(created.task.branch))).toBe(
      false,
    );
  });

  it('lets the push through once the findings are allowed, and the pull request opens', async () => {
    await page.getByRole('button', { name: 'Allow once' }).click();
    await page
      .getByRole('status')
      .getByRole('link', { name: 'Open the pull request #1' })
      .waitFor({ timeout: 60_000 });
    await page
      .getByRole('alert')
      .filter({ hasText: 'Push blocked:' })
      .waitFor({ state: 'detached' });
    const checks = page.getByRole('list', { name: 'Safety checks' });
    await checks.getByText('allowed once').first().waitFor();
    expect(github.pulls('octo/vault')).toHaveLength(1);
    await screenshot(page, 'safety-allowed');
  });
});
