/**
 * The board in a real browser, against a real server with a runner and the fake LLM: the only
 * repository's board opens straight from the navigation; create two cards in modals (and rename
 * and delete a third, made on another base branch); a drop that means nothing is refused with a
 * message; start a card by dragging it to In Progress and watch it reach In Review; read its
 * timeline, runs, diff (unified and split) and commit graph in the card detail; approve it to Done
 * and find the agent's commit in a fresh clone of the default branch; start the other with its
 * button and reject it back to To Do by dragging, with the reason shown; find cards by words,
 * status and agent; a card whose run changed nothing comes back to To Do saying so; a refused
 * merge lists the conflicting files; a second browser sees the board change live; a card shows its
 * branch and what it changes; the repository page follows an approval (Last push, recent commits)
 * without a reload; a working card cancelled says "Stopping…", then waits in To Do as "Stopped";
 * the runner panel shows the runner, its slots and a runner command with a fresh token, and removes
 * an offline runner; the new task page says an unknown repository is unknown and counts characters
 * near the prompt's limit; the model providers page says who configures each provider; the API
 * reference links back to the app.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { LocalDriver } from '../packages/server/src/sandbox/local/local-driver.ts';
import { startFakeLlm, type FakeLlm } from '../packages/server/test/fakes/llm/index.ts';
import { request, signUp, type TestUser } from '../packages/server/test/support/client.ts';
import { authedUrl, gitOk } from '../packages/server/test/support/git.ts';
import { fakeProviderEnv } from '../packages/server/test/support/providers.ts';
import { pushedRepo, waitForStatus } from '../packages/server/test/support/tasks.ts';
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

async function signIn(page: Page, user: TestUser, next: string) {
  await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`**${next}`);
}

function column(page: Page, title: string): Locator {
  return page.getByRole('region', { name: title, exact: true });
}

function card(page: Page, columnTitle: string, title: string): Locator {
  return column(page, columnTitle).getByRole('listitem', { name: title, exact: true });
}

/** Drags a card by its handle onto a column, moving the mouse in steps as a hand would. */
async function drag(page: Page, from: Locator, to: Locator) {
  const handle = from.getByRole('button', { name: /^Drag / });
  const start = await handle.boundingBox();
  const end = await to.boundingBox();
  if (!start || !end) throw new Error('the card or the column is not on screen');
  await page.mouse.move(start.x + start.width / 2, start.y + start.height / 2);
  await page.mouse.down();
  await page.mouse.move(start.x + start.width / 2 + 12, start.y + start.height / 2 + 12, {
    steps: 4,
  });
  await page.mouse.move(end.x + end.width / 2, end.y + 80, { steps: 12 });
  await page.mouse.up();
}

/**
 * Fills a field that opened on a drop. For a moment after a drag @dnd-kit still clears the
 * document's selection on every `selectionchange`, which can swallow text typed at once (no hand
 * is that fast): fill again until the field holds the text.
 */
async function fillAfterDrop(field: Locator, text: string) {
  for (let attempt = 0; attempt < 50; attempt++) {
    await field.fill(text);
    if ((await field.inputValue()) === text) return;
  }
  throw new Error(`the field never kept "${text}"`);
}

