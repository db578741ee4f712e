/**
 * @module bench/stream/server
 * The Lucid side of the stream benchmark, in a process of its own so its CPU time can be read
 * apart: a server on a new embedded database with its own runner (local driver, one slot per
 * task), the model providers pointed at the fake LLM, a user with an API token and a repository
 * with one commit. Prints `{url, token, repoId}` as one JSON line; then answers each `cpu` line on
 * stdin with its CPU time so far (`{user, system}` in ms), and closes on `stop`. With
 * LUCID_BENCH_CPU_PROF=<dir> it profiles its CPU from a `profile` line on.
 *
 * Usage: tsx bench/stream/server.ts <fake LLM url> <slots>
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Session } from 'node:inspector/promises';
import { loadConfig } from '../../packages/server/src/config.ts';
import { randomBytes } from 'node:crypto';
import { LocalDriver } from '../../packages/server/src/sandbox/local/local-driver.ts';
import { startServer } from '../../packages/server/src/server.ts';

const [llmUrl = '', slotsArg = '50'] = process.argv.slice(2);
const dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-bench-stream-'));
const port = 20_000 + Math.floor(Math.random() * 20_000);
const server = await startServer({
  config: loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    LUCID_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ANTHROPIC_API_KEY: 'sk-ant-bench-0123456789',
    ANTHROPIC_BASE_URL: `${llmUrl}/v1`,
    LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
    // LUCID_BENCH_DATABASE_URL=postgres://…: the same run on PostgreSQL instead of the embedded database.
    ...(process.env.LUCID_BENCH_DATABASE_URL
      ? {
          DATABASE_URL: process.env.LUCID_BENCH_DATABASE_URL,
          ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        }
      : {}),
  }),
  authRateLimit: false,
  runner: {
    driver: new LocalDriver({ root: path.join(dataDir, 'sandboxes') }),
    slots: Number(slotsArg),
    pollMs: 50,
    warmPool: 0,
  },
});

async function call<T>(pathname: string, init: RequestInit & { json?: unknown }): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set('origin', server.url);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  const response = await fetch(server.url + pathname, {
    ...init,
    headers,
    body: init.json === undefined ? null : JSON.stringify(init.json),
  });
  if (!response.ok) throw new Error(`${pathname}: ${response.status} ${await response.text()}`);
  return { ...((await response.json()) as T), headers: response.headers } as T;
}

const signedUp = await call<{ headers: Headers }>('/api/auth/sign-up/email', {
  method: 'POST',
  json: { email: 'bench@example.test', password: 'correct horse battery', name: 'Bench' },
});
const cookie = signedUp.headers
  .getSetCookie()
  .map((c) => c.split(';')[0])
  .join('; ');
const { token } = await call<{ token: string }>('/api/v1/tokens', {
  method: 'POST',
  headers: { cookie },
  json: { name: 'bench' },
});
const repo = await call<{ id: string; cloneUrl: string }>('/api/v1/repos', {
  method: 'POST',
  headers: { authorization: `Bearer ${token}` },
  json: { name: 'bench' },
});
const local = path.join(dataDir, 'local');
// Asynchronously: the server answering the push runs in this process.
const run = promisify(execFile);
await run('git', ['init', '-q', '-b', 'main', local]);
await writeFile(path.join(local, 'README.md'), '# bench\n');
const git = (...args: string[]) =>
  run('git', ['-C', local, '-c', 'user.name=b', '-c', 'user.email=b@b', ...args]);
await git('add', '-A');
await git('commit', '-qm', 'first');
const push = new URL(repo.cloneUrl);
push.username = 'lucid';
push.password = token;
await git('push', '-q', push.toString(), 'main');

// LUCID_BENCH_CPU_PROF=<dir>: a CPU profile of this process from the `profile` line to `stop`,
// written to <dir> with the times of the `cpu` lines beside it (`marks`, µs on the profile's clock).
const profileDir = process.env.LUCID_BENCH_CPU_PROF;
const profiler = profileDir ? new Session() : null;
const marks: number[] = [];

process.stdout.write(`${JSON.stringify({ url: server.url, token, repoId: repo.id })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'cpu') {
    marks.push(Number(process.hrtime.bigint() / 1000n));
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ user: user / 1000, system: system / 1000 })}\n`);
  } else if (line === 'profile' && profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  } else if (line === 'stop') {
    break;
  }
}
if (profiler && profileDir) {
  const { profile } = await profiler.post('Profiler.stop');
  const name = path.join(profileDir, `stream-${Date.now()}`);
  await writeFile(`${name}.cpuprofile`, JSON.stringify(profile));
  await writeFile(`${name}.marks.json`, JSON.stringify({ marks }));
}
await server.close();
await rm(dataDir, { recursive: true, force: true });
process.exit(0);
