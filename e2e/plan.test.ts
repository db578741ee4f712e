/**
 * The plan step in a real browser, against a real server with a runner and the fake LLM: an admin
 * sets the workspace's default plan mode in its settings; a task made on the new task page with
 * "Plan, then wait for my approval" shows its plan as a checklist waiting for approval (its board
 * card in In Review with a Plan badge, and a new card on the board chooses its plan mode); the plan's steps are edited and approved, and the coding
 * run ticks them live, the page then telling the cost of each phase; another task's plan is
 * rejected with a note, and the task stops without a coding run.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { LocalDriver } from '../packages/server/src/sandbox/local/local-driver.ts';
import {
  offersTools,
  startFakeLlm,
  type FakeLlm,
} from '../packages/server/test/fakes/llm/index.ts';
import { request, signUp, type TestUser } from '../packages/server/test/support/client.ts';
import { fakeProviderEnv } from '../packages/server/test/support/providers.ts';
import { pushedRepo } from '../packages/server/test/support/tasks.ts';
import type { TestServer } from '../packages/server/test/support/test-server.ts';
import {
  chromiumMissing,
  openBrowser,
  screenshot,
  skipReason,
  type BrowserSession,
} from './support/browser.ts';
import { signIn } from './support/sign-in.ts';
import { startWebServer } from './support/web-server.ts';

if (chromiumMissing) console.log(skipReason);

const PLAN = {
  goal: 'Greet the readers of the repository',
  files: [{ path: 'hello.txt', why: 'the greeting lives there' }],
  steps: [
    { title: 'Write the greeting', detail: 'hello.txt says hello' },
    { title: 'Check it', detail: 'read it back' },
  ],
  testing: 'cat hello.txt',
  risks: 'None worth naming',
};

describe.skipIf(chromiumMissing)('the web app, the plan step', () => {
  let llm: FakeLlm;
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let user: TestUser;
  let repo: { id: string };
  let taskId = '';
  /** Lets the coding run's second step go: the first tick is seen before the second. */
  let release: () => void = () => {};

  beforeAll(async () => {
    llm = await startFakeLlm();
    server = await startWebServer({
      env: {
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-plan-e2e-0123456789',
          openai: 'sk-openai-plan-e2e-0123456789',
          compatible: 'sk-local-plan-e2e-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        LUCID_PLAN_MODEL: 'anthropic/claude-haiku-4-5',
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
    repo = await pushedRepo(server.url, user, 'planned');
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await llm?.close();
  });

  it('sets the workspace’s default plan mode in its settings', async () => {
    await signIn(page, user, '/settings/workspace');
    const form = page.getByRole('form', { name: 'Default plan mode' });
    expect(await form.getByLabel('Plan first').inputValue()).toBe('off');
    await form.getByLabel('Plan first').selectOption('auto');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByText('New tasks now default to: plan, then code at once.').waitFor();
    const workspaces = await request<{ workspaces: Array<{ planMode: string }> }>(
      server.url,
      'GET',
      '/api/v1/workspaces',
      { token: user.token },
    );
    expect(workspaces.body.workspaces[0]?.planMode).toBe('auto');
  });

  it('shows the plan of a task in review mode as a checklist waiting for approval', async () => {
    llm.script([
      { when: offersTools, toolCalls: [{ name: 'list_files', input: {} }] },
      { when: offersTools, toolCalls: [{ name: 'submit_plan', input: PLAN }] },
    ]);
    await page.goto(`/tasks/new?repo=${repo.id}`);
    await page.getByLabel('What should be done?').fill('Add hello.txt saying hello');
    await page.getByLabel('Plan first').selectOption('review');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/task_/);
    taskId = page.url().split('/tasks/')[1] ?? '';
    const plan = page.getByRole('region', { name: 'Plan' });
    await plan.getByText('waiting for your approval').waitFor();
    await plan.getByText(PLAN.goal).waitFor();
    await plan.getByRole('checkbox', { name: 'Write the greeting', exact: true }).waitFor();
    await plan.getByText('hello.txt', { exact: true }).waitFor();
    await screenshot(page, 'plan-review');

    await page.goto(`/repos/${repo.id}/board`);
    const card = page
      .getByRole('region', { name: 'In Review', exact: true })
      .getByRole('listitem', { name: 'Add hello.txt saying hello', exact: true });
    await card.getByText('Plan', { exact: true }).waitFor();

    // The board's new card chooses its plan mode too.
    await page.getByRole('button', { name: 'New card' }).click();
    const dialog = page.getByRole('dialog', { name: 'New card' });
    await dialog.getByLabel('Title').fill('Plan me later');
    await dialog.getByLabel('Description').fill('Add later.txt');
    await dialog.getByLabel('Plan first').selectOption('review');
    await dialog.getByRole('button', { name: 'Create card' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const later = page
      .getByRole('region', { name: 'To Do', exact: true })
      .getByRole('listitem', { name: 'Plan me later', exact: true });
    const laterId = (await later.getAttribute('data-task-id')) ?? '';
    const made = await request<{ planMode: string }>(
      server.url,
      'GET',
      `/api/v1/tasks/${laterId}`,
      { token: user.token },
    );
    expect(made.body.planMode).toBe('review');
  });

  it('approves the edited plan; the coding run ticks its steps live', async () => {
    let go: () => void = () => {};
    const held = new Promise<void>((resolve) => (go = resolve));
    release = go;
    llm.reset();
    llm.script([
      {
        when: offersTools,
        toolCalls: [
          { name: 'write_file', input: { path: 'hello.txt', content: 'hello\n' } },
          { name: 'plan_step_done', input: { index: 0 } },
        ],
      },
      {
        when: offersTools,
        hold: held,
        toolCalls: [
          { name: 'plan_step_done', input: { index: 1 } },
          { name: 'finish', input: { summary: 'Wrote the greeting.' } },
        ],
      },
    ]);
    await page.goto(`/tasks/${taskId}`);
    const plan = page.getByRole('region', { name: 'Plan' });
    await plan.getByRole('button', { name: 'Edit' }).click();
    await plan.getByLabel('Step 2 title').fill('Read the greeting back');
    await plan.getByRole('button', { name: 'Approve as edited' }).click();
    await plan.getByText('approved by Grace Hopper, edited').waitFor();
    await plan.getByRole('checkbox', { name: 'Write the greeting (done)' }).waitFor();
    expect(
      await plan.getByRole('checkbox', { name: 'Read the greeting back', exact: true }).isChecked(),
    ).toBe(false);
    release();
    await plan.getByRole('checkbox', { name: 'Read the greeting back (done)' }).waitFor();
    await page.getByRole('button', { name: 'Approve', exact: true }).waitFor();
    const costs = page.getByLabel('Cost by phase');
    await costs.getByText(/plan \$.*code \$/).waitFor({ timeout: 15_000 });
    await screenshot(page, 'plan-ticked');
    const sent = llm.requests.filter((r) => r.protocol !== undefined);
    expect(JSON.stringify(sent[0]?.body)).toContain('Read the greeting back');
  });

  it('rejects a plan with a note: the task stops, and no coding run starts', async () => {
    release();
    llm.reset();
    llm.script([{ when: offersTools, toolCalls: [{ name: 'submit_plan', input: PLAN }] }]);
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId: repo.id, prompt: 'Add a farewell', planMode: 'review' },
    });
    const id = created.body.task.id;
    await page.goto(`/tasks/${id}`);
    const plan = page.getByRole('region', { name: 'Plan' });
    await plan.getByText('waiting for your approval').waitFor();
    await plan.getByRole('button', { name: 'Reject' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reject the plan?' });
    await dialog.getByLabel('Note').fill('Say goodbye in docs/ instead');
    await dialog.getByRole('button', { name: 'Reject' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('stopped', { exact: true }).first().waitFor();
    await page.getByText('Say goodbye in docs/ instead').first().waitFor();
    const runs = await request<{ runs: unknown[] }>(server.url, 'GET', `/api/v1/tasks/${id}/runs`, {
      token: user.token,
    });
    expect(runs.body.runs).toHaveLength(1);
  });
});
