/**
 * A task session in a real browser, against a real server with a runner and the fake LLM: set a
 * provider key, push a repository, start a task whose agent writes a file, runs a command and
 * answers slowly; watch the answer stream in, reload in the middle of it and find every message
 * once; read the file wide beside the tree, the command in the terminal and the change in the diff;
 * send a follow-up, whose run remembers the first one's commands and their output; read the time,
 * tokens and cost of its runs; download its work as a patch; stop a run ("Stopping…" at once, then
 * one calm line) and find the card in To Do as "Stopped", start it again from the board and approve
 * it from the task page; rename the task, then delete it; stop and delete a task that works.
 * The form offers the server's agents, those it does not run disabled, and each agent's models.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { RunExport } from '@lucid/contracts';
import { replayRun } from '../packages/server/src/agent/replay.ts';
import { LocalDriver } from '../packages/server/src/sandbox/local/local-driver.ts';
import { startFakeLlm, type FakeLlm } from '../packages/server/test/fakes/llm/index.ts';
import { request, signUp, type TestUser } from '../packages/server/test/support/client.ts';
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

/** About forty words, streamed a word at a time: long enough to reload in the middle of it. */
const slowAnswer =
  'I added **hello.txt** and checked it with a command. ' +
  Array.from({ length: 36 }, (_, i) => `word${i}`).join(' ') +
  ' All done.';

