/**
 * Best-of-N in a real browser, against a real server with a runner, the fake LLM and the fake
 * GitHub: the repository's check command set in its settings, a best-of-3 task started from the
 * new-task page, its attempts side by side (checks, diff stats, rank), the diff between two of
 * them, one kept, and the pull request of its branch linked from the task page; the board's card
 * tells “3 attempts, 2 green”. A card made on the board with two attempts waits in To Do; started
 * there, its attempts run and the top one is kept by itself. Stop attempts on a best-of-2 task's page
 * stops both attempts, and its card waits in To Do, stopped.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { LocalDriver } from '../packages/server/src/sandbox/local/local-driver.ts';
import { startFakeGitHub, type FakeGitHub } from '../packages/server/test/fakes/github/index.ts';
import {
  offersTools,
  startFakeLlm,
  type FakeLlm,
  type ScriptStep,
} from '../packages/server/test/fakes/llm/index.ts';
import { request, signUp, type TestUser } from '../packages/server/test/support/client.ts';
import { linkedRepo } from '../packages/server/test/support/forges.ts';
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

/** A request that answers a tool's result: the attempt's second step. */
const answersTool = (body: Record<string, unknown>) =>
  offersTools(body) && JSON.stringify(body.messages ?? []).includes('tool_result');

/** Each attempt's first request writes one of these files, its second finishes. */
function attemptsScript(files: [string, number][]): ScriptStep[] {
  const first = (body: Record<string, unknown>) => offersTools(body) && !answersTool(body);
  return [
    ...files.map(([file, lines]) => ({
      when: first,
      toolCalls: [
        {
          name: 'write_file',
          input: {
            path: file,
            content: Array.from({ length: lines }, (_, i) => `${file} ${i + 1}`).join('\n') + '\n',
          },
        },
      ],
    })),
    ...files.map(() => ({
      when: answersTool,
      toolCalls: [{ name: 'finish', input: { summary: 'Wrote the notes.' } }],
    })),
  ];
}

