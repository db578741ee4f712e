/**
 * Debian's chromium driven by playwright-core, for the browser tests: a fresh profile per launch,
 * no downloaded browser, no network beyond what the page asks for. When /usr/bin/chromium is
 * missing the tests are skipped and say why. Every page is watched for Content Security Policy
 * violations: closing a session that met one fails, so each journey also checks that Lucid's pages
 * work under the server's CSP.
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
  /** The Content Security Policy violations the browser reported so far, as it worded them. */
  cspViolations(): string[];
  /** Closes the browser; throws when a page met a Content Security Policy violation. */
  close(): Promise<void>;
}

/** How chromium words a CSP violation in the console. */
const CSP_VIOLATION = /Content Security Policy/i;

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
  const violations: string[] = [];
  context.on('console', (message) => {
    if (CSP_VIOLATION.test(message.text())) violations.push(message.text());
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    cspViolations: () => [...violations],
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
      if (violations.length > 0) {
        throw new Error(
          `The pages met Content Security Policy violations:\n${violations.join('\n')}`,
        );
      }
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
