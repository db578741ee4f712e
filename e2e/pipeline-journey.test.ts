/**
 * The pipeline's whole journey in a real browser, against the fake Notion, GitHub, Vercel and
 * model: a member picks a page of the team's mapped Notion database on New task → From Notion and
 * starts it planning first; the plan waits for approval and, approved in the page, the agent codes;
 * the pull request opens on GitHub and the Vercel preview becomes ready; the member asks for its
 * promotion, and the team's admin, in a browser of their own, promotes it to production. The
 * task's timeline shows every stage succeeded, and the Notion page holds the PR link and the
 * preview's URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  JOURNEY_PLAN,
  scriptCoding,
  scriptPlan,
  startPipeline,
  type PipelineWorld,
} from '../packages/server/test/support/pipeline.ts';
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

const STAGES = [
  'source',
  'plan',
  'coding',
  'tests',
  'safety',
  'pr',
  'preview',
  'approval',
  'production',
];

describe.skipIf(chromiumMissing)('the web app, the pipeline’s whole journey', () => {
  let world: PipelineWorld;
  let memberBrowser: BrowserSession;
  let adminBrowser: BrowserSession;
  let page: Page;
  let taskId = '';
  let pageId = '';

  const deployments = (on: Page) => on.getByRole('region', { name: 'Deployments' });
  const reaches = (on: Page, stage: string, status: string) =>
    on
      .getByRole('region', { name: 'Timeline' })
      .locator(`[data-stage="${stage}"][data-status="${status}"]`)
      .waitFor();

  beforeAll(async () => {
    world = await startPipeline(startWebServer);
    memberBrowser = await openBrowser({ baseURL: world.server.url });
    page = memberBrowser.page;
    await signIn(page, world.member);
  });

  afterAll(async () => {
    await memberBrowser?.close();
    await adminBrowser?.close();
    await world?.close();
  });

  it('starts a Notion page’s task from the picker, planning first, and shows its plan', async () => {
    pageId = world.notion.addPage(world.database, {
      title: 'Add a banner',
      values: { Status: 'To do' },
    }).id;
    scriptPlan(world.llm);
    const switcher = page.getByLabel('Workspace', { exact: true });
    await switcher.selectOption({ label: 'Web team' });
    await expect.poll(() => switcher.inputValue()).toBe(world.teamId);
    await page.goto('/tasks/new');
    await page.getByRole('tab', { name: 'From Notion' }).click();
    await page.getByRole('button', { name: 'Choose Storefront board' }).click();
    await page
      .getByRole('list', { name: 'Notion tasks' })
      .getByRole('button', { name: 'Use Add a banner' })
      .click();
    await page.getByText('From Notion: Add a banner', { exact: false }).waitFor();
    await page.getByLabel('Plan first').selectOption('review');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/task_/);
    taskId = page.url().split('/tasks/')[1] ?? '';

    const plan = page.getByRole('region', { name: 'Plan' });
    await plan.getByText('waiting for your approval').waitFor();
    await plan.getByText(JOURNEY_PLAN.goal).waitFor();
    await reaches(page, 'source', 'succeeded');
    await reaches(page, 'plan', 'waiting');
    await screenshot(page, 'journey-plan');
  });

  it('approves the plan: the agent codes, the pull request opens and the preview becomes ready', async () => {
    scriptCoding(world.llm, 'banner.html');
    const plan = page.getByRole('region', { name: 'Plan' });
    await plan.getByRole('button', { name: 'Approve', exact: true }).click();
    await plan.getByText('approved by Max Member').waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: 'was pushed to this server' })
      .getByRole('link', { name: 'Open the pull request #1' })
      .waitFor({ timeout: 30_000 });
    const [pull] = world.github.pulls(world.repo.fullName);
    expect(pull).toMatchObject({ base: 'main', state: 'open' });

    const preview = deployments(page).getByRole('link', { name: /^https:\/\/storefront-/ });
    await preview.waitFor({ timeout: 30_000 });
    await reaches(page, 'preview', 'succeeded');
    await reaches(page, 'approval', 'waiting');
    await screenshot(page, 'journey-preview');
  });

  it('a member asks for the promotion; the admin, in a browser of their own, promotes it', async () => {
    await deployments(page).getByRole('button', { name: 'Request promotion' }).click();
    await deployments(page).getByText('Max Member asked for its promotion to production').waitFor();
    expect(
      await deployments(page).getByRole('button', { name: 'Promote to production' }).count(),
    ).toBe(0);

    adminBrowser = await openBrowser({ baseURL: world.server.url });
    const admin = adminBrowser.page;
    await signIn(admin, world.admin, `/tasks/${taskId}`);
    await deployments(admin)
      .getByText('Max Member asked for its promotion to production')
      .waitFor();
    await deployments(admin).getByRole('button', { name: 'Promote to production' }).click();
    await deployments(admin).getByText('serving production').waitFor();
    await deployments(admin).getByText('Approved by Ada Admin, asked by Max Member.').waitFor();
    await reaches(admin, 'production', 'succeeded');
    await screenshot(admin, 'journey-production');

    // The member's page follows live.
    await reaches(page, 'production', 'succeeded');
    await page.getByText('Ada Admin promoted this preview to production.').waitFor();
  });

  it('shows every stage succeeded; the Notion page holds the PR link and the preview’s URL', async () => {
    for (const stage of STAGES) await reaches(page, stage, 'succeeded');
    const [pull] = world.github.pulls(world.repo.fullName);
    const preview =
      (await deployments(page)
        .getByRole('link', { name: /^https:\/\/storefront-/ })
        .first()
        .getAttribute('href')) ?? '';
    await expect.poll(() => world.notion.page(pageId)?.values.PR).toBe(pull?.url);
    await expect.poll(() => world.notion.page(pageId)?.values.Preview).toBe(preview);
  });
});
