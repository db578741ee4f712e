/**
 * A task session in a real browser, against a real server with a runner and the fake LLM: set a
 * provider key, push a repository, start a task whose agent writes a file, runs a command and
 * answers slowly; watch the answer stream in, reload in the middle of it and find every message
 * once; read the file in the explorer, the command in the terminal and the change in the diff; send
 * a follow-up; stop a run.
 *
 * Parts that need an endpoint the server does not serve are skipped and say which.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type { Page } from 'playwright-core';
import { LocalDriver } from '../packages/server/src/sandbox/local/local-driver.ts';
import { startFakeLlm, type FakeLlm } from '../packages/server/test/fakes/llm/index.ts';
import { request, signUp, type TestUser } from '../packages/server/test/support/client.ts';
import { fakeProviderEnv } from '../packages/server/test/support/providers.ts';
import { pushedRepo, waitForStatus } from '../packages/server/test/support/tasks.ts';
import {
  freePort,
  startTestServer,
  type TestServer,
} from '../packages/server/test/support/test-server.ts';
import {
  chromiumMissing,
  openBrowser,
  screenshot,
  skipReason,
  type BrowserSession,
} from './support/browser.ts';

const webRoot = fileURLToPath(new URL('../packages/web/dist', import.meta.url));

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
  let taskId = '';
  let repoId = '';
  const missing = new Set<string>();

  /** Skips the test, saying why, when the server lacks one of these endpoints. */
  const needs = (context: TestContext, ...endpoints: string[]) => {
    const absent = endpoints.filter((endpoint) => missing.has(endpoint));
    if (absent.length > 0) {
      console.log(`Skipping "${context.task.name}": the server lacks ${absent.join(', ')}`);
      context.skip();
    }
  };

  /** True when the server answers `path` with anything but a 404 for an unknown route. */
  async function served(pathname: string, method = 'GET'): Promise<boolean> {
    const controller = new AbortController();
    const response = await fetch(`${server.url}${pathname}`, {
      method,
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: method === 'GET' ? undefined : '{}',
      signal: controller.signal,
    });
    const contentType = response.headers.get('content-type') ?? '';
    const text = contentType.includes('event-stream') ? '' : await response.text();
    controller.abort();
    return !(response.status === 404 && /Nothing at (GET|POST) /.test(text));
  }

  beforeAll(async () => {
    if (!existsSync(`${webRoot}/index.html`)) {
      throw new Error(
        `${webRoot}/index.html is missing: build the web app first with: npm run build -w @lucid/web`,
      );
    }
    llm = await startFakeLlm();
    const port = await freePort();
    server = await startTestServer({
      webRoot,
      env: {
        PORT: String(port),
        LUCID_PUBLIC_URL: `http://127.0.0.1:${port}`,
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-web-test-0123456789',
          openai: 'sk-openai-web-test-0123456789',
          compatible: 'sk-local-web-test-0123456789',
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

  it('signs in to the tasks list, which invites to start a task', async (context) => {
    if (!(await served('/api/v1/tasks'))) missing.add('GET /api/v1/tasks');
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/tasks');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Tasks' })
      .waitFor();
    needs(context, 'GET /api/v1/tasks');
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
    expect(await page.content()).not.toContain('sk-mine-abcdef-9876');
    await screenshot(page, 'settings-providers');
  });

  it('starts a task from the form and streams its answer, whole after a reload', async (context) => {
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

    const refused = await request<{ error: { code: string; message: string } }>(
      server.url,
      'POST',
      '/api/v1/tasks',
      { token: user.token, json: { repoId, prompt: 'probe', agent: 'cursor', start: false } },
    );
    if (refused.status === 400 && refused.body.error.code === 'agent_unavailable') {
      await page.getByLabel('Agent').selectOption('cursor');
      await page.getByRole('button', { name: 'Start task' }).click();
      await page.getByRole('alert').getByText(refused.body.error.message).waitFor();
      await page.getByLabel('Agent').selectOption('lucid');
    }
    expect(await page.getByLabel('Agent').inputValue()).toBe('lucid');
    expect(await page.getByLabel('Model').inputValue()).toBe('anthropic/claude-sonnet-4-5');
    expect(await page.getByLabel('Base branch').inputValue()).toBe('main');
    await screenshot(page, 'task-new');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/(?!new$)[a-z0-9_]+$/);
    taskId = new URL(page.url()).pathname.split('/').pop() ?? '';

    if (!(await served(`/api/v1/tasks/${taskId}/stream`))) {
      missing.add('GET /api/v1/tasks/{id}/stream');
      await waitForStatus(server.url, user, taskId, ['in_review']);
      await page.reload();
    }
    needs(context, 'GET /api/v1/tasks/{id}/stream');

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

  it('shows the file in the explorer, read with its content', async (context) => {
    if (!(await served(`/api/v1/tasks/${taskId}/files`))) {
      missing.add('GET /api/v1/tasks/{id}/files');
    }
    needs(context, 'GET /api/v1/tasks/{id}/files');
    await page
      .getByRole('list', { name: 'Files', exact: true })
      .getByRole('button', { name: 'hello.txt' })
      .click();
    const file = page.getByRole('region', { name: 'File hello.txt' });
    await file.getByText('hello from lucid').waitFor();
    await screenshot(page, 'task-workspace');
  });

  it('shows the command in the terminal, and that the branch was pushed', async (context) => {
    needs(context, 'GET /api/v1/tasks/{id}/stream');
    const terminal = page.getByRole('log', { name: 'Terminal output' });
    await terminal.getByText('$ cat hello.txt && echo CHECKED').waitFor();
    await terminal.getByText('CHECKED', { exact: true }).waitFor();
    await page
      .getByRole('status')
      .getByText(/was pushed to this server/)
      .waitFor();
    await screenshot(page, 'task-terminal');
  });

  it('shows the diff against the base branch with the added line', async (context) => {
    if (!(await served(`/api/v1/tasks/${taskId}/diff`))) {
      missing.add('GET /api/v1/tasks/{id}/diff');
    }
    needs(context, 'GET /api/v1/tasks/{id}/diff');
    await page.getByRole('tab', { name: 'Diff' }).click();
    const diff = page.getByLabel('Diff');
    await diff.getByText('+hello from lucid').waitFor();
    expect(await diff.locator('.diff-added').count()).toBeGreaterThan(0);
    await screenshot(page, 'task-diff');
    await page.getByRole('tab', { name: 'Workspace' }).click();
  });

  it('sends a follow-up that the agent answers, its new file appearing in the explorer', async (context) => {
    needs(context, 'GET /api/v1/tasks/{id}/stream');
    if (!(await served(`/api/v1/tasks/${taskId}/messages`, 'POST'))) {
      missing.add('POST /api/v1/tasks/{id}/messages');
    }
    needs(context, 'POST /api/v1/tasks/{id}/messages');
    llm.script([
      {
        toolCalls: [{ name: 'write_file', input: { path: 'goodbye.txt', content: 'goodbye\n' } }],
      },
      { text: 'The follow-up is handled.' },
    ]);
    await page.getByLabel('Message to the agent').fill('Please also say goodbye');
    await page.getByLabel('Message to the agent').press('Enter');
    const chat = page.getByRole('log', { name: 'Conversation' });
    await chat.getByText('Please also say goodbye').waitFor();
    await chat.getByText('The follow-up is handled.').waitFor({ timeout: 30_000 });
    await page
      .getByRole('list', { name: 'Files', exact: true })
      .getByRole('button', { name: 'goodbye.txt' })
      .waitFor();
    await waitForStatus(server.url, user, taskId, ['in_review']);
    expect(await chat.getByText('Please also say goodbye', { exact: true }).count()).toBe(1);
  });

  it('stops a run that is working', async (context) => {
    needs(context, 'GET /api/v1/tasks/{id}/stream', 'POST /api/v1/tasks/{id}/messages');
    if (!(await served(`/api/v1/tasks/${taskId}/stop`, 'POST'))) {
      missing.add('POST /api/v1/tasks/{id}/stop');
    }
    needs(context, 'POST /api/v1/tasks/{id}/stop');
    llm.script([
      { toolCalls: [{ name: 'bash', input: { command: 'echo WAITING && sleep 60' } }] },
      { text: 'Never reached.' },
    ]);
    await page.getByLabel('Message to the agent').fill('Wait a minute');
    await page.getByRole('button', { name: 'Send' }).click();
    await page
      .getByRole('log', { name: 'Terminal output' })
      .getByText('$ echo WAITING && sleep 60')
      .waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('log', { name: 'Conversation' }).getByText('cancelled').last().waitFor({
      timeout: 30_000,
    });
    await page.getByRole('button', { name: 'Stop' }).waitFor({ state: 'detached' });
    await screenshot(page, 'task-stopped');
  });

  it('lists the task with its status, and finds it by search', async (context) => {
    needs(context, 'GET /api/v1/tasks');
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
    await screenshot(page, 'tasks-list');
  });
  it('points to the provider settings when no model is usable', async () => {
    const port = await freePort();
    const bare = await startTestServer({
      webRoot,
      env: { PORT: String(port), LUCID_PUBLIC_URL: `http://127.0.0.1:${port}` },
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
    } finally {
      await bare.close();
    }
  });
});
