/**
 * The pipeline's timeline in a real browser, against the fake Vercel and the scripted model: a
 * task's stages fill in live above its tabs (coding, safety, the preview, the approval), its
 * promotion completes production; a failed build fails the preview stage with Vercel's reason and
 * its Retry deploys again; the Usage page shows the Pipeline panel with the metrics Lucid measured.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { signUp, request, type TestUser } from '../packages/server/test/support/client.ts';
import { fakeProviderEnv } from '../packages/server/test/support/providers.ts';
import { pushedRepo } from '../packages/server/test/support/tasks.ts';
import type { TestServer } from '../packages/server/test/support/test-server.ts';
import {
  shellTrajectory,
  startFakeLlm,
  type FakeLlm,
} from '../packages/server/test/fakes/llm/index.ts';
import { startFakeVercel, type FakeVercel } from '../packages/server/test/fakes/vercel/index.ts';
import { LocalDriver } from '../packages/server/src/sandbox/local/local-driver.ts';
import {
  chromiumMissing,
  openBrowser,
  screenshot,
  skipReason,
  type BrowserSession,
} from './support/browser.ts';
import { startWebServer } from './support/web-server.ts';

if (chromiumMissing) console.log(skipReason);

describe.skipIf(chromiumMissing)('the web app, the pipeline’s timeline', () => {
  let llm: FakeLlm;
  let vercel: FakeVercel;
  let project: ReturnType<FakeVercel['addProject']>;
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let user: TestUser;
  let repo: { id: string };

  const stage = (name: string): Locator =>
    page.getByRole('region', { name: 'Timeline' }).locator(`[data-stage="${name}"]`);
  const reaches = (name: string, status: string) =>
    page
      .getByRole('region', { name: 'Timeline' })
      .locator(`[data-stage="${name}"][data-status="${status}"]`)
      .waitFor();

  /** A task whose agent writes `file`; answers its id. */
  async function runTask(file: string): Promise<string> {
    llm.script(
      shellTrajectory([{ command: `printf '<h1>${file}</h1>\\n' > ${file}` }], `Added ${file}.`, {
        finishTool: 'finish',
      }),
    );
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId: repo.id, prompt: `Add ${file}` },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.task.id;
  }

  beforeAll(async () => {
    llm = await startFakeLlm();
    vercel = await startFakeVercel({ stepMs: 100 });
    project = vercel.addProject({ name: 'shop-site' });
    server = await startWebServer({
      env: {
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-timeline-e2e-0123456789',
          openai: 'sk-openai-timeline-e2e-0123456789',
          compatible: 'sk-local-timeline-e2e-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        VERCEL_API_URL: vercel.url,
        VERCEL_POLL_MS: '100',
      },
      runner: {
        driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
        slots: 1,
        pollMs: 100,
        warmPool: 0,
      },
    });
    user = await signUp(server.url, 'Grace Hopper');
    repo = await pushedRepo(server.url, user, 'shop');
    const connected = await request<{ id: string }>(
      server.url,
      'POST',
      '/api/integrations/vercel/token',
      { token: user.token, json: { token: vercel.token } },
    );
    expect(connected.status, JSON.stringify(connected.body)).toBe(200);
    const linked = await request(server.url, 'PUT', `/api/v1/repos/${repo.id}/vercel`, {
      token: user.token,
      json: { connectionId: connected.body.id, projectId: project.id },
    });
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await vercel?.stop();
    await llm?.close();
  });

  it('fills in a task’s stages live, from its source to production', async () => {
    const taskId = await runTask('index.html');
    await page.goto(`/tasks/${taskId}`);
    await reaches('coding', 'succeeded');
    await reaches('safety', 'succeeded');
    await reaches('preview', 'succeeded');
    await reaches('approval', 'waiting');
    expect(await stage('source').textContent()).toContain('Created through the API');
    expect(await stage('coding').textContent()).toMatch(/\d+ s · \$\d+\.\d+/);
    expect(await stage('pr').textContent()).toContain('The repository has no forge');
    await stage('approval').getByText('Waiting for a reviewer').waitFor();

    await page
      .getByRole('region', { name: 'Deployments' })
      .getByRole('button', { name: 'Promote to production' })
      .click();
    await reaches('approval', 'succeeded');
    await reaches('production', 'succeeded');
    await stage('approval').getByText('Promoted by Grace Hopper').waitFor();
    await screenshot(page, 'timeline');
  });

  it('fails the preview stage with Vercel’s reason, and its Retry deploys again', async () => {
    project.failBuilds = 'Module not found: Can’t resolve ./checkout';
    const taskId = await runTask('checkout.html');
    await page.goto(`/tasks/${taskId}`);
    await reaches('preview', 'failed');
    await stage('preview').getByText('Module not found: Can’t resolve ./checkout').waitFor();
    await screenshot(page, 'timeline-failed');

    project.failBuilds = null;
    await stage('preview').getByRole('button', { name: 'Deploy again' }).click();
    await reaches('preview', 'succeeded');
    expect(await stage('preview').getByRole('button').count()).toBe(0);
  });

  it('shows the pipeline’s metrics on the Usage page', async () => {
    await page.goto('/usage');
    const panel = page.getByRole('region', { name: 'Pipeline' });
    await panel.getByText('Start to preview').waitFor();
    await panel.getByText('median of 2;').waitFor();
    await panel.getByText('Every production deployment was approved').waitFor();
    expect(await panel.textContent()).toContain('Secrets blocked0');
    await screenshot(page, 'usage-pipeline');
  });
});
