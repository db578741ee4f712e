/**
 * Sign-up by invitation in a real browser, against a server with `LUCID_SIGNUP=invite`: the first
 * person signs up and is the admin, makes an invitation link on the Invitations page, and a new
 * user signs up through it (after the page has told a visitor without one how sign-up works); an
 * unused invitation is revoked. And the API reference renders under the server's CSP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
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

describe.skipIf(chromiumMissing)('sign-up by invitation', () => {
  let server: TestServer;
  let admin: BrowserSession;
  let page: Page;
  let link = '';
  const stamp = `${process.pid}-${Date.now()}`;
  const invitee = {
    name: 'Grace Hopper',
    email: `grace-${stamp}@example.test`,
    password: 'correct horse battery',
  };

  beforeAll(async () => {
    server = await startWebServer({ env: { LUCID_SIGNUP: 'invite' } });
    admin = await openBrowser({ baseURL: server.url });
    page = admin.page;
  });

  afterAll(async () => {
    await admin?.close();
    await server?.close();
  });

  const nav = (p: Page) => p.getByRole('navigation', { name: 'Main' });

  it('lets the first person sign up without an invitation, as the admin', async () => {
    await page.goto('/sign-up');
    await page.getByLabel('Name').fill('Ada Admin');
    await page.getByLabel('Email').fill(`ada-${stamp}@example.test`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/tasks');
    await nav(page).getByRole('link', { name: 'Invitations' }).click();
    await page.waitForURL('**/settings/invitations');
    await page.getByText('Sign-up on this server is by invitation').waitFor();
    await page.getByRole('heading', { name: 'No invitations yet' }).waitFor();
  });

  it('makes an invitation link for one address, shown once', async () => {
    await page.getByLabel('Email (optional)').fill(invitee.email);
    await page.getByRole('button', { name: 'Create invitation' }).click();
    await page.getByText('Copy the link now: it will not be shown again.').waitFor();
    link = (await page.getByTestId('new-invitation').locator('code').textContent()) ?? '';
    expect(link).toMatch(new RegExp(`^${server.url}/sign-up\\?invitation=lucid_inv_`));
    await screenshot(page, 'invitation-created');

    await page.getByRole('button', { name: 'I have copied it' }).click();
    const row = page.getByRole('row').filter({ hasText: invitee.email });
    await row.getByText('Waiting').waitFor();
    expect(await page.content()).not.toContain(link);
  });

  it('tells a visitor without an invitation that sign-up is by invitation', async () => {
    const visitor = await openBrowser({ baseURL: server.url });
    try {
      await visitor.page.goto('/sign-in');
      await visitor.page.getByText('Ask an admin of this server for an invitation.').waitFor();
      expect(await visitor.page.getByRole('link', { name: 'Create an account' }).count()).toBe(0);
      await visitor.page.goto('/sign-up');
      await visitor.page.getByRole('heading', { name: 'Sign-up is by invitation' }).waitFor();
      expect(await visitor.page.getByRole('button', { name: 'Create account' }).count()).toBe(0);
      await screenshot(visitor.page, 'sign-up-by-invitation');
    } finally {
      await visitor.close();
    }
  });

  it('signs the invited person up through the link, with the address it was made for', async () => {
    const guest = await openBrowser({ baseURL: server.url });
    try {
      const p = guest.page;
      await p.goto(link);
      await p.getByText('You have been invited to this Lucid server.').waitFor();
      await p.getByLabel('Name').fill(invitee.name);
      await p.getByLabel('Email').fill(`someone-else-${stamp}@example.test`);
      await p.getByLabel('Password').fill(invitee.password);
      await p.getByRole('button', { name: 'Create account' }).click();
      await p
        .getByRole('alert')
        .getByText('This invitation is for another email address')
        .waitFor();
      await screenshot(p, 'invitation-other-email');

      await p.getByLabel('Email').fill(invitee.email);
      await p.getByRole('button', { name: 'Create account' }).click();
      await p.waitForURL('**/tasks');
      await p.getByRole('banner').getByText(invitee.email).waitFor();
      await nav(p).getByRole('link', { name: 'Repositories' }).waitFor();
      expect(await nav(p).getByRole('link', { name: 'Invitations' }).count()).toBe(0);
    } finally {
      await guest.close();
    }

    await page.reload();
    const row = page.getByRole('row').filter({ hasText: invitee.email });
    await row.getByText('Used').waitFor();
    expect(await row.getByRole('button', { name: /Revoke/ }).count()).toBe(0);
  });

  it('revokes an unused invitation, after which its link is refused', async () => {
    await page.getByRole('button', { name: 'Create invitation' }).click();
    const unused = (await page.getByTestId('new-invitation').locator('code').textContent()) ?? '';
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page
      .getByRole('button', { name: 'Revoke the invitation for Anyone with the link' })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this invitation?' });
    await dialog.getByRole('button', { name: 'Revoke invitation' }).click();
    await page
      .getByRole('row')
      .filter({ hasText: 'Anyone with the link' })
      .getByText('Revoked')
      .waitFor();
    await screenshot(page, 'invitations-list');

    const late = await openBrowser({ baseURL: server.url });
    try {
      await late.page.goto(unused);
      await late.page.getByLabel('Name').fill('Too Late');
      await late.page.getByLabel('Email').fill(`late-${stamp}@example.test`);
      await late.page.getByLabel('Password').fill('correct horse battery');
      await late.page.getByRole('button', { name: 'Create account' }).click();
      await late.page.getByRole('alert').getByText('This invitation has been revoked').waitFor();
    } finally {
      await late.close();
    }
  });

  it('renders the API reference under the Content Security Policy', async () => {
    await page.goto('/api/docs');
    await page.getByRole('heading', { name: /Lucid API/ }).waitFor();
    await page.getByText('/api/v1/invitations').first().waitFor();
    expect(admin.cspViolations()).toEqual([]);
  });
});
