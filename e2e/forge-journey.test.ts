/**
 * The whole forge journey in a real browser, against a real server with a runner, the fake LLM
 * and the fake GitHub and GitLab. On GitHub: sign up, connect the account through its consent page
 * (its avatar, which does not load, gives way to the initial), add a repository from the new-task
 * picker (its webhook's payload URL and secret are shown once, and set up on the fake forge) and
 * start a task there; the answer streams, the task reaches review, GitHub's 502 to the first
 * attempt to publish shows as a pending line, and the pushed banner links the pull request opened
 * on the retry with the agent's commit, whose description names the task; a follow-up's
 * second commit updates the same pull request; the repository page makes a new webhook secret, and
 * the old one is refused. On GitLab, connected with a personal token: add a project, run a task,
 * and find the merge request's link in the banner.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { FakeHook } from '../packages/server/test/fakes/forge-shared/http.ts';
import { LocalDriver } from '../packages/server/src/sandbox/local/local-driver.ts';
import { startFakeGitHub, type FakeGitHub } from '../packages/server/test/fakes/github/index.ts';
import { startFakeGitLab, type FakeGitLab } from '../packages/server/test/fakes/gitlab/index.ts';
import { startFakeLlm, type FakeLlm } from '../packages/server/test/fakes/llm/index.ts';
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

const run = promisify(execFile);

/** git in one of the fake forge's bare repositories. */
async function gitIn(repoPath: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd: repoPath });
  return stdout.trim();
}

/** An answer streamed a word at a time, so that the page shows it being written. */
const streamedAnswer =
  'I added **greeting.txt** and checked it. ' +
  Array.from({ length: 24 }, (_, i) => `step${i}`).join(' ') +
  ' Ready for review.';

/** The agent writes a file, runs a command that checks it, then answers. */
function writeCheckFinish(file: string, content: string, answer: string, delayMs = 0) {
  return [
    {
      text: `I will write ${file}.`,
      toolCalls: [{ name: 'write_file', input: { path: file, content } }],
    },
    { toolCalls: [{ name: 'bash', input: { command: `test -s ${file} && echo CHECKED` } }] },
    { text: answer, delayMs },
  ];
}

