/**
 * @module bench/git-server/raw-server
 * The reference the git benchmark measures Lucid against: `git http-backend` behind the least
 * a CGI host can do, on a bare `node:http` server. No framework, no authentication (REMOTE_USER
 * is set so pushes are allowed), bodies piped straight through in both directions. It runs in a
 * process of its own, as such a server would (`spawnRawGitServer`), or in the caller's
 * (`startRawGitServer`).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface RawGitServer {
  /** Base URL; a repo `<name>.git` in the project root is at `${url}/<name>.git`. */
  url: string;
  /** The server's own process, or null when it runs in this one. */
  pid: number | null;
  /** How long spawning git blocks the server's event loop, in ms (see `spawnCost`). */
  spawnMs: number | null;
  close(): Promise<void>;
}

export interface RawGitServerOptions {
  projectRoot: string;
  home: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** Request headers `git http-backend` reads, and the CGI variables that carry them. */
const CGI_HEADERS = [
  ['content-type', 'CONTENT_TYPE'],
  ['content-length', 'CONTENT_LENGTH'],
  ['content-encoding', 'HTTP_CONTENT_ENCODING'],
  ['git-protocol', 'GIT_PROTOCOL'],
] as const;

function cgi(req: IncomingMessage, res: ServerResponse, projectRoot: string, home: string): void {
  const [pathInfo = '/', query = ''] = (req.url ?? '/').split('?', 2);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: decodeURIComponent(pathInfo),
    QUERY_STRING: query,
    REQUEST_METHOD: req.method ?? 'GET',
    REMOTE_USER: 'bench',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
  };
  for (const [name, variable] of CGI_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') env[variable] = value;
  }

  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {});
  res.on('close', () => {
    if (!res.writableFinished && child.exitCode === null) child.kill('SIGTERM');
  });
  let head = Buffer.alloc(0);
  const onHead = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf(HEADER_END);
    if (end === -1) return;
    child.stdout.off('data', onHead);
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') res.statusCode = Number.parseInt(value, 10) || 200;
      else res.setHeader(name, value);
    }
    const rest = head.subarray(end + HEADER_END.length);
    if (rest.length > 0) res.write(rest);
    child.stdout.pipe(res);
  };
  child.stdout.on('data', onHead);
  child.on('close', () => {
    if (!res.headersSent) {
      res.statusCode = 500;
      res.end();
    }
  });
}

/**
 * Serves every bare repo in `projectRoot` on a free loopback port, in this process.
 *
 * @example
 * const raw = await startRawGitServer({ projectRoot, home });
 * // git clone `${raw.url}/demo.git`
 */
export async function startRawGitServer(options: RawGitServerOptions): Promise<RawGitServer> {
  const server = createServer((req, res) => cgi(req, res, options.projectRoot, options.home));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pid: null,
    spawnMs: null,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Starts the reference in a child process of its own (`raw-server-process.ts`), which reports its
 * URL on its first line of output and exits when its standard input closes.
 *
 * @example
 * const raw = await spawnRawGitServer({ projectRoot, home });
 */
export async function spawnRawGitServer(options: RawGitServerOptions): Promise<RawGitServer> {
  const script = fileURLToPath(new URL('./raw-server-process.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    [...process.execArgv, script, options.projectRoot, options.home],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'close');
  exited.catch(() => {});
  const lines = createInterface({ input: child.stdout });
  const [first] = (await Promise.race([once(lines, 'line'), exited])) as [unknown];
  if (typeof first !== 'string') throw new Error('the reference git server did not start');
  const ready = JSON.parse(first) as { url: string; spawnMs: number };
  return {
    url: ready.url,
    pid: child.pid ?? null,
    spawnMs: ready.spawnMs,
    close: async () => {
      if (child.exitCode !== null) return;
      child.stdin.end();
      await exited;
    },
  };
}
