/**
 * @module git/http-backend
 * Git's smart-HTTP protocol, served by the real `git http-backend` as a CGI program. It gets only
 * the canonical path, query and method of a request Lucid has parsed (`git/smart-http.ts`), and
 * only the service that request names is enabled, so git runs exactly what Lucid checked. Request
 * and response bodies are piped through with backpressure, never buffered, so a push of any size
 * runs in bounded memory.
 */
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gitEnv } from './run-git.ts';
import { isPush, smartHttpCgi, type SmartHttpRequest } from './smart-http.ts';
import { spawnProcess, type SpawnedProcess } from '../process/spawn.ts';

export interface GitHttpRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** The folder holding the bare repos. */
  projectRoot: string;
  /** The repository's folder below the project root, such as `repo_x.git`. */
  repoDir: string;
  /** What the client asked for, as `parseSmartHttp` read it. */
  request: SmartHttpRequest;
  /** The authenticated user; `git http-backend` allows pushes only when one is set. */
  remoteUser: string;
  remoteAddr: string;
  /** When set, a push may update only this ref (enforced by Lucid's pre-receive hook). */
  pushOnlyRef?: string | undefined;
  /** Runs after git has exited and before the response ends, so the client sees its effects. */
  beforeEnd?: (exitCode: number | null) => Promise<void>;
  log: GitLog;
}

/** Lucid's own git hooks, used by every repository of the git server. */
const HOOKS_PATH = fileURLToPath(new URL('../../git-hooks', import.meta.url));

/** Where git's failures are reported. */
export interface GitLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Serves one git request. Resolves when the response has ended; returns git's exit code.
 *
 * @example
 * const request = parseSmartHttp({ method: 'GET', tail: '/info/refs', query: 'service=git-upload-pack' });
 * const code = await serveGitHttp({ req, res, projectRoot, repoDir: 'repo_x.git', request, … });
 */
export async function serveGitHttp(options: GitHttpRequest): Promise<number | null> {
  const { req, res, log } = options;
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const push = isPush(options.request);
  const env = gitEnv({
    GIT_PROJECT_ROOT: options.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    ...smartHttpCgi(options.repoDir, options.request),
    REMOTE_USER: options.remoteUser,
    REMOTE_ADDR: options.remoteAddr,
    ...optional('CONTENT_TYPE', header('content-type')),
    ...optional('CONTENT_LENGTH', header('content-length')),
    ...optional('HTTP_CONTENT_ENCODING', header('content-encoding')),
    ...optional('GIT_PROTOCOL', header('git-protocol')),
    ...optional('LUCID_PUSH_ONLY_REF', options.pushOnlyRef),
    GIT_CONFIG_COUNT: '4',
    GIT_CONFIG_KEY_0: 'core.hooksPath',
    GIT_CONFIG_VALUE_0: HOOKS_PATH,
    // Only the service Lucid checked is on; the dumb protocol's files are never served.
    GIT_CONFIG_KEY_1: 'http.receivepack',
    GIT_CONFIG_VALUE_1: String(push),
    GIT_CONFIG_KEY_2: 'http.uploadpack',
    GIT_CONFIG_VALUE_2: String(!push),
    GIT_CONFIG_KEY_3: 'http.getanyfile',
    GIT_CONFIG_VALUE_3: 'false',
  });

  let child: SpawnedProcess;
  try {
    child = await spawnProcess('git', ['http-backend'], { env });
  } catch (error) {
    log.error({ err: error }, 'could not start git http-backend');
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('git is not available on the server\n');
    }
    return null;
  }

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 4096) stderr += chunk;
  });
  child.stderr.resume();
  let exited = false;
  const stop = () => {
    if (!exited) child.kill('SIGTERM');
  };
  req.pipe(child.stdin);
  child.stdin.on('error', () => {
    // git stopped reading (it answered early, or failed): the response says why.
  });
  req.on('aborted', stop);
  res.on('close', stop);

  let head = Buffer.alloc(0);
  let headersSent = false;
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf(HEADER_END);
    if (end === -1) {
      if (head.length > 64 * 1024) stop();
      return;
    }
    headersSent = true;
    child.stdout.off('data', onData);
    writeCgiHead(res, head.subarray(0, end).toString('latin1'));
    const rest = head.subarray(end + HEADER_END.length);
    if (rest.length > 0) res.write(rest);
    child.stdout.pipe(res, { end: false });
  };
  child.stdout.on('data', onData);
  child.stdout.resume();

  const { code } = await child.closed;
  exited = true;
  if (!headersSent && !res.headersSent) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('git http-backend failed\n');
  } else {
    await options.beforeEnd?.(code);
    res.end();
  }
  if (code !== 0) log.warn({ code, stderr: stderr.trim() }, 'git http-backend failed');
  return code;
}

function optional(name: string, value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { [name]: value };
}

function writeCgiHead(res: ServerResponse, head: string): void {
  let status = 200;
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
    else res.setHeader(name, value);
  }
  res.statusCode = status;
}
