/**
 * Debian's chromium driven by playwright-core, for the browser tests: a fresh profile per launch,
 * no downloaded browser, no network beyond what the page asks for. When /usr/bin/chromium is
 * missing the tests are skipped and say why.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** True when the browser tests cannot run here. */
export const chromiumMissing = !existsSync(CHROMIUM_PATH);

export const skipReason =
  `Skipping browser tests: ${CHROMIUM_PATH} is missing ` +
  '(install it with: apt-get update && apt-get install -y chromium).';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const screenshotDir = fileURLToPath(
  new URL('../../test-results/screenshots', import.meta.url),
);

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * Opens chromium on a laptop-sized window with its own temporary profile.
 *
 * @example
 * const browser = await openBrowser({ baseURL: server.url });
 * await browser.page.goto('/');
 * await browser.close();
 */
export async function openBrowser(options: { baseURL: string }): Promise<BrowserSession> {
  const profile = await mkdtemp(path.join(tmpdir(), 'lucid-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1366, height: 768 },
    baseURL: options.baseURL,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot to test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