describe.skipIf(chromiumMissing)('the web app, a task session', () => {
  let llm: FakeLlm;
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let user: TestUser;
  let repoId = '';
  let taskId = '';

  beforeAll(async () => {
    llm = await startFakeLlm();
    server = await startWebServer({
      env: {
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-web-test-0123456789',
          openai: 'sk-openai-web-test-0123456789',
          compatible: 'sk-local-web-test-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        LUCID_CLI_AGENTS: 'codex',
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
    user = await signUp(server.url, 'Grace Hopper');
    repoId = (await pushedRepo(server.url, user, 'demo')).id;
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await llm?.close();
  });

  it('signs in to the tasks list, which invites to start a task', async () => {
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/tasks');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Tasks' })
      .waitFor();
    await page.getByRole('heading', { name: 'No tasks yet' }).waitFor();
    await screenshot(page, 'tasks-empty');
  });

  it('lists the usable models and keeps a provider key as a hint only', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Model providers' })
      .click();
    await page.waitForURL('**/settings/providers');
    const models = page.getByRole('list', { name: 'Usable models' });
    await models.getByText('anthropic/claude-sonnet-4-5').waitFor();

    await page.getByRole('button', { name: 'Add OpenAI-compatible server key' }).click();
    await page.getByLabel('OpenAI-compatible server API key').fill('sk-mine-abcdef-9876');
    await page.getByLabel('Base URL').fill(`${llm.url}/v1`);
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByText('…9876', { exact: true }).or(page.getByRole('alert')).first().waitFor();
    expect(await page.getByRole('alert').allTextContents()).toEqual([]);
    // Once saved the form closes, and the typed key leaves the page with it.
    await page.getByLabel('OpenAI-compatible server API key').waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain('sk-mine-abcdef-9876');
    await screenshot(page, 'settings-providers');
  });

  it('starts a task from the form and streams its answer, whole after a reload', async () => {
    llm.script([
      {
        text: 'I will write the file.',
        toolCalls: [
          { name: 'write_file', input: { path: 'hello.txt', content: 'hello from lucid\n' } },
        ],
      },
      { toolCalls: [{ name: 'bash', input: { command: 'cat hello.txt && echo CHECKED' } }] },
      { text: slowAnswer, delayMs: 150 },
    ]);

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Repositories' })
      .click();
    await page.getByRole('list', { name: 'Branches of demo' }).getByText('main').waitFor();
    await page.getByRole('link', { name: 'New task', exact: true }).click();
    await page.waitForURL(/\/tasks\/new\?repo=/);
    await page.getByRole('heading', { name: 'New task' }).waitFor();
    expect(await page.getByLabel('Repository').locator('option:checked').textContent()).toBe(
      'demo',
    );
    await page.getByLabel('What should be done?').fill('Add hello.txt saying hello');

    const agent = page.getByLabel('Agent');
    await agent.locator('option[value="codex"]:not([disabled])').waitFor({ state: 'attached' });
    // Cursor's CLI cannot be installed here: it is not offered as if a setting could enable it.
    expect(await agent.locator('option[value="cursor"]').count()).toBe(0);
    expect(await agent.locator('option[value="claude-code"]').isDisabled()).toBe(true);

    const modelIds = async () =>
      Promise.all(
        (await page.getByLabel('Model').locator('option').all()).map(
          async (option) => (await option.getAttribute('value')) ?? '',
        ),
      );
    expect(await modelIds()).toContain('anthropic/claude-sonnet-4-5');
    await agent.selectOption('codex');
    await page.getByText('Works with openai models.').waitFor();
    const codexModels = await modelIds();
    expect(codexModels.length).toBeGreaterThan(0);
    expect(codexModels.every((id) => id.startsWith('openai/'))).toBe(true);
    await agent.selectOption('lucid');

    expect(await agent.inputValue()).toBe('lucid');
    expect(await page.getByLabel('Model').inputValue()).toBe('anthropic/claude-sonnet-4-5');
    expect(await page.getByLabel('Base branch').inputValue()).toBe('main');

    // A priced model the provider does not list is refused, and the form says so at the model.
    await page.getByLabel('Model').selectOption('openai/gpt-4.1-mini');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page
      .locator('#model-hint')
      .getByRole('alert')
      .getByText(/Model openai\/gpt-4\.1-mini is not one that openai offers/)
      .waitFor();
    expect(await page.getByLabel('Model').getAttribute('aria-invalid')).toBe('true');
    expect(new URL(page.url()).pathname).toBe('/tasks/new');
    await screenshot(page, 'task-new-model-refused');
    await page.getByLabel('Model').selectOption('anthropic/claude-sonnet-4-5');
    await screenshot(page, 'task-new');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/(?!new$)[a-z0-9_]+$/);
    taskId = new URL(page.url()).pathname.split('/').pop() ?? '';

    const chat = page.getByRole('log', { name: 'Conversation' });
    await chat.getByText('Add hello.txt saying hello').waitFor();
    const draft = chat.getByRole('article', { name: 'Agent message, being written' });
    await draft.getByText('word3', { exact: false }).waitFor();
    await screenshot(page, 'task-streaming');

    await page.reload();
    const answer = chat
      .getByRole('article', { name: 'Agent message', exact: true })
      .filter({ hasText: 'All done.' });
    await answer.waitFor({ timeout: 30_000 });
    expect(await answer.count()).toBe(1);
    expect(await chat.getByText('Add hello.txt saying hello', { exact: true }).count()).toBe(1);
    expect(await chat.getByText('I will write the file.', { exact: true }).count()).toBe(1);
    expect(await chat.getByRole('article', { name: 'Agent message, being written' }).count()).toBe(
      0,
    );
    await answer.getByText('word35').waitFor();
    await waitForStatus(server.url, user, taskId, ['in_review']);
  });

  it('shows the file in the explorer, read with its content', async () => {
    await page
      .getByRole('list', { name: 'Files', exact: true })
      .getByRole('button', { name: 'hello.txt' })
      .click();
    const file = page.getByRole('region', { name: 'File hello.txt' });
    await file.getByText('hello from lucid').waitFor();
    const tree = await page.getByRole('region', { name: 'Files' }).boundingBox();
    const view = await file.boundingBox();
    expect(view!.width).toBeGreaterThan(tree!.width * 1.5);
    expect(view!.x).toBeGreaterThanOrEqual(tree!.x + tree!.width - 1);
    expect(await page.getByRole('log', { name: 'Terminal output' }).count()).toBe(0);
    await screenshot(page, 'task-workspace');

    await file.getByRole('button', { name: 'Close the file' }).click();
    await file.waitFor({ state: 'detached' });
    await page.getByRole('log', { name: 'Terminal output' }).waitFor();
    await page.getByRole('region', { name: 'Chat' }).waitFor();
  });

  it('shows the command in the terminal, and that the branch was pushed', async () => {
    const terminal = page.getByRole('log', { name: 'Terminal output' });
    await terminal.getByText('$ cat hello.txt && echo CHECKED').waitFor();
    await terminal.getByText('CHECKED', { exact: true }).waitFor();
    await page
      .getByRole('status')
      .getByText(/was pushed to this server/)
      .waitFor();
    await screenshot(page, 'task-terminal');
  });

  it('shows the diff against the base branch with the added line', async () => {
    await page.getByRole('tab', { name: 'Diff' }).click();
    const diff = page.getByLabel('Diff');
    await diff.getByText('+hello from lucid').waitFor();
    expect(await diff.locator('.diff-added').count()).toBeGreaterThan(0);
    await screenshot(page, 'task-diff');
    await page.getByRole('tab', { name: 'Workspace' }).click();
  });

  it('sends a follow-up that the agent answers, its new file appearing in the explorer', async () => {
    llm.script([
      {
        toolCalls: [{ name: 'write_file', input: { path: 'goodbye.txt', content: 'goodbye\n' } }],
      },
      { text: 'The follow-up is handled.' },
    ]);
    const before = llm.requests.length;
    await page.getByLabel('Message to the agent').fill('Please also say goodbye');
    await page.getByLabel('Message to the agent').press('Enter');
    const chat = page.getByRole('log', { name: 'Conversation' });
    await chat.getByText('Please also say goodbye').waitFor();
    await chat
      .getByRole('article', { name: 'Agent message', exact: true })
      .filter({ hasText: 'The follow-up is handled.' })
      .waitFor({ timeout: 30_000 });
    await page
      .getByRole('list', { name: 'Files', exact: true })
      .getByRole('button', { name: 'goodbye.txt' })
      .waitFor();
    await waitForStatus(server.url, user, taskId, ['in_review']);
    expect(await chat.getByText('Please also say goodbye', { exact: true }).count()).toBe(1);
    await screenshot(page, 'task-follow-up');
    // The follow-up's run remembers the first: its model is given the command and what it printed.
    const first = llm.requests.slice(before).find((r) => r.protocol === 'anthropic');
    const messages = JSON.stringify((first?.body as { messages: unknown }).messages);
    expect(messages).toContain('"type":"tool_use"');
    expect(messages).toContain('cat hello.txt && echo CHECKED');
    expect(messages).toMatch(/"type":"tool_result".*CHECKED/);
  });

  it('shows the time, tokens and cost of its runs in the header', async () => {
    const usage = page.getByLabel('Usage');
    await usage.getByText('Elapsed').waitFor();
    await usage.getByText(/^\$\d+\.\d+$/).waitFor();
    const tokens = await usage.locator('dd').nth(1).textContent();
    expect(tokens).not.toBe('0');
    expect(await usage.locator('dd').first().textContent()).toMatch(/^\d+ (s|min)/);
    await screenshot(page, 'task-header-totals');
  });

  it("downloads the task's work as a patch", async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download patch' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^lucid-.+\.patch$/);
    const patch = await readFile((await download.path())!, 'utf8');
    expect(patch).toContain('+hello from lucid');
    expect(patch).toContain('+goodbye');
    expect(patch).toMatch(/^From [0-9a-f]{40} /);
  });

  it("downloads the last run's trajectory, which replays without divergence", async () => {
    const link = page.getByRole('link', { name: 'Download trajectory' });
    await link.waitFor();
    await screenshot(page, 'task-download-trajectory');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/^run_.+\.json$/);
    const exported = RunExport.parse(JSON.parse(await readFile((await download.path())!, 'utf8')));
    expect(exported.run.agent).toBe('lucid');
    expect(exported.exchanges.length).toBeGreaterThan(0);
    expect((await replayRun(exported)).divergence).toBeNull();
  });

  it('drops the text of an answer cut mid-stream, and shows its retry once', async () => {
    const words = Array.from({ length: 14 }, (_, i) => `again${i}`).join(' ');
    const answer = `Starting over cleanly: ${words}.`;
    llm.script([{ text: answer, delayMs: 100 }]);
    // The answer's stream breaks after a few words; the agent asks for it again.
    llm.dropStreamAfter(8, { retryAfterMs: 0 });
    await page.getByLabel('Message to the agent').fill('Say it once more');
    await page.getByLabel('Message to the agent').press('Enter');
    const chat = page.getByRole('log', { name: 'Conversation' });
    const draft = chat.getByRole('article', { name: 'Agent message, being written' });
    await draft.getByText('again8', { exact: false }).waitFor({ timeout: 30_000 });
    expect((await draft.textContent())?.match(/Starting over/g)).toHaveLength(1);
    await screenshot(page, 'task-answer-cut-retried');
    const stored = chat
      .getByRole('article', { name: 'Agent message', exact: true })
      .filter({ hasText: 'Starting over cleanly' });
    await stored.getByText('again13', { exact: false }).waitFor({ timeout: 30_000 });
    expect(await stored.count()).toBe(1);
    expect(await draft.count()).toBe(0);
    await waitForStatus(server.url, user, taskId, ['in_review', 'todo']);
  });

  it('stops a run: "Stopping…" at once, then one calm line; deleting offers to stop first', async () => {
    // One turn only: the run is stopped in its command, before it asks the model again.
    llm.script([{ toolCalls: [{ name: 'bash', input: { command: 'echo WAITING && sleep 60' } }] }]);
    await page.getByLabel('Message to the agent').fill('Wait a minute');
    await page.getByRole('button', { name: 'Send' }).click();
    await page
      .getByRole('log', { name: 'Terminal output' })
      .getByText('$ echo WAITING && sleep 60')
      .waitFor({ timeout: 30_000 });

    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete this task?' });
    await confirm.getByText('Its agent is working now: it is stopped first.').waitFor();
    await confirm.getByRole('button', { name: 'Stop and delete' }).waitFor();
    await screenshot(page, 'task-delete-offers-stop');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'hidden' });

    // The answer to Stop is held back until the button has been seen pending.
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    await page.route('**/api/v1/tasks/*/stop', async (route) => {
      await held;
      await route.continue();
    });
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    const stopping = page.getByRole('button', { name: 'Stopping…' });
    await stopping.waitFor();
    expect(await stopping.isDisabled()).toBe(true);
    await screenshot(page, 'task-stopping');
    const stopAnswer = page.waitForResponse('**/api/v1/tasks/*/stop');
    answer();
    expect((await stopAnswer).status()).toBe(200);
    await page.unroute('**/api/v1/tasks/*/stop');

    const chat = page.getByRole('log', { name: 'Conversation' });
    await chat.getByText(/^Stopped at \d/).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: /^Stop/ }).waitFor({ state: 'detached' });
    expect(await chat.getByText(/^Stopped at \d/).count()).toBe(1);
    expect(await chat.getByRole('alert').count()).toBe(0);
    expect(await chat.getByText('cancelled').count()).toBe(0);
    await screenshot(page, 'task-stopped');
  });

  it('shows the stopped card in To Do as "Stopped", and starts it again from there', async () => {
    llm.script([
      { toolCalls: [{ name: 'write_file', input: { path: 'again.txt', content: 'again\n' } }] },
      { text: 'Started again.' },
    ]);
    await page.goto(`/repos/${repoId}/board`);
    const card = page.getByRole('region', { name: 'To Do' }).locator(`[data-task-id="${taskId}"]`);
    await card.getByText('Stopped', { exact: true }).waitFor();
    expect(
      await page
        .getByRole('region', { name: 'Failed' })
        .locator(`[data-task-id="${taskId}"]`)
        .count(),
    ).toBe(0);
    await screenshot(page, 'board-stopped-card');

    await card.getByRole('button', { name: /^Start / }).click();
    await waitForStatus(server.url, user, taskId, ['in_review']);
    await page
      .getByRole('region', { name: 'In Review' })
      .locator(`[data-task-id="${taskId}"]`)
      .waitFor();
    const files = await request<{ entries: { name: string }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${taskId}/files`,
      { token: user.token },
    );
    expect(files.body.entries.map((entry) => entry.name)).toContain('again.txt');
  });

  it('approves the work from the task page', async () => {
    await page.goto(`/tasks/${taskId}`);
    await page.getByRole('button', { name: 'Reject' }).waitFor();
    await screenshot(page, 'task-in-review');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('button', { name: 'Approve' }).waitFor({ state: 'detached' });
    await waitForStatus(server.url, user, taskId, ['done']);
    await screenshot(page, 'task-approved');
  });

  it('renames the task, and lists it by its new name', async () => {
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Task title').fill('Say hello and goodbye');
    await page.getByLabel('Task title').press('Enter');
    await page.getByRole('heading', { name: 'Say hello and goodbye' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Say hello and goodbye' }).waitFor();
  });

  it('lists the task with its status, and finds it by search', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Tasks' })
      .click();
    const row = page.getByRole('row').filter({ hasText: 'demo' });
    await row.getByRole('link').waitFor();
    await page.getByLabel('Search').fill('hello.txt');
    await row.waitFor();
    await page.getByLabel('Search').fill('nothing like this');
    await page.getByRole('heading', { name: 'No task matches these filters' }).waitFor();
    await page.getByLabel('Search').fill('');
    await row.waitFor();
    await row.getByText('Say hello and goodbye').waitFor();
    await screenshot(page, 'tasks-list');
  });

  it('deletes the task after confirming, which leaves the list', async () => {
    await page.getByRole('link', { name: 'Say hello and goodbye' }).click();
    await page.waitForURL(`**/tasks/${taskId}`);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete this task?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await page.getByRole('heading', { name: 'Say hello and goodbye' }).waitFor();

    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await confirm.getByRole('button', { name: 'Delete task' }).click();
    await page.waitForURL('**/tasks');
    await page.getByRole('heading', { name: 'No tasks yet' }).waitFor();
    const gone = await fetch(`${server.url}/api/v1/tasks/${taskId}`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(gone.status).toBe(404);
  });
  it('stops and deletes a task whose agent works, from its page', async () => {
    // One turn only: the run is stopped in its command, before it asks the model again.
    llm.script([{ toolCalls: [{ name: 'bash', input: { command: 'echo BUSY && sleep 60' } }] }]);
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId, prompt: 'Keep busy', title: 'Keep busy' },
    });
    expect(created.status).toBe(201);
    const id = created.body.task.id;
    await page.goto(`/tasks/${id}`);
    await page
      .getByRole('log', { name: 'Terminal output' })
      .getByText('$ echo BUSY && sleep 60')
      .waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete this task?' });
    await confirm.getByRole('button', { name: 'Stop and delete' }).click();
    await page.waitForURL('**/tasks', { timeout: 30_000 });
    await page.getByRole('heading', { name: 'No tasks yet' }).waitFor();
    const gone = await request(server.url, 'GET', `/api/v1/tasks/${id}`, { token: user.token });
    expect(gone.status).toBe(404);
  });

  it('points to the provider settings when no model is usable, or none the agent can use', async () => {
    const bare = await startWebServer({
      env: {
        LUCID_CLI_AGENTS: 'claude-code',
        OPENAI_BASE_URL: `${llm.url}/v1`,
      },
    });
    try {
      const someone = await signUp(bare.url, 'Alan Turing');
      await pushedRepo(bare.url, someone, 'plain');
      await page.goto(`${bare.url}/sign-in?next=%2Ftasks%2Fnew`);
      await page.getByLabel('Email').fill(someone.email);
      await page.getByLabel('Password').fill(someone.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL('**/tasks/new');
      const hint = page.getByRole('alert').filter({ hasText: 'No model is usable yet' });
      await hint.waitFor();
      await hint.getByRole('link', { name: 'Settings → Model providers' }).click();
      await page.waitForURL('**/settings/providers');
      await page.getByRole('heading', { name: 'No model is usable yet' }).waitFor();
      await screenshot(page, 'settings-providers-none');

      const saved = await request(bare.url, 'PUT', '/api/v1/settings/provider-keys/openai', {
        token: someone.token,
        json: { apiKey: 'sk-openai-bare-0123456789' },
      });
      expect(saved.status).toBe(200);
      await page.goto(`${bare.url}/tasks/new`);
      await page.getByLabel('What should be done?').fill('Anything');
      await page.getByLabel('Agent').selectOption('claude-code');
      await page
        .getByRole('alert')
        .filter({ hasText: 'No usable model is one Claude Code works with (anthropic)' })
        .waitFor();
      expect(await page.getByRole('button', { name: 'Start task' }).isDisabled()).toBe(true);
      await page.getByLabel('Agent').selectOption('lucid');
      expect(await page.getByRole('button', { name: 'Start task' }).isDisabled()).toBe(false);
    } finally {
      await bare.close();
    }
  });
});