describe.skipIf(chromiumMissing)('the web app, the board', () => {
  let llm: FakeLlm;
  let server: TestServer;
  let browser: BrowserSession;
  let other: BrowserSession;
  let page: Page;
  let watcher: Page;
  let user: TestUser;
  let repo: { id: string; cloneUrl: string };
  let helloId = '';

  beforeAll(async () => {
    llm = await startFakeLlm();
    server = await startWebServer({
      env: {
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-board-test-0123456789',
          openai: 'sk-openai-board-test-0123456789',
          compatible: 'sk-local-board-test-0123456789',
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
    user = await signUp(server.url, 'Katherine Johnson');
    repo = await pushedRepo(server.url, user, 'demo');
    const local = await mkdtemp(path.join(tmpdir(), 'lucid-board-release-'));
    await gitOk(['clone', '--quiet', authedUrl(repo.cloneUrl, user.token), local]);
    await gitOk(['push', '--quiet', 'origin', 'main:release'], local);
    browser = await openBrowser({ baseURL: server.url });
    other = await openBrowser({ baseURL: server.url });
    page = browser.page;
    watcher = other.page;
  });

  afterAll(async () => {
    await other?.close();
    await browser?.close();
    await server?.close();
    await llm?.close();
  });

  it('opens the only repository’s board straight from the navigation, empty, in two browsers', async () => {
    await signIn(page, user, '/tasks');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Board' })
      .click();
    await page.waitForURL(`**/repos/${repo.id}/board`);
    await page.getByRole('heading', { name: 'demo board' }).waitFor();
    await page.getByText('No cards yet.').waitFor();
    for (const title of ['To Do', 'In Progress', 'In Review', 'Done', 'Failed']) {
      await column(page, title).waitFor();
    }
    await signIn(watcher, user, `/repos/${repo.id}/board`);
    await watcher.getByText('Live', { exact: true }).waitFor();
    await screenshot(page, 'board-empty');
  });

  it('creates two cards in the modal, which the other browser sees arrive', async () => {
    for (const [title, prompt] of [
      ['Say hello', 'Add hello.txt saying hello'],
      ['Say goodbye', 'Add goodbye.txt saying goodbye'],
    ] as const) {
      await page.getByRole('button', { name: 'New card' }).click();
      const dialog = page.getByRole('dialog', { name: 'New card' });
      await dialog.getByLabel('Title').fill(title);
      await dialog.getByLabel('Description').fill(prompt);
      expect(await dialog.getByLabel('Model').inputValue()).toBe('anthropic/claude-sonnet-4-5');
      if (title === 'Say hello') await screenshot(page, 'board-new-card');
      await dialog.getByRole('button', { name: 'Create card' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await card(page, 'To Do', title).waitFor();
      await card(watcher, 'To Do', title).waitFor();
    }
    helloId = (await card(page, 'To Do', 'Say hello').getAttribute('data-task-id')) ?? 'missing';
  });

  it('edits a card in its modal and deletes one after confirming', async () => {
    await page.getByRole('button', { name: 'New card' }).click();
    const create = page.getByRole('dialog', { name: 'New card' });
    await create.getByLabel('Title').fill('Scratch');
    await create.getByLabel('Description').fill('Nothing yet');
    const base = create.getByLabel('Base branch');
    expect(await base.inputValue()).toBe('main');
    expect(await base.locator('option').allTextContents()).toEqual(['main (default)', 'release']);
    await base.selectOption('release');
    await screenshot(page, 'board-new-card-base-branch');
    await create.getByRole('button', { name: 'Create card' }).click();
    await card(page, 'To Do', 'Scratch').waitFor();
    const scratchId = (await card(page, 'To Do', 'Scratch').getAttribute('data-task-id')) ?? '';
    const scratch = await fetch(`${server.url}/api/v1/tasks/${scratchId}`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(((await scratch.json()) as { baseBranch: string }).baseBranch).toBe('release');

    await page.getByRole('button', { name: 'Edit Scratch' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit card' });
    expect(await edit.getByLabel('Description').inputValue()).toBe('Nothing yet');
    await edit.getByLabel('Title').fill('Scratch idea');
    await edit.getByLabel('Description').fill('Write a scratch note');
    await edit.getByRole('button', { name: 'Save card' }).click();
    await card(page, 'To Do', 'Scratch idea').waitFor();
    await page.getByRole('button', { name: 'Edit Scratch idea' }).click();
    const again = page.getByRole('dialog', { name: 'Edit card' });
    expect(await again.getByLabel('Description').inputValue()).toBe('Write a scratch note');
    await again.getByRole('button', { name: 'Cancel' }).click();
    await again.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: 'Delete Scratch idea' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete this card?' });
    await confirm.getByRole('button', { name: 'Delete card' }).click();
    await card(page, 'To Do', 'Scratch idea').waitFor({ state: 'detached' });
    await card(watcher, 'To Do', 'Scratch')
      .or(card(watcher, 'To Do', 'Scratch idea'))
      .waitFor({
        state: 'detached',
      });
  });

  it('refuses a drop that means nothing, saying where the card can go', async () => {
    await drag(page, card(page, 'To Do', 'Say goodbye'), column(page, 'Done'));
    await page
      .getByRole('alert')
      .getByText('A card cannot move from To Do to Done: from To Do it can go to In Progress.')
      .waitFor();
    await card(page, 'To Do', 'Say goodbye').waitFor();
    await screenshot(page, 'board-refused');
    await page.getByRole('button', { name: 'Dismiss' }).click();
  });

  it('starts a card by dragging it to In Progress, and both browsers see it reach In Review', async () => {
    llm.script([
      {
        text: 'Writing the file.',
        toolCalls: [
          { name: 'write_file', input: { path: 'hello.txt', content: 'hello from the board\n' } },
        ],
      },
      { text: 'Added hello.txt.' },
    ]);
    await drag(page, card(page, 'To Do', 'Say hello'), column(page, 'In Progress'));
    await waitForStatus(server.url, user, helloId, ['in_review'], 60_000);
    await card(page, 'In Review', 'Say hello').waitFor();
    await card(watcher, 'In Review', 'Say hello').waitFor();
    const branch = card(page, 'In Review', 'Say hello').getByLabel('Branch of Say hello');
    await branch.getByText(/^lucid\//).waitFor();
    await branch.getByText('1 file +1 −0').waitFor();
    await screenshot(watcher, 'board-in-review-other-browser');
  });

  it('shows the card detail: timeline, runs, diff in both views, commit graph', async () => {
    await card(page, 'In Review', 'Say hello').getByRole('link', { name: 'Say hello' }).click();
    await page.waitForURL(`**/repos/${repo.id}/board/${helloId}`);
    const detail = page.getByRole('complementary', { name: 'Card detail' });
    const chat = detail.getByRole('log', { name: 'Conversation' });
    await chat.getByText('Add hello.txt saying hello').waitFor();
    await chat.getByText('Added hello.txt.', { exact: true }).waitFor();

    await detail.getByRole('tab', { name: 'Runs' }).click();
    const runs = detail.getByRole('list', { name: 'Runs' });
    await runs.getByText('Attempt 1').waitFor();
    await runs.getByText('succeeded').waitFor();

    await detail.getByRole('tab', { name: 'Diff' }).click();
    const diff = detail.getByLabel('Diff', { exact: true });
    await diff.getByRole('region', { name: 'Changes to hello.txt' }).waitFor();
    await diff.getByText('+hello from the board').waitFor();
    expect(await diff.locator('.diff-added').count()).toBeGreaterThan(0);
    await screenshot(page, 'board-card-diff-unified');
    await detail.getByRole('radio', { name: 'Split' }).click();
    expect(await detail.getByRole('radio', { name: 'Split' }).getAttribute('aria-checked')).toBe(
      'true',
    );
    await diff.getByText('+hello from the board').waitFor();
    await screenshot(page, 'board-card-diff-split');

    await detail.getByRole('tab', { name: 'Graph' }).click();
    const graph = detail.getByRole('figure', { name: 'Commit graph' });
    await graph.getByText('main', { exact: true }).waitFor();
    await detail.getByLabel('Branch').selectOption('main');
    await graph.getByText('main', { exact: true }).waitFor();
    await screenshot(page, 'board-card-graph');
  });

  it('approves the card to Done, which the repository page shows without a reload, and a fresh clone of main holds the agent’s commit', async () => {
    await watcher.goto(`/repos/${repo.id}`);
    const commits = watcher.getByRole('list', { name: 'Recent commits' });
    const agentCommit = commits.getByRole('listitem').filter({ hasText: 'unmerged · lucid/' });
    await agentCommit.waitFor();
    const subject = (await agentCommit.locator('p').first().textContent()) ?? '';
    const lastPush = watcher.locator('p', { hasText: 'Last push' }).locator('time');
    const pushedBefore = (await lastPush.getAttribute('datetime')) ?? '';
    await screenshot(watcher, 'repo-before-approve');

    const detail = page.getByRole('complementary', { name: 'Card detail' });
    await detail.getByRole('button', { name: 'Approve' }).click();
    await card(page, 'Done', 'Say hello').waitFor();

    const merged = commits.getByRole('listitem').filter({ hasText: subject });
    await merged.getByText('main', { exact: true }).waitFor();
    expect(await merged.getByText('unmerged', { exact: false }).count()).toBe(0);
    await watcher
      .locator('p', { hasText: 'Last push' })
      .locator(`time:not([datetime="${pushedBefore}"])`)
      .waitFor();
    await screenshot(watcher, 'repo-after-approve');
    await watcher.goto(`/repos/${repo.id}/board`);
    await card(watcher, 'Done', 'Say hello').waitFor();
    await detail.getByRole('link', { name: 'Close the card' }).waitFor();
    await page.keyboard.press('Escape');
    await page.waitForURL(`**/repos/${repo.id}/board`);
    await detail.waitFor({ state: 'detached' });

    const clone = await mkdtemp(path.join(tmpdir(), 'lucid-board-clone-'));
    await gitOk([
      'clone',
      '--quiet',
      '--branch',
      'main',
      authedUrl(repo.cloneUrl, user.token),
      clone,
    ]);
    expect(await readFile(path.join(clone, 'hello.txt'), 'utf8')).toBe('hello from the board\n');
    const touched = await gitOk(
      ['log', '-1', '--format=', '--name-only', '--', 'hello.txt'],
      clone,
    );
    expect(touched.trim()).toBe('hello.txt');
    await screenshot(page, 'board-done');
  });

  it('rejects a card by dragging it back to To Do, asking for the reason and showing it', async () => {
    llm.script([
      {
        toolCalls: [{ name: 'write_file', input: { path: 'goodbye.txt', content: 'bye\n' } }],
      },
      { text: 'Added goodbye.txt.' },
    ]);
    await page.getByRole('button', { name: 'Start Say goodbye' }).click();
    await card(page, 'In Review', 'Say goodbye').waitFor({ timeout: 60_000 });

    await drag(page, card(page, 'In Review', 'Say goodbye'), column(page, 'To Do'));
    const dialog = page.getByRole('dialog', { name: 'Reject “Say goodbye”?' });
    await fillAfterDrop(dialog.getByLabel('Reason'), 'Say goodbye in French too');
    await screenshot(page, 'board-reject');
    await dialog.getByRole('button', { name: 'Reject' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const rejected = card(page, 'To Do', 'Say goodbye');
    await rejected.getByText('Say goodbye in French too').waitFor();
    await card(watcher, 'To Do', 'Say goodbye').getByText('Say goodbye in French too').waitFor();
  });

  it('finds cards by words, status and agent, keeping them in the URL', async () => {
    await page.getByLabel('Find', { exact: true }).fill('goodbye');
    await card(page, 'Done', 'Say hello').waitFor({ state: 'detached' });
    await card(page, 'To Do', 'Say goodbye').waitFor();
    expect(new URL(page.url()).searchParams.get('q')).toBe('goodbye');
    await page.reload();
    expect(await page.getByLabel('Find', { exact: true }).inputValue()).toBe('goodbye');
    await page.getByLabel('Find', { exact: true }).fill('');
    await page.getByLabel('Status').selectOption('done');
    await card(page, 'Done', 'Say hello').waitFor();
    await card(page, 'To Do', 'Say goodbye').waitFor({ state: 'detached' });
    await page.getByLabel('Agent').selectOption('codex');
    await page.getByText('No card matches these filters.').waitFor();
    await page.getByLabel('Agent').selectOption('');
    await page.getByLabel('Status').selectOption('');
    await card(page, 'To Do', 'Say goodbye').waitFor();
  });

  it('brings back to To Do, saying "No changes", a card whose run changed nothing', async () => {
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: {
        repoId: repo.id,
        title: 'Check the README',
        prompt: 'Is the README fine?',
        start: false,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    llm.script([{ text: 'The README is fine as it is; nothing to change.' }]);
    await page.getByRole('button', { name: 'Start Check the README' }).click();
    const quiet = card(page, 'To Do', 'Check the README');
    await quiet.getByText('No changes', { exact: true }).waitFor({ timeout: 60_000 });
    await card(watcher, 'To Do', 'Check the README').getByText('No changes').waitFor();
    await screenshot(page, 'board-no-changes');

    await page.goto(`/tasks/${created.body.task.id}`);
    await page
      .getByRole('status')
      .filter({ hasText: 'The agent made no changes, so there is nothing to review' })
      .waitFor();
    const chat = page.getByRole('log', { name: 'Conversation' });
    await chat.getByText('The README is fine as it is; nothing to change.').waitFor();
    await chat.getByText('The agent made no changes; nothing was pushed.').waitFor();
    expect(await page.getByText(/^Pushed /).count()).toBe(0);
    await screenshot(page, 'task-no-changes');
    await page.goto(`/repos/${repo.id}/board`);
    await card(page, 'To Do', 'Check the README').waitFor();
  });

  it('lists the conflicting files when approving cannot merge', async () => {
    llm.script([
      {
        toolCalls: [
          { name: 'write_file', input: { path: 'README.md', content: '# demo, by the agent\n' } },
        ],
      },
      { text: 'Rewrote the README.' },
    ]);
    await page.getByRole('button', { name: 'Start Say goodbye' }).click();
    await card(page, 'In Review', 'Say goodbye').waitFor({ timeout: 60_000 });

    const other = await mkdtemp(path.join(tmpdir(), 'lucid-board-other-'));
    await gitOk(['clone', '--quiet', authedUrl(repo.cloneUrl, user.token), other]);
    await writeFile(path.join(other, 'README.md'), '# demo, by someone else\n');
    await gitOk(['commit', '--quiet', '-am', 'Change the README on main'], other);
    await gitOk(['push', '--quiet', 'origin', 'main'], other);

    await page.getByRole('button', { name: 'Approve Say goodbye' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'Could not approve' });
    await refused.getByRole('list', { name: 'Conflicting files' }).getByText('README.md').waitFor();
    await card(page, 'In Review', 'Say goodbye').waitFor();
    await screenshot(page, 'board-merge-conflict');
  });

  it('cancels a working card: "Stopping…" at once, then the card waits in To Do as "Stopped"', async () => {
    // One turn only: the run is stopped in its command, before it asks the model again.
    llm.script([{ toolCalls: [{ name: 'bash', input: { command: 'echo WAITING && sleep 60' } }] }]);
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId: repo.id, prompt: 'Wait on the board', title: 'Wait on the board' },
    });
    expect(created.status).toBe(201);
    const working = card(page, 'In Progress', 'Wait on the board');
    await working.waitFor();
    await waitForStatus(server.url, user, created.body.task.id, ['running']);

    // The answer to Cancel is held back until the button has been seen pending.
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    await page.route('**/api/v1/tasks/*/cancel', async (route) => {
      await held;
      await route.continue();
    });
    await working.getByRole('button', { name: 'Cancel Wait on the board' }).click();
    const stopping = working.getByRole('button', { name: 'Stopping Wait on the board' });
    await stopping.waitFor();
    expect(await stopping.textContent()).toBe('Stopping…');
    expect(await stopping.isDisabled()).toBe(true);
    await screenshot(page, 'board-card-stopping');
    const cancelAnswer = page.waitForResponse('**/api/v1/tasks/*/cancel');
    answer();
    expect((await cancelAnswer).status()).toBe(200);
    await page.unroute('**/api/v1/tasks/*/cancel');

    const stopped = card(page, 'To Do', 'Wait on the board');
    await stopped.getByText('Stopped', { exact: true }).waitFor({ timeout: 30_000 });
    await stopped.getByRole('button', { name: 'Start Wait on the board' }).waitFor();
    expect(await column(page, 'Failed').getByRole('listitem').count()).toBe(0);
    await screenshot(page, 'board-card-stopped');
  });

  it('shows the runner panel with the runner and a runner command with a fresh token', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Runners' })
      .click();
    await page.waitForURL('**/settings/runners');
    const table = page.getByRole('table', { name: 'Runners' });
    await table.getByText('on this server').waitFor();
    await page.getByRole('button', { name: 'Add a slot' }).click();
    await page
      .getByLabel(/^Slots of /)
      .getByText('2', { exact: true })
      .waitFor();
    await page.getByRole('button', { name: 'Remove a slot' }).click();
    await page
      .getByLabel(/^Slots of /)
      .getByText('1', { exact: true })
      .waitFor();

    const install = page.getByRole('group', { name: 'Install the lucid command' });
    expect(await install.locator('pre code').textContent()).toBe(
      `npm install -g ${server.url}/cli.tgz`,
    );
    await page.getByLabel('Runner name').fill('build-host');
    await page.getByRole('button', { name: 'Create a runner command' }).click();
    const command = page.getByRole('group', { name: 'Runner command' });
    await command.getByText(/^LUCID_RUNNER_TOKEN=\S+ lucid runner --server /).waitFor();
    const text = (await command.locator('code').textContent()) ?? '';
    expect(text).toMatch(
      new RegExp(
        `^LUCID_RUNNER_TOKEN=\\S{20,} lucid runner --server ${server.url.replace(/[.]/g, '\\.')}$`,
      ),
    );
    await command.getByRole('button', { name: 'Copy the runner command' }).waitFor();
    await screenshot(page, 'runners-panel');

    // build-host has never called in: it is offline, and an instance admin may remove it.
    const row = table.getByRole('row').filter({ hasText: 'build-host' });
    await row.getByText('offline').waitFor();
    const serverRow = table.getByRole('row').filter({ hasText: 'on this server' });
    expect(await serverRow.getByRole('button', { name: /^Remove (?!a slot)/ }).count()).toBe(0);
    await row.getByRole('button', { name: 'Remove build-host' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove the runner build-host?' });
    await screenshot(page, 'runners-remove');
    await confirm.getByRole('button', { name: 'Remove runner' }).click();
    await row.waitFor({ state: 'detached' });
    await table.getByText('on this server').waitFor();
  });

  it('says the new task page’s repository is unknown, and counts characters near the limit', async () => {
    await page.goto('/tasks/new?repo=no-such-repo');
    await page
      .getByRole('alert')
      .getByText('No repository named “no-such-repo” — pick one.')
      .waitFor();
    const start = page.getByRole('button', { name: 'Start task' });
    const prompt = page.getByLabel('What should be done?');
    await prompt.fill('Add a changelog');
    expect(await start.isDisabled()).toBe(true);
    await screenshot(page, 'new-task-unknown-repo');
    await page.getByLabel('Repository').selectOption('demo');
    await page.getByRole('alert').waitFor({ state: 'detached' });
    expect(await start.isDisabled()).toBe(false);

    await prompt.fill('x'.repeat(95_000));
    await page.getByText('95,000 / 100,000 characters').waitFor();
    await prompt.fill('x'.repeat(100_007));
    await page.getByText(/The prompt is 7 characters over the limit of 100,000/).waitFor();
    expect(await start.isDisabled()).toBe(true);
    await screenshot(page, 'new-task-over-limit');
  });

  it('says who configures each model provider', async () => {
    await page.goto('/settings/providers');
    const row = (name: string) =>
      page.getByRole('listitem').filter({ has: page.getByRole('heading', { name }) });
    await row('Anthropic').getByText('Configured by the server').waitFor();
    await row('OpenAI-compatible server').getByText('Configured by the server').waitFor();
    await row('Google Gemini').getByText('Not available', { exact: true }).waitFor();
    await screenshot(page, 'providers-configured');
  });

  it('links the API reference back to the app', async () => {
    await page.goto('/api/docs');
    const back = page.getByRole('link', { name: '← Back to Lucid' });
    await back.waitFor();
    await screenshot(page, 'api-docs-back-link');
    expect(await back.getAttribute('href')).toBe('/');
    await page.goto('/');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  });
});
