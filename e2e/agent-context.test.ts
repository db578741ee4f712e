/**
 * The agent's context in a real browser: a task whose command outputs outgrow a small context
 * window shows each compaction in its conversation ("Context compacted: 13k → 5k tokens", what was
 * shortened beside it), and the page's header shows what the provider's prompt cache saved beside
 * the cost.
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
  type ScriptStep,
} from '../packages/server/test/fakes/llm/index.ts';
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

/** A step printing about 16,000 characters: a quarter of the window each. */
const listing = (step: number): ScriptStep => ({
  when: offersTools,
  toolCalls: [{ name: 'bash', input: { command: `seq -f 'line %g of step ${step}' 800` } }],
});

describe.skipIf(chromiumMissing)('the web app, an agent that outgrows its context', () => {
  let llm: FakeLlm;
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let user: TestUser;
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
        LUCID_CONTEXT_WINDOW: '16000',
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
    user = await signUp(server.url, 'Ada Lovelace');
    const repo = await pushedRepo(server.url, user, 'listings');
    llm.script([
      {
        when: offersTools,
        text: 'I will print the listings, then finish.',
        toolCalls: [{ name: 'write_file', input: { path: 'notes.txt', content: 'listings\n' } }],
      },
      ...Array.from({ length: 6 }, (_, i) => listing(i + 1)),
      { when: offersTools, toolCalls: [{ name: 'finish', input: { summary: 'Printed them.' } }] },
    ]);
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId: repo.id, prompt: 'Print six listings' },
    });
    expect(created.status).toBe(201);
    taskId = created.body.task.id;
    await waitForStatus(server.url, user, taskId, ['in_review'], 60_000);
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/tasks');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await llm?.close();
  });

  it('shows each compaction of the context in the conversation', async () => {
    await page.goto(`/tasks/${taskId}`);
    const compacted = page.getByText(/^Context compacted: \d+(\.\d)?k → \d+(\.\d)?k tokens/);
    await compacted.first().waitFor();
    expect(await compacted.count()).toBeGreaterThan(0);
    expect(await compacted.first().textContent()).toMatch(/long tool outputs? shortened to notes/);
    await compacted.first().scrollIntoViewIfNeeded();
    await screenshot(page, 'task-context-compacted');
  });

  it('shows what the prompt cache saved beside the cost', async () => {
    const usage = page.getByLabel('Usage');
    await usage.getByText(/^, \$\d+\.\d+ saved by the cache$/).waitFor();
    expect(await usage.locator('dd').nth(2).textContent()).toMatch(
      /^\$\d+\.\d+, \$\d+\.\d+ saved by the cache$/,
    );
    await screenshot(page, 'task-cache-saving');
  });
});
