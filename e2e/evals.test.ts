/**
 * Evals in a real browser: the example suite run with `lucid eval run` by two scripted models on
 * the fake LLM (Sonnet passes add and greet, Haiku shout alone); the Evals page compares them side
 * by side (success rate, median time, $/task, $/success, a bar chart each), and an eval's page shows
 * each case with its outcome, cost, the failed check's output, its diff and trajectory link.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { LocalDriver } from '../packages/server/src/sandbox/local/local-driver.ts';
import { startFakeLlm, type FakeLlm } from '../packages/server/test/fakes/llm/index.ts';
import { cliUser } from '../packages/server/test/support/cli.ts';
import { signUp, type TestUser } from '../packages/server/test/support/client.ts';
import {
  EXAMPLE_SUITE,
  exampleSuiteScript,
  type ExampleCase,
} from '../packages/server/test/support/example-suite.ts';
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

const MODELS: Record<string, ExampleCase[]> = {
  'claude-sonnet-4-5': ['add', 'greet'],
  'claude-haiku-4-5': ['shout'],
};

describe.skipIf(chromiumMissing)('the web app, evals compared', () => {
  let llm: FakeLlm;
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let user: TestUser;
  const ids: Record<string, string> = {};

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
      },
      runner: {
        driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
        slots: 2,
        leaseMs: 3_000,
        maxRuntimeMs: 120_000,
        pollMs: 100,
        warmPool: 0,
      },
    });
    user = await signUp(server.url, 'Ada Lovelace');
    const cli = await cliUser();
    const login = await cli.run(['login', '--server', server.url, '--token', user.token]);
    expect(login.code, login.stderr).toBe(0);
    for (const [model, passing] of Object.entries(MODELS)) {
      llm.script(exampleSuiteScript(model, passing));
      const ran = await cli.run(['eval', 'run', EXAMPLE_SUITE, '--model', `anthropic/${model}`]);
      expect(ran.code, ran.stderr).toBe(0);
      ids[model] = /Started eval (eval_\w+)/.exec(ran.stdout)?.[1] ?? '';
    }
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/tasks');
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await llm?.close();
  });

  it('compares the two models side by side', async () => {
    await page.getByRole('link', { name: 'Evals' }).click();
    await page.waitForURL('**/evals');
    const comparison = page.getByRole('table', { name: 'Comparison' });
    const sonnet = comparison.getByRole('row', { name: /anthropic\/claude-sonnet-4-5/ });
    const haiku = comparison.getByRole('row', { name: /anthropic\/claude-haiku-4-5/ });
    await sonnet.waitFor();
    expect(await sonnet.getByRole('cell').allTextContents()).toEqual([
      '67%',
      expect.stringMatching(/^\d+\.\d s$/),
      '$0.0090',
      '$0.0135',
    ]);
    expect(await haiku.getByRole('cell').allTextContents()).toEqual([
      '33%',
      expect.stringMatching(/^\d+\.\d s$/),
      '$0.0030',
      '$0.0090',
    ]);
    const rate = page.getByRole('img', { name: /^Success rate:/ });
    expect(await rate.getAttribute('aria-label')).toBe(
      'Success rate: lucid · anthropic/claude-haiku-4-5 33%, lucid · anthropic/claude-sonnet-4-5 67%',
    );
    await page.getByRole('img', { name: /^\$ per success:/ }).waitFor();
    await screenshot(page, 'evals-compare');
  });

  it('shows an eval’s results per case, with the failed check’s output and the diff', async () => {
    await page
      .getByRole('row', { name: /claude-sonnet-4-5/ })
      .first()
      .getByRole('link', { name: 'example' })
      .click();
    await page.waitForURL(`**/evals/${ids['claude-sonnet-4-5']}`);
    await page.getByText('67% (2/3)').waitFor();
    const shout = page.getByRole('region', { name: 'shout attempt 1' });
    await shout.getByText('failed', { exact: true }).waitFor();
    await shout.getByText('Check output').waitFor();
    expect(await shout.locator('pre').first().textContent()).toContain('shout is loud');
    const add = page.getByRole('region', { name: 'add attempt 1' });
    await add.getByText('passed', { exact: true }).waitFor();
    expect(await add.getByText(/model calls/).textContent()).toMatch(
      /^\d+\.\d s · 2 model calls · 2200 tokens · \$0\.0090 · 1 file \+1 −2$/,
    );
    await add.getByText('Diff', { exact: true }).click();
    expect(await add.getByLabel('Diff of add attempt 1').textContent()).toContain(
      '+  return a + b;',
    );
    const trajectory = add.getByRole('link', { name: 'Trajectory' });
    expect(await trajectory.getAttribute('href')).toMatch(/^\/api\/v1\/runs\/run_\w+\/export$/);
    await screenshot(page, 'eval-results');
  });
});
