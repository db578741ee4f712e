/**
 * A Lucid server for the browser tests: it serves the built web app, and listens on a port whose
 * URL is its public URL, so that the page's origin is the one sign-in trusts.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  startTestServer,
  type TestServer,
} from '../../packages/server/test/support/test-server.ts';

const webRoot = fileURLToPath(new URL('../../packages/web/dist', import.meta.url));

type ServerOptions = NonNullable<Parameters<typeof startTestServer>[0]>;

/**
 * @example
 * const server = await startWebServer({ env: { GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 's' } });
 */
export async function startWebServer(
  options: Omit<ServerOptions, 'webRoot'> = {},
): Promise<TestServer> {
  if (!existsSync(`${webRoot}/index.html`)) {
    throw new Error(
      `${webRoot}/index.html is missing: build the web app first with: npm run build -w @lucid/web`,
    );
  }
  const port = await freePort();
  return startTestServer({
    ...options,
    webRoot,
    env: { PORT: String(port), LUCID_PUBLIC_URL: `http://127.0.0.1:${port}`, ...options.env },
  });
}