describe.skipIf(chromiumMissing)('the web app, a task published to GitHub and GitLab', () => {
  let github: FakeGitHub;
  let gitlab: FakeGitLab;
  let llm: FakeLlm;
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let gitlabToken = '';
  let taskId = '';
  let githubHook: FakeHook;

  const chat = () => page.getByRole('log', { name: 'Conversation' });
  const banner = () => page.getByRole('status').filter({ hasText: 'was pushed to this server' });

  /** The payload URL and secret shown in a webhook panel, as the user copies them. */
  async function shownWebhook(name: string): Promise<{ url: string; secret: string }> {
    const panel = page.getByRole('region', { name: `Webhook secret for ${name}` });
    await panel.waitFor();
    return {
      url: (await panel.getByTestId('webhook-url').locator('code').textContent()) ?? '',
      secret: (await panel.getByTestId('webhook-secret').locator('code').textContent()) ?? '',
    };
  }

  /**
   * New task → Add from <forge> → pick the repository → its webhook, set up on the forge → prompt
   * → start; returns the task id.
   */
  async function startFromForge(
    forge: 'GitHub' | 'GitLab',
    fullName: string,
    prompt: string,
  ): Promise<{ taskId: string; hook: FakeHook }> {
    // With no repository yet, the page invites to add one; the form comes once there is one.
    await page.goto('/tasks/new');
    await page.getByRole('button', { name: `Add from ${forge}` }).click();
    const picker = page.getByRole('region', { name: `Add from ${forge}` });
    await picker.getByRole('button', { name: `Add ${fullName}` }).waitFor();
    await screenshot(page, `journey-picker-${forge.toLowerCase()}`);
    await picker.getByRole('button', { name: `Add ${fullName}` }).click();
    await picker.waitFor({ state: 'detached' });
    const name = fullName.split('/').pop()!;
    const shown = await shownWebhook(name);
    expect(shown.url).toMatch(new RegExp(`/api/webhooks/${forge.toLowerCase()}/repo_[a-z0-9]+$`));
    expect(shown.secret).toMatch(/^[0-9a-f]{64}$/);
    await screenshot(page, `journey-webhook-${forge.toLowerCase()}`);
    const hook = (forge === 'GitHub' ? github : gitlab).addHook(fullName, shown);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'New task' }).waitFor();
    const select = page.getByLabel('Repository');
    await expect.poll(async () => select.locator('option:checked').textContent()).toBe(name);
    await page.getByLabel('What should be done?').fill(prompt);
    await expect.poll(async () => page.getByLabel('Base branch').inputValue()).toBe('main');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/(?!new$)[a-z0-9_]+$/);
    return { taskId: new URL(page.url()).pathname.split('/').pop() ?? '', hook };
  }

  /** A comment on an issue of the repository, sent by the forge to its webhooks; their statuses. */
  async function commentDelivered(fullName: string): Promise<number[]> {
    const issue = github.createIssue(fullName, { title: 'A question' });
    const payload = github.payloads.issueComment(fullName, issue.number, 'Nice work.', 'octo');
    return (await github.deliver(fullName, 'issue_comment', payload)).map((d) => d.status);
  }

  beforeAll(async () => {
    github = await startFakeGitHub();
    gitlab = await startFakeGitLab();
    llm = await startFakeLlm();
    github.addUser({ login: 'octo', name: 'Octo Cat' });
    await github.addRepo('octo', 'service', { files: { 'README.md': '# service\n' } });
    gitlabToken = gitlab.addUser({ login: 'tanuki', name: 'Tanuki' }).token;
    await gitlab.addRepo('tanuki', 'pipeline', { files: { 'README.md': '# pipeline\n' } });
    // GitLab has no OAuth app on this server: personal tokens only.
    const { GITLAB_CLIENT_ID: _id, GITLAB_CLIENT_SECRET: _secret, ...gitlabEnv } = gitlab.env();
    server = await startWebServer({
      env: {
        ...github.env(),
        ...gitlabEnv,
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-journey-test-0123456789',
          openai: 'sk-openai-journey-test-0123456789',
          compatible: 'sk-local-journey-test-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
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
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await llm?.close();
    await github?.close();
    await gitlab?.close();
  });

  it('signs up and connects GitHub, showing the account with its initial for a broken avatar', async () => {
    await page.goto('/sign-up');
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill(`ada-${process.pid}-${Date.now()}@example.test`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/tasks');

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Integrations' })
      .click();
    await page.waitForURL('**/settings/integrations');
    github.authorizeAs('octo');
    await page.getByRole('link', { name: 'Connect GitHub' }).click();
    await page.waitForURL('**/settings/integrations');
    const account = page.getByRole('listitem').filter({ hasText: '@octo' });
    await account.getByText('Octo Cat').waitFor();

    // The fake GitHub's avatar URL answers no image: the initial stands in for it.
    await account.getByText('O', { exact: true }).waitFor();
    expect(github.requests.some((r) => r.path.startsWith('/avatars/'))).toBe(true);
    expect(await account.locator('img').count()).toBe(0);
    const broken = await page.evaluate(
      '[...document.images].filter((img) => img.complete && img.naturalWidth === 0).length',
    );
    expect(broken).toBe(0);
    await screenshot(page, 'journey-integrations-github');
  });

  it('adds the GitHub repository from the new-task picker and starts a task that streams its answer', async () => {
    llm.script(writeCheckFinish('greeting.txt', 'hello from the agent\n', streamedAnswer, 120));
    ({ taskId, hook: githubHook } = await startFromForge(
      'GitHub',
      'octo/service',
      'Add a greeting file',
    ));
    // GitHub answers the run's first publishing request with a 502, then as usual.
    github.fail(502, 1);
    await chat().getByText('Add a greeting file').waitFor();
    const draft = chat().getByRole('article', { name: 'Agent message, being written' });
    await draft.getByText('step2', { exact: false }).waitFor({ timeout: 30_000 });
    await chat()
      .getByRole('article', { name: 'Agent message', exact: true })
      .filter({ hasText: 'Ready for review.' })
      .waitFor({ timeout: 30_000 });
  });

  it('opens a pull request with the agent’s commit once GitHub answers again, linked from the banner and the chat', async () => {
    const pending = chat().getByRole('status').filter({
      hasText: 'PR pending, retry 2 of 5: GitHub answered 502. Lucid tries again shortly.',
    });
    await pending.waitFor({ timeout: 30_000 });
    const link = banner().getByRole('link', { name: 'Open the pull request #1' });
    await link.waitFor({ timeout: 30_000 });
    await screenshot(page, 'lifecycle-publish-retry');
    expect(await chat().getByRole('alert').count()).toBe(0);
    await chat()
      .locator('p', { hasText: 'PR opened' })
      .getByRole('link', { name: 'Pull request #1' })
      .waitFor();
    await screenshot(page, 'journey-task-github-pr');

    const pulls = github.pulls('octo/service');
    expect(pulls).toHaveLength(1);
    const [pull] = pulls;
    expect(await link.getAttribute('href')).toBe(pull!.url);
    expect(pull).toMatchObject({ base: 'main', state: 'open' });
    expect(pull!.title).toContain('greeting');
    expect(pull!.body).toContain('Add a greeting file');
    expect(pull!.body).toContain(`/tasks/${taskId}`);

    const bare = github.repoPath('octo/service');
    expect(await gitIn(bare, ['show', `refs/heads/${pull!.head}:greeting.txt`])).toBe(
      'hello from the agent',
    );
    expect(await gitIn(bare, ['rev-list', '--count', `main..refs/heads/${pull!.head}`])).toBe('1');
  });

  it('updates the same pull request with a follow-up’s second commit', async () => {
    llm.script(writeCheckFinish('farewell.txt', 'goodbye\n', 'Added farewell.txt too.'));
    await page.getByLabel('Message to the agent').fill('Please also add a farewell file');
    await page.getByLabel('Message to the agent').press('Enter');
    await chat()
      .locator('p', { hasText: 'PR updated' })
      .getByRole('link', { name: 'Pull request #1' })
      .waitFor({ timeout: 30_000 });
    await chat()
      .getByRole('article', { name: 'Agent message', exact: true })
      .filter({ hasText: 'Added farewell.txt too.' })
      .waitFor();
    await banner().getByRole('link', { name: 'Open the pull request #1' }).waitFor();

    const pulls = github.pulls('octo/service');
    expect(pulls).toHaveLength(1);
    const bare = github.repoPath('octo/service');
    const head = `refs/heads/${pulls[0]!.head}`;
    expect(await gitIn(bare, ['rev-list', '--count', `main..${head}`])).toBe('2');
    expect(await gitIn(bare, ['show', `${head}:farewell.txt`])).toBe('goodbye');
    expect(await gitIn(bare, ['show', `${head}:greeting.txt`])).toBe('hello from the agent');
    expect(await chat().locator('p', { hasText: 'PR opened' }).count()).toBe(1);
    await screenshot(page, 'journey-task-github-updated');
  });

  it('makes a new webhook secret on the repository page; the old one is refused', async () => {
    // The secret shown when the repository was added is the one Lucid checks: a comment's
    // delivery is accepted (and ignored).
    expect(await commentDelivered('octo/service')).toEqual([202]);
    await page.goto('/repos');
    await page.getByRole('link', { name: 'service', exact: true }).click();
    const card = page.getByRole('region', { name: 'Tasks from issues' });
    await card.getByText(githubHook.url).waitFor();
    await card.getByRole('button', { name: 'New secret' }).click();
    await page.getByRole('button', { name: 'Make a new secret' }).click();
    const shown = await shownWebhook('service');
    expect(shown.url).toBe(githubHook.url);
    expect(shown.secret).not.toBe(githubHook.secret);
    await screenshot(page, 'journey-webhook-new-secret');

    expect(await commentDelivered('octo/service')).toEqual([401]);
    githubHook.secret = shown.secret;
    expect(await commentDelivered('octo/service')).toEqual([202]);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await card.getByRole('button', { name: 'New secret' }).waitFor();
  });

  it('connects GitLab with a token, runs a task on a project, and links its merge request', async () => {
    await page.goto('/settings/integrations');
    await page.getByRole('button', { name: 'Connect GitLab with a token' }).click();
    await page.getByLabel('GitLab personal access token').fill(gitlabToken);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText('@tanuki').waitFor();
    await page.getByText('@octo').waitFor();
    await screenshot(page, 'journey-integrations');

    llm.script(writeCheckFinish('pipeline.txt', 'stages: [test]\n', 'Added pipeline.txt.'));
    const { taskId: gitlabTask } = await startFromForge(
      'GitLab',
      'tanuki/pipeline',
      'Describe the pipeline',
    );
    const link = banner().getByRole('link', { name: 'Open the merge request !1' });
    await link.waitFor({ timeout: 30_000 });
    await chat()
      .locator('p', { hasText: 'MR opened' })
      .getByRole('link', { name: 'Merge request !1' })
      .waitFor();
    await screenshot(page, 'journey-task-gitlab-mr');

    const requests = gitlab.pulls('tanuki/pipeline');
    expect(requests).toHaveLength(1);
    expect(await link.getAttribute('href')).toBe(requests[0]!.url);
    expect(requests[0]!.body).toContain(`/tasks/${gitlabTask}`);
    expect(
      await gitIn(gitlab.repoPath('tanuki/pipeline'), [
        'show',
        `refs/heads/${requests[0]!.head}:pipeline.txt`,
      ]),
    ).toBe('stages: [test]');
  });
});
