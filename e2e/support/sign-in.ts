/**
 * Signing in through the sign-in page, as a person does, landing on `next`.
 */
import type { Page } from 'playwright-core';
import type { TestUser } from '../../packages/server/test/support/client.ts';

/**
 * @example
 * await signIn(page, user, '/settings/integrations');
 */
export async function signIn(page: Page, user: TestUser, next = '/tasks'): Promise<void> {
  await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`**${next}`);
}
