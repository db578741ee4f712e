/**
 * Workspace credentials in a real browser: a team's owner connects the workspace's GitHub account
 * and sets its Anthropic key from the Workspace settings page's Credentials section, seeing the
 * account and the key's last characters only; a member without credentials of their own sees them
 * read-only, and their task's page says it used the workspace's GitHub connection and key.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CreatedWorkspaceInvitation, Workspace } from '@lucid/contracts';
import { LocalDriver } from '../packages/server/src/sandbox/local/local-driver.ts';
import { startFakeGitHub, type FakeGitHub } from '../packages/server/test/fakes/github/index.ts';
import {
  shellTrajectory,
  startFakeLlm,
  type FakeLlm,
} from '../packages/server/test/fakes/llm/index.ts';
import { request, signUp, type TestUser } from '../packages/server/test/support/client.ts';
import { waitForEvent } from '../packages/server/test/support/forges.ts';
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

const WORKSPACE_KEY = 'sk-ant-e2e-workspace-key-0123456789abcd';

describe.skipIf(chromiumMissing)('workspace credentials', () => {
  let github: FakeGitHub;
  let llm: FakeLlm;
  let server: TestServer;
  let owner: TestUser;
  let member: TestUser;
  let team: Workspace;
  let botToken = '';
  let ownerBrowser: BrowserSession;
  let memberBrowser: BrowserSession;

  async function signIn(page: Page, user: TestUser): Promise<void> {
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/tasks');
    await page.getByLabel('Workspace', { exact: true }).selectOption({ label: 'Platform' });
  }

  beforeAll(async () => {
    github = await startFakeGitHub();
    llm = await startFakeLlm({ apiKey: WORKSPACE_KEY });
    botToken = github.addUser({ login: 'platform-bot' }).token;
    await github.addRepo('platform-bot', 'app', { files: { 'README.md': '# app\n' } });
    server = await startWebServer({
      env: {
        ...github.env(),
        LUCID_SIGNUP: 'invite',
        ANTHROPIC_BASE_URL: `${llm.url}/v1`,
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
    owner = await signUp(server.url, 'Olga Owner');
    team = (
      await request<Workspace>(server.url, 'POST', '/api/v1/workspaces', {
        token: owner.token,
        json: { name: 'Platform' },
      })
    ).body;
    const email = `mo-${process.pid}-${Date.now()}@example.test`;
    const invited = await request<CreatedWorkspaceInvitation>(
      server.url,
      'POST',
      `/api/v1/workspaces/${team.id}/invitations`,
      { token: owner.token, json: { email, role: 'member' } },
    );
    member = await signUp(server.url, 'Mo Member', { email, invitation: invited.body.token });
    ownerBrowser = await openBrowser({ baseURL: server.url });
  }, 120_000);

  afterAll(async () => {
    await memberBrowser?.close();
    await ownerBrowser?.close();
    await server?.close();
    await llm?.close();
    await github?.close();
  });

  it('lets the owner connect GitHub and set a key for the workspace, showing no secret', async () => {
    const { page } = ownerBrowser;
    await signIn(page, owner);
    await page.getByRole('link', { name: 'Workspace settings' }).click();
    const section = page.getByRole('region', { name: 'Credentials' });
    await section.getByText('This workspace has no credentials of its own.').waitFor();

    await section.getByLabel('Forge').selectOption('github');
    await section.getByLabel('Personal access token').fill(botToken);
    await section.getByRole('button', { name: 'Connect for the workspace' }).click();
    await section.getByText('platform-bot').waitFor();

    await section.getByLabel('Provider').selectOption('anthropic');
    await section.getByLabel('API key').fill(WORKSPACE_KEY);
    await section.getByRole('button', { name: "Set the workspace's key" }).click();
    await section.getByText('…abcd').waitFor();

    const text = (await page.content()) ?? '';
    expect(text).not.toContain(botToken);
    expect(text).not.toContain(WORKSPACE_KEY);
    await screenshot(page, 'workspace-credentials-owner');
  });

  it("shows the member the credentials read-only, and their task says it used the workspace's", async () => {
    const added = await request<{ id: string }>(
      server.url,
      'POST',
      '/api/integrations/github/repos',
      { token: owner.token, json: { fullName: 'platform-bot/app', workspaceId: team.id } },
    );
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    llm.script(
      shellTrajectory([{ command: 'echo done > done.txt' }], 'Wrote done.txt.', {
        finishTool: 'finish',
      }),
    );
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: member.token,
      json: { repoId: added.body.id, prompt: 'Write done.txt' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const taskId = created.body.task.id;
    await waitForEvent(server, member, taskId, (e) => e.type === 'pr.opened');

    memberBrowser = await openBrowser({ baseURL: server.url });
    const { page } = memberBrowser;
    await signIn(page, member);
    await page.getByRole('link', { name: 'Workspace settings' }).click();
    const section = page.getByRole('region', { name: 'Credentials' });
    await section.getByText('platform-bot').waitFor();
    await section.getByText('…abcd').waitFor();
    expect(await section.getByRole('button').count()).toBe(0);

    await page.goto(`/tasks/${taskId}`);
    const chat = page.getByRole('log', { name: 'Conversation' });
    await chat.getByText("Using the workspace's GitHub connection (platform-bot)").waitFor();
    await chat.getByText("Using the workspace's Anthropic key (…abcd)").waitFor();
    await screenshot(page, 'workspace-credentials-task');
  });
});
