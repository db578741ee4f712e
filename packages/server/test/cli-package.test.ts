/**
 * The `lucid` command installed from a server, as a newcomer does it on another machine:
 * `npm install -g $LUCID_URL/cli.tgz` with no registry reachable, then the installed `lucid` run
 * from a folder outside Lucid's checkout, signing in, listing repositories and working as a runner.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { request, signUp, type TestUser } from './support/client.ts';
import { pushedRepo, startTask, stdoutOf, taskEvents, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let server: TestServer;
let user: TestUser;
/** A machine of its own: home, npm prefix and cache, and a working folder outside the checkout. */
let machine: string;
let lucid: string;
let env: Record<string, string>;
const children: ChildProcess[] = [];

function run(file: string, args: string[], extra: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: machine, env: { ...env, ...extra }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

beforeAll(async () => {
  server = await startTestServer();
  user = await signUp(server.url);
  machine = await mkdtemp(path.join(tmpdir(), 'lucid-machine-'));
  env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: machine,
    LUCID_CONFIG_DIR: path.join(machine, 'config'),
    GIT_CONFIG_NOSYSTEM: '1',
  };
  const prefix = path.join(machine, 'prefix');
  const installed = await run('npm', [
    'install',
    '--global',
    '--prefix',
    prefix,
    '--cache',
    path.join(machine, 'npm-cache'),
    // Nothing answers there: the package must need no registry.
    '--registry',
    'http://127.0.0.1:9/',
    '--no-audit',
    '--no-fund',
    '--no-update-notifier',
    `${server.url}/cli.tgz`,
  ]);
  expect(installed.code, installed.stderr).toBe(0);
  lucid = path.join(prefix, 'bin', 'lucid');
}, 120_000);

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  await server?.close();
  if (machine) await rm(machine, { recursive: true, force: true });
});

describe('GET /cli.tgz', () => {
  it('answers without authentication an npm package whose lucid needs no dependency', async () => {
    const response = await fetch(`${server.url}/cli.tgz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/gzip');
    const files = new Map<string, Buffer>();
    const unpack = extract();
    Readable.from(gunzipSync(Buffer.from(await response.arrayBuffer()))).pipe(unpack);
    for await (const entry of unpack) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      files.set(entry.header.name, Buffer.concat(chunks));
    }
    const manifest = JSON.parse(files.get('package/package.json')!.toString()) as {
      bin: Record<string, string>;
      dependencies?: unknown;
      version: string;
    };
    const serverPackage = JSON.parse(
      await readFile(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(manifest).toMatchObject({
      bin: { lucid: 'bin/lucid.js' },
      version: serverPackage.version,
    });
    expect(manifest.dependencies).toBeUndefined();
    expect(files.get('package/bin/lucid.js')!.toString()).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect([...files.keys()]).toContain('package/assets/sandbox-image/Dockerfile');
  });
});

describe('the lucid installed from the server', () => {
  it('prints its version', async () => {
    const serverPackage = JSON.parse(
      await readFile(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    const version = await run(lucid, ['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${serverPackage.version}\n` });
  });

  it('signs in with a token and lists the repositories, from a folder outside the checkout', async () => {
    await pushedRepo(server.url, user, 'installed-cli-repo');
    const login = await run(lucid, ['login', '--server', server.url], { LUCID_TOKEN: user.token });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`Signed in to ${server.url}`);
    const repos = await run(lucid, ['repos']);
    expect(repos.code, repos.stderr).toBe(0);
    expect(repos.stdout).toContain('installed-cli-repo');
  });

  it('says that it runs no server', async () => {
    const serve = await run(lucid, ['serve']);
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain("run the server from Lucid's checkout");
  });

  it('works as a runner: a task runs in its local sandbox, on its branch', async () => {
    const made = await request<{ token: string }>(server.url, 'POST', '/api/v1/runners/tokens', {
      token: user.token,
      json: { name: 'installed runner' },
    });
    expect(made.status).toBe(201);
    const runner = spawn(lucid, ['runner', '--server', server.url, '--slots', '1'], {
      cwd: machine,
      env: {
        ...env,
        LUCID_RUNNER_TOKEN: made.body.token,
        LUCID_SANDBOX: 'local',
        LUCID_SANDBOX_WARM_POOL: '0',
        LUCID_DATA_DIR: path.join(machine, 'runner-data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(runner);
    let output = '';
    runner.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    runner.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));

    const repo = await pushedRepo(server.url, user, 'installed-runner-repo');
    const { task } = await startTask(server.url, user, {
      repoId: repo.id,
      prompt: 'Say hello',
      commands: ['echo hello from the installed runner', 'git rev-parse --abbrev-ref HEAD'],
    });
    const done = await waitForStatus(server.url, user, task.id, ['in_review', 'failed'], 60_000);
    expect(done.status, output).toBe('in_review');
    const events = await taskEvents(server.url, user, task.id);
    expect(stdoutOf(events)).toContain('hello from the installed runner');
    expect(stdoutOf(events)).toContain(task.branch);
    expect(output).toContain('sandboxes: local');
    // Stopped as a user stops it, it hands its work back and exits.
    runner.kill('SIGTERM');
    const [code] = (await once(runner, 'exit')) as [number | null];
    expect(code, output).toBe(0);
  }, 120_000);
});
