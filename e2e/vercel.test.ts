/**
 * Vercel in a real browser against the fake Vercel: connect an account in Settings → Integrations
 * (a refused token says why in Vercel's words), link the repository to a project on its page, see
 * a task's preview (its state and URL), a failed build's error with Retry, and promote the preview
 * to production as the workspace's owner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { signUp, request, type TestUser } from '../packages/server/test/support/client.ts';
import { fakeProviderEnv } from '../packages/server/test/support/providers.ts';
import { gitOk } from '../packages/server/test/support/git.ts';
import { pushedRepo } from '../packages/server/test/support/tasks.ts';
import type { TestServer } from '../packages/server/test/support/test-server.ts';
import { startFakeVercel, type FakeVercel } from '../packages/server/test/fakes/vercel/index.ts';
import { bareRepoPath } from '../packages/server/src/git/bare-repo.ts';
import { enqueuePreview } from '../packages/server/src/vercel/preview.ts';
import {
  chromiumMissing,
  openBrowser,
  screenshot,
  skipReason,
  type BrowserSession,
} from './support/browser.ts';
import { startWebServer } from './support/web-server.ts';

if (chromiumMissing) console.log(skipReason);

describe.skipIf(chromiumMissing)('the web app, Vercel', () => {
  let vercel: FakeVercel;
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let user: TestUser;
  let repo: { id: string };
  let taskId: string;
  let sha: string;

  beforeAll(async () => {
    vercel = await startFakeVercel({ stepMs: 100 });
    vercel.addProject({ name: 'webshop-site' });
    // No runner: the task's preview is of the repository's first commit.
    server = await startWebServer({
      env: {
        ...fakeProviderEnv('http://127.0.0.1:9', { anthropic: 'a', openai: 'o', compatible: 'c' }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        VERCEL_API_URL: vercel.url,
        VERCEL_POLL_MS: '100',
      },
    });
    user = await signUp(server.url, 'Katherine Johnson');
    repo = await pushedRepo(server.url, user, 'webshop');
    sha = (
      await gitOk(['rev-parse', 'refs/heads/main'], bareRepoPath(`${server.dataDir}/git`, repo.id))
    ).trim();
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId: repo.id, prompt: 'Restyle the cart', commands: ['true'], start: false },
    });
    taskId = created.body.task.id;
    browser = await openBrowser({ baseURL: server.url });
    page = browser.page;
    await page.goto(`/sign-in?next=${encodeURIComponent('/settings/integrations')}`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/settings/integrations');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await vercel?.stop();
  });

  it('refuses a token Vercel refuses, and connects with one it knows', async () => {
    await page.getByRole('button', { name: 'Connect Vercel with a token' }).click();
    await page.getByLabel('Vercel access token').fill('vcp_not-a-real-one-at-all');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText('Vercel refused this token').waitFor();
    await page.getByLabel('Vercel access token').fill(vercel.token);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText(vercel.username, { exact: true }).waitFor();
  });

  it('links the repository to a project on its page', async () => {
    await page.goto(`/repos/${repo.id}`);
    const card = page.getByRole('region', { name: 'Vercel project' });
    await card.getByText('Not linked to a Vercel project.').waitFor();
    await card.getByRole('button', { name: 'Link project' }).click();
    await card.getByText('Linked to webshop-site.').waitFor();
  });

  it('shows the preview, a failed build with Retry, and promotes it to production', async () => {
    const project = [...vercel.deployments()].length;
    expect(project).toBe(0);
    // A failing build first: its error, and Retry deploys the commit again.
    const site = vercel.project(
      (
        await request<{ link: { projectId: string } }>(
          server.url,
          'GET',
          `/api/v1/repos/${repo.id}/vercel`,
          { token: user.token },
        )
      ).body.link.projectId,
    );
    site.failBuilds = 'Type error: Property "total" does not exist';
    await enqueuePreview(server.database.db, { taskId, runId: null, sha });
    await page.goto(`/tasks/${taskId}`);
    const card = page.getByRole('region', { name: 'Deployments' });
    await card.getByText('The build failed: Type error: Property "total" does not exist').waitFor();
    site.failBuilds = null;
    await card.getByRole('button', { name: 'Retry' }).click();
    const ready = card.getByRole('link', { name: /^https:\/\/webshop-site-/ });
    await ready.waitFor();
    // The conversation says so too, with the preview's address.
    await page.getByText('Preview ready →').waitFor();
    await screenshot(page, 'vercel-preview');

    await card.getByRole('button', { name: 'Promote to production' }).click();
    await card.getByText('serving production').waitFor();
    await card.getByText('Approved by Katherine Johnson.').waitFor();
    await card.getByRole('button', { name: 'Roll back' }).waitFor();
    await page.getByText('Katherine Johnson promoted this preview to production.').waitFor();
    expect(site.production).not.toBeNull();
    await screenshot(page, 'vercel-promoted');
  });
});