describe.skipIf(chromiumMissing)('the web app, a best-of-3 task', () => {
  let github: FakeGitHub;
  let llm: FakeLlm;
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let user: TestUser;
  let repo: { id: string; fullName: string };

  beforeAll(async () => {
    github = await startFakeGitHub();
    llm = await startFakeLlm();
    server = await startWebServer({
      env: {
        ...github.env(),
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-best-of-n-e2e-0123456789',
          openai: 'sk-openai-best-of-n-e2e-0123456789',
          compatible: 'sk-local-best-of-n-e2e-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      },
      runner: {
        driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
        slots: 3,
        maxRuntimeMs: 120_000,
        pollMs: 100,
        warmPool: 0,
      },
    });
    user = await signUp(server.url, 'Grace Hopper');
    const account = github.addUser({ login: 'grace' });
    repo = await linkedRepo(server, {
      user,
      provider: 'github',
      fake: github,
      login: account.login,
      token: account.token,
      name: 'compiler',
    });
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
    await page.goto(`/sign-in?next=${encodeURIComponent(`/repos/${repo.id}`)}`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`**/repos/${repo.id}`);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await llm?.close();
    await github?.close();
  });

  it("sets the repository's check command in its settings", async () => {
    await page.getByLabel('Check command').fill('test ! -e broken.txt');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  });

  it('starts a best-of-3 task and shows its attempts side by side, ranked', async () => {
    llm.script(
      attemptsScript([
        ['broken.txt', 1],
        ['long-notes.txt', 9],
        ['notes.txt', 2],
      ]),
    );
    await page.goto(`/tasks/new?repo=${repo.id}`);
    await page.getByLabel('What should be done?').fill('Write the release notes');
    await page.getByLabel('Attempts').selectOption('3');
    await page.getByLabel('Keep').selectOption('choose');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/(?!new$)[a-z0-9_]+$/);
    const panel = page.getByRole('tabpanel', { name: 'Attempts' });
    await panel
      .getByRole('status')
      .filter({ hasText: 'Keep one to publish it.' })
      .waitFor({ timeout: 90_000 });
    const cards = panel.getByRole('listitem');
    expect(await cards.count()).toBe(3);
    const first = cards.filter({ hasText: 'Rank 1' });
    await first.getByText('✓ Checks passed').waitFor();
    await first.getByText('+2 −0').waitFor();
    await cards.filter({ hasText: 'Rank 3' }).getByText('✗ Checks failed').waitFor();
    await screenshot(page, 'attempts');
  });

  it('compares two attempts’ diffs', async () => {
    const compare = page.getByRole('region', { name: 'Compare attempts' });
    await compare.getByLabel('From').selectOption({ label: 'Attempt 1' });
    await compare.getByLabel('To').selectOption({ label: 'Attempt 2' });
    const diff = compare.getByLabel('Diff between attempts');
    await diff.waitFor();
    expect(await diff.locator('.diff-added').count()).toBeGreaterThan(0);
    expect(await diff.locator('.diff-removed').count()).toBeGreaterThan(0);
    await screenshot(page, 'attempts-diff');
  });

  it('keeps the top attempt and links its pull request', async () => {
    const panel = page.getByRole('tabpanel', { name: 'Attempts' });
    const top = panel.getByRole('listitem').filter({ hasText: 'Rank 1' });
    const branch = (await top.locator('.font-mono').textContent()) ?? '';
    await top.getByRole('button', { name: /^Keep attempt/ }).click();
    await top.getByText('Kept', { exact: true }).waitFor();
    const banner = page.getByRole('status').filter({ hasText: 'was pushed to this server' });
    await banner
      .getByRole('link', { name: 'Open the pull request #1' })
      .waitFor({ timeout: 60_000 });
    expect(github.pulls(repo.fullName).map((pull) => pull.head)).toEqual([branch]);
    await screenshot(page, 'attempts-kept');
  });

  it('tells the tally on the board card', async () => {
    await page.goto(`/repos/${repo.id}/board`);
    await page.getByText('3 attempts, 2 green').waitFor();
  });

  it('makes a best-of-2 card on the board that starts its attempts when started', async () => {
    llm.script(
      attemptsScript([
        ['changelog.txt', 2],
        ['long-changelog.txt', 6],
      ]),
    );
    await page.getByRole('button', { name: 'New card' }).click();
    const dialog = page.getByRole('dialog', { name: 'New card' });
    await dialog.getByLabel('Title').fill('Write the changelog');
    await dialog.getByLabel('Description').fill('Write the changelog for the release');
    await dialog.getByLabel('Attempts').selectOption('2');
    await dialog.getByLabel('Keep').selectOption('auto');
    await screenshot(page, 'board-new-card-attempts');
    await dialog.getByRole('button', { name: 'Create card' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const todo = page
      .getByRole('region', { name: 'To Do', exact: true })
      .getByRole('listitem', { name: 'Write the changelog', exact: true });
    await todo.waitFor();
    await page.getByRole('button', { name: 'Start Write the changelog' }).click();
    const review = page
      .getByRole('region', { name: 'In Review', exact: true })
      .getByRole('listitem', { name: 'Write the changelog', exact: true });
    await review.getByText('2 attempts, 2 green').waitFor({ timeout: 90_000 });
    await screenshot(page, 'board-attempts-started');
  });

  it('stops every attempt with Stop on the task page', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const prompt = 'Write the migration guide, slowly';
    const mine = (body: Record<string, unknown>) =>
      offersTools(body) && JSON.stringify(body).includes(prompt);
    llm.script([1, 2].map(() => ({ when: mine, hold: held, text: 'Thinking.' })));
    try {
      await page.goto(`/tasks/new?repo=${repo.id}`);
      await page.getByLabel('What should be done?').fill(prompt);
      await page.getByLabel('Attempts').selectOption('2');
      await page.getByRole('button', { name: 'Start task' }).click();
      await page.waitForURL(/\/tasks\/(?!new$)[a-z0-9_]+$/);
      const taskId = page.url().split('/').pop()!;
      const attempts = async () =>
        (
          await request<{ attempts: { id: string; status: string }[] }>(
            server.url,
            'GET',
            `/api/v1/tasks/${taskId}/attempts`,
            { token: user.token },
          )
        ).body.attempts;
      while (!(await attempts()).every((a) => a.status === 'running')) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const stopAnswer = page.waitForResponse('**/api/v1/tasks/*/stop');
      await page.getByRole('button', { name: 'Stop attempts' }).click();
      expect((await stopAnswer).status()).toBe(200);
      for (const attempt of await attempts()) {
        while (
          (
            await request<{ status: string }>(server.url, 'GET', `/api/v1/tasks/${attempt.id}`, {
              token: user.token,
            })
          ).body.status !== 'cancelled'
        ) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      await page
        .getByRole('status')
        .filter({ hasText: 'The task was stopped: its attempts were cancelled' })
        .waitFor();
      await page
        .getByRole('tabpanel', { name: 'Attempts' })
        .getByRole('listitem')
        .filter({ hasText: 'stopped' })
        .nth(1)
        .waitFor();
      await screenshot(page, 'attempts-stopped');
      await page.goto(`/repos/${repo.id}/board`);
      const card = page
        .getByRole('region', { name: 'To Do', exact: true })
        .locator(`[data-task-id="${taskId}"]`);
      await card.getByText('Stopped', { exact: true }).waitFor();
    } finally {
      release();
    }
  });
});
