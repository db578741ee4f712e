/**
 * @module bench/git-server/lucid
 * Lucid as the git benchmark sees it: a data dir set up once (a user who signed up over HTTP and
 * made an API token), then Lucid started on it in this process, on the embedded database, with
 * every git request authenticated by that token as `lucid ingest` would send it.
 */
import { createServer } from 'node:net';
import { loadConfig, type Config } from '../../packages/server/src/config.ts';
import { startServer, type RunningServer } from '../../packages/server/src/server.ts';

export interface LucidGitServer {
  url: string;
  /** Creates an empty repository; returns its id and a URL carrying the token for git. */
  createRepo(name: string): Promise<{ id: string; gitUrl: string }>;
  deleteRepo(id: string): Promise<void>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function start(dataDir: string): Promise<{ server: RunningServer; config: Config }> {
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    LUCID_PUBLIC_URL: `http://127.0.0.1:${port}`,
    LUCID_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
  });
  return { server: await startServer({ config }), config };
}

async function call<T>(
  url: string,
  method: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ json: T; headers: Headers }> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${text}`);
  return { json: (text === '' ? null : JSON.parse(text)) as T, headers: response.headers };
}

/**
 * Starts Lucid on a new data dir, signs a user up, makes them an API token and stops again.
 *
 * @example
 * const { token } = await setUpLucid({ dataDir });
 */
export async function setUpLucid(options: { dataDir: string }): Promise<{ token: string }> {
  const { server, config } = await start(options.dataDir);
  try {
    const origin = config.publicUrl;
    const signup = await call<{ user: { id: string } }>(
      `${server.url}/api/auth/sign-up/email`,
      'POST',
      { email: 'bench@example.test', password: 'correct horse battery', name: 'Bench' },
      { origin },
    );
    const cookie = signup.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const { json } = await call<{ token: string }>(
      `${server.url}/api/v1/tokens`,
      'POST',
      { name: 'bench' },
      { cookie, origin },
    );
    return { token: json.token };
  } finally {
    await server.close();
  }
}

/**
 * Starts Lucid on a data dir that `setUpLucid` prepared, on a free loopback port.
 *
 * @example
 * const lucid = await startLucid({ dataDir, token });
 * const { gitUrl } = await lucid.createRepo('bench-1');
 */
export async function startLucid(options: {
  dataDir: string;
  token: string;
}): Promise<LucidGitServer> {
  const { server } = await start(options.dataDir);
  const auth = { authorization: `Bearer ${options.token}` };
  return {
    url: server.url,
    createRepo: async (name) => {
      const { json: repo } = await call<{ id: string }>(
        `${server.url}/api/v1/repos/ingest`,
        'POST',
        { name },
        auth,
      );
      const gitUrl = new URL(`${server.url}/git/${repo.id}.git`);
      gitUrl.username = 'lucid';
      gitUrl.password = options.token;
      return { id: repo.id, gitUrl: gitUrl.toString() };
    },
    deleteRepo: async (id) => {
      await call(`${server.url}/api/v1/repos/${id}`, 'DELETE', undefined, auth);
    },
    close: () => server.close(),
  };
}
