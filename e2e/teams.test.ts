/**
 * Teams in a real browser, against a server where sign-up is by invitation: an owner with a team
 * workspace switches to it, sees its tasks only, and invites a viewer from the Workspace settings
 * page and revokes another pending invitation, whose link is then refused; the viewer signs up
 * through the link, joins, switches to the team and sees its board without the work's diff or any
 * action, and a repository's page without its settings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Workspace } from '@lucid/contracts';
import type { TestServer } from '../packages/server/test/support/test-server.ts';
import { request, signUp, type TestUser } from '../packages/server/test/support/client.ts';
import { pushedRepo, startTask } from '../packages/server/test/support/tasks.ts';
import {
  chromiumMissing,
  openBrowser,
  screenshot,
  skipReason,
  type BrowserSession,
} from './support/browser.ts';
import { startWebServer } from './support/web-server.ts';

if (chromiumMissing) console.log(skipReason);

describe.skipIf(chromiumMissing)('teams', () => {
  let server: TestServer;
  let owner: TestUser;
  let ownerBrowser: BrowserSession;
  let viewerBrowser: BrowserSession;
  let team: Workspace;
  let repoId = '';
  let link = '';
  const stamp = `${process.pid}-${Date.now()}`;
  const viewer = {
    name: 'Vera Viewer',
    email: `vera-${stamp}@example.test`,
    password: 'correct horse battery',
  };

  beforeAll(async () => {
    server = await startWebServer({ env: { LUCID_SIGNUP: 'invite' } });
    owner = await signUp(server.url, 'Olga Owner');
    const created = await request<Workspace>(server.url, 'POST', '/api/v1/workspaces', {
      token: owner.token,
      json: { name: 'Acme' },
    });
    team = created.body;
    const repo = await pushedRepo(server.url, owner, 'acme-app');
    repoId = repo.id;
    await request(server.url, 'POST', `/api/v1/repos/${repo.id}/move`, {
      token: owner.token,
      json: { workspaceId: team.id },
    });
    await startTask(server.url, owner, { repoId, prompt: 'Team work', commands: ['true'] });
    const personal = await pushedRepo(server.url, owner, 'own-notes');
    await startTask(server.url, owner, {
      repoId: personal.id,
      prompt: 'Personal work',
      commands: ['true'],
    });
    ownerBrowser = await openBrowser({ baseURL: server.url });
  });

  afterAll(async () => {
    await viewerBrowser?.close();
    await ownerBrowser?.close();
    await server?.close();
  });

  const switcher = (page: Page) => page.getByLabel('Workspace', { exact: true });

  it('switches the owner to the team, whose tasks alone are listed', async () => {
    const { page } = ownerBrowser;
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/tasks');
    await page.getByText('Personal work').first().waitFor();
    await switcher(page).selectOption({ label: 'Acme' });
    await page.getByText('Team work').first().waitFor();
    expect(await page.getByText('Personal work').count()).toBe(0);
    await page.reload();
    await page.getByText('Team work').first().waitFor();
    expect(await switcher(page).inputValue()).toBe(team.id);
  });

  it('invites a viewer from the Workspace settings page, showing the link once', async () => {
    const { page } = ownerBrowser;
    await page.getByRole('link', { name: 'Workspace settings' }).click();
    await page.getByRole('heading', { name: 'Workspace: Acme' }).waitFor();
    await page.getByLabel('Email').fill(viewer.email);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByText(`Invitation for ${viewer.email}`).waitFor();
    link = (await page.locator('pre').first().textContent())?.trim() ?? '';
    expect(link).toMatch(new RegExp(`^${server.url}/join/lucid_join_`));
    await screenshot(page, 'teams-invite');
  });

  it('lists the pending invitations and revokes one, whose link is then refused', async () => {
    const { page } = ownerBrowser;
    const dropped = `dropped-${stamp}@example.test`;
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByLabel('Email').fill(dropped);
    await page.getByLabel('Role', { exact: true }).selectOption('member');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByText(`Invitation for ${dropped}`).waitFor();
    const droppedLink = (await page.locator('pre').first().textContent())?.trim() ?? '';
    await page.getByRole('button', { name: 'I have copied it' }).click();

    const pending = page.getByRole('list', { name: 'Pending invitations' });
    await pending.getByText(dropped).waitFor();
    await pending.getByText(viewer.email).waitFor();
    expect(
      await pending.getByText('viewer, invited by Olga Owner; expires in 7 days').count(),
    ).toBe(1);
    await screenshot(page, 'teams-invitations');

    await page.getByRole('button', { name: `Revoke the invitation for ${dropped}` }).click();
    await page.getByRole('button', { name: 'Revoke invitation' }).click();
    await pending.getByText(dropped).waitFor({ state: 'detached' });
    await pending.getByText(viewer.email).waitFor();

    await page.goto(droppedLink);
    await page.getByText('Could not join the workspace').waitFor();
    await page.getByText('This invitation has been revoked').waitFor();
    await page.getByRole('link', { name: 'Go to tasks' }).click();
    await page.waitForURL('**/tasks');
  });

  it('lets the invitee sign up through the link and join the team', async () => {
    viewerBrowser = await openBrowser({ baseURL: server.url });
    const { page } = viewerBrowser;
    await page.goto(link);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Name').fill(viewer.name);
    await page.getByLabel('Email').fill(viewer.email);
    await page.getByLabel('Password').fill(viewer.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('you have joined the workspace').waitFor();
    const members = await request<{ members: { email: string; role: string }[] }>(
      server.url,
      'GET',
      `/api/v1/workspaces/${team.id}/members`,
      { token: owner.token },
    );
    expect(members.body.members.map((m) => m.role)).toEqual(['owner', 'viewer']);
  });

  it('shows the viewer the board without the diff or any action', async () => {
    const { page } = viewerBrowser;
    await page.getByRole('link', { name: 'Go to tasks' }).click();
    await switcher(page).selectOption({ label: 'Acme' });
    await page.getByText('Team work').first().waitFor();
    await page.goto(`/repos/${repoId}/board`);
    const card = page.getByRole('listitem', { name: 'Team work' });
    await card.waitFor();
    expect(await page.getByRole('button', { name: 'New card' }).count()).toBe(0);
    expect(await card.getByRole('button').count()).toBe(0);
    await card.getByRole('link', { name: 'Team work' }).click();
    const detail = page.getByRole('complementary', { name: 'Card detail' });
    await detail.getByText('You are a viewer of this workspace').waitFor();
    expect(await detail.getByRole('tab').count()).toBe(0);
    expect(await detail.getByRole('button').count()).toBe(0);
    await screenshot(page, 'teams-viewer');
  });

  it("shows a repository's settings to the workspace's admins only, and its code to members", async () => {
    const { page } = viewerBrowser;
    await page.goto(`/repos/${repoId}`);
    await page.getByRole('heading', { name: 'acme-app' }).waitFor();
    await page.getByText('The workspace’s admins change this repository’s settings.').waitFor();
    await page.getByText('its code, branches and commits need the member role').waitFor();
    expect(await page.getByLabel('Default branch').count()).toBe(0);
    expect(await page.getByRole('button', { name: /Delete/ }).count()).toBe(0);
    expect(await page.getByRole('link', { name: /New task/ }).count()).toBe(0);
    expect(await page.getByText('Push more code').count()).toBe(0);
    expect(await page.getByText('Clone URL').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Open the board' }).count()).toBe(1);
    await screenshot(page, 'teams-viewer-repo');

    await ownerBrowser.page.goto(`/repos/${repoId}`);
    await ownerBrowser.page.getByLabel('Default branch').waitFor();
    expect(await ownerBrowser.page.getByText('The workspace’s admins change this').count()).toBe(0);
    expect(await ownerBrowser.page.getByRole('link', { name: /New task/ }).count()).toBe(1);
    await ownerBrowser.page.getByText('Push more code').waitFor();
  });
});
