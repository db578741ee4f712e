import { createServer, type IncomingHttpHeaders } from 'node:http';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request, signUp, type TestUser } from './support/client.ts';
import { cliUser, type CliUser } from './support/cli.ts';
import { authedUrl, gitOk, makeLocalRepo } from './support/git.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

interface Repo {
  id: string;
  name: string;
  defaultBranch: string;
  cloneUrl: string;
}

let server: TestServer;
let user: TestUser;
let cli: CliUser;

beforeAll(async () => {
  server = await startTestServer();
  user = await signUp(server.url, 'Grace Hopper');
  cli = await cliUser();
  Object.assign(cli.env, { LUCID_SERVER: server.url, LUCID_TOKEN: user.token });
});
afterAll(() => server.close());
afterEach(() => {
  for (const output of cli.transcript.splice(0)) expect(output).not.toContain(user.token);
});

async function listRepos(): Promise<Repo[]> {
  const response = await request<{ repos: Repo[] }>(server.url, 'GET', '/api/v1/repos', {
    token: user.token,
  });
  return response.body.repos;
}

async function repoNamed(name: string): Promise<Repo> {
  const repo = (await listRepos()).find((r) => r.name === name);
  if (!repo) throw new Error(`no repository ${name}`);
  return repo;
}

async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

async function commit(dir: string, file: string, content: string): Promise<string> {
  await writeFile(path.join(dir, file), content);
  await gitOk(['add', '.'], dir);
  await gitOk(['commit', '--quiet', '-m', `change ${file}`], dir);
  return (await gitOk(['rev-parse', 'HEAD'], dir)).trim();
}

/** Branch name → sha, as `git ls-remote` sees them through the server. */
async function remoteBranches(repo: Repo): Promise<Record<string, string>> {
  const out = await gitOk(['ls-remote', authedUrl(repo.cloneUrl, user.token)]);
  const refs: Record<string, string> = {};
  for (const line of out.trim().split('\n')) {
    const [sha = '', ref = ''] = line.split('\t');
    if (ref !== 'HEAD') refs[ref] = sha;
  }
  return refs;
}

describe('lucid ingest', () => {
  it('pushes the current branch; a clone through the server has the same HEAD', async () => {
    const local = await makeLocalRepo({ 'README.md': '# app\n' });
    await gitOk(['checkout', '--quiet', '-b', 'side'], local);
    await commit(local, 'side.txt', 'side\n');
    await gitOk(['checkout', '--quiet', 'main'], local);
    const trace = path.join(await tempDir('lucid-trace-'), 'git.trace');

    const ingest = await cli.run(['ingest', local, '--name', 'app'], {
      env: { GIT_TRACE: trace },
    });
    expect(ingest.stderr).toBe('');
    expect(ingest.code).toBe(0);
    const repo = await repoNamed('app');
    expect(repo.defaultBranch).toBe('main');
    expect(ingest.stdout.trim().split('\n').at(-1)).toBe(`Clone URL: ${repo.cloneUrl}`);

    const clone = path.join(await tempDir('lucid-clone-'), 'app');
    await gitOk(['clone', '--quiet', authedUrl(repo.cloneUrl, user.token), clone]);
    expect(await gitOk(['rev-parse', 'HEAD'], clone)).toBe(
      await gitOk(['rev-parse', 'HEAD'], local),
    );
    expect(Object.keys(await remoteBranches(repo))).toEqual(['refs/heads/main']);

    // The token went to git through neither its arguments nor the repository's config.
    const gitTrace = await readFile(trace, 'utf8');
    expect(gitTrace).toContain(repo.cloneUrl);
    expect(gitTrace).not.toContain(user.token);
    expect(await readFile(path.join(local, '.git', 'config'), 'utf8')).not.toContain(user.token);
  });

  it('pushes every branch and tag with --all-branches, defaulting to the current branch', async () => {
    const local = await makeLocalRepo();
    await gitOk(['tag', 'v1'], local);
    await gitOk(['checkout', '--quiet', '-b', 'develop'], local);
    const develop = await commit(local, 'dev.txt', 'dev\n');
    await gitOk(['checkout', '--quiet', '-b', 'feature/x'], local);
    const feature = await commit(local, 'x.txt', 'x\n');
    await gitOk(['checkout', '--quiet', 'develop'], local);

    const ingest = await cli.run(['ingest', local, '--name', 'everything', '--all-branches']);
    expect(ingest.stderr).toBe('');
    expect(ingest.stdout).toContain('Pushed 3 branches and 1 tag');
    const repo = await repoNamed('everything');
    expect(repo.defaultBranch).toBe('develop');
    const refs = await remoteBranches(repo);
    expect(refs).toEqual({
      'refs/heads/main': (await gitOk(['rev-parse', 'main'], local)).trim(),
      'refs/heads/develop': develop,
      'refs/heads/feature/x': feature,
      'refs/tags/v1': (await gitOk(['rev-parse', 'v1'], local)).trim(),
    });
  });

  it('lists the repositories as a table and as JSON', async () => {
    const table = await cli.run(['repos']);
    expect(table.code).toBe(0);
    const [header = '', ...rows] = table.stdout.trim().split('\n');
    expect(header).toMatch(/^NAME +ID +DEFAULT BRANCH +CLONE URL$/);
    const app = await repoNamed('app');
    const row = rows.find((line) => line.startsWith('app '));
    expect(row?.split(/ +/)).toEqual(['app', app.id, 'main', app.cloneUrl]);
    // Columns line up: every row's id starts where the header's ID does.
    for (const line of rows) expect(line.indexOf('repo_')).toBe(header.indexOf('ID'));

    const json = await cli.run(['repos', '--json']);
    const repos = JSON.parse(json.stdout) as Repo[];
    expect(repos.map((r) => r.name).sort()).toEqual(['app', 'everything']);
    expect(repos.find((r) => r.name === 'app')).toMatchObject({
      id: app.id,
      defaultBranch: 'main',
    });
  });

  it('explains in one line why a folder cannot be ingested, creating nothing', async () => {
    const before = (await listRepos()).length;
    const plain = await tempDir('lucid-plain-');
    const empty = await tempDir('lucid-empty-');
    await gitOk(['init', '--quiet'], empty);
    const local = await makeLocalRepo();

    const cases: [string[], string][] = [
      [['ingest', plain, '--name', 'p'], `lucid: ${plain} is not a git repository\n`],
      [['ingest', empty, '--name', 'e'], `lucid: ${empty} has no commits yet\n`],
      [
        ['ingest', local, '--name', 'b', '--branch', 'main', '--all-branches'],
        'lucid: --branch and --all-branches cannot be used together\n',
      ],
      [
        ['ingest', local, '--name', 'b', '--branch', 'nope'],
        `lucid: Branch nope not found in ${local} (its branches: main)\n`,
      ],
      [
        ['ingest', local, '--name', 'app'],
        'lucid: A repository named app already exists; choose another --name\n',
      ],
    ];
    for (const [args, message] of cases) {
      const result = await cli.run(args);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toBe(message);
    }
    expect(await listRepos()).toHaveLength(before);
  });

  it('says so when the push fails after the repository was made, with git’s message', async () => {
    const local = await makeLocalRepo();
    const hook = path.join(local, '.git', 'hooks', 'pre-push');
    await mkdir(path.dirname(hook), { recursive: true });
    await writeFile(hook, '#!/bin/sh\necho "lint failed: 3 problems" >&2\nexit 1\n');
    await chmod(hook, 0o755);

    const ingest = await cli.run(['ingest', local, '--name', 'hooked']);
    expect(ingest.code).not.toBe(0);
    const repo = await repoNamed('hooked');
    expect(ingest.stderr.trim().split('\n')).toHaveLength(1);
    expect(ingest.stderr).toContain('Repository hooked was created, but pushing to it failed');
    expect(ingest.stderr).toContain('lint failed: 3 problems');
    expect(ingest.stderr).toContain(`push again to ${repo.cloneUrl}`);
  });
});

describe('lucid land', () => {
  let fix: string;

  beforeAll(async () => {
    // Work done on Lucid: a branch pushed to its copy of `app`.
    const repo = await repoNamed('app');
    const work = path.join(await tempDir('lucid-work-'), 'app');
    await gitOk(['clone', '--quiet', authedUrl(repo.cloneUrl, user.token), work]);
    await gitOk(['checkout', '--quiet', '-b', 'fix'], work);
    fix = await commit(work, 'fix.txt', 'fixed\n');
    await gitOk(['push', '--quiet', 'origin', 'fix'], work);
  });

  it('pushes a branch from Lucid to another remote, given as a relative path', async () => {
    const parent = await tempDir('lucid-upstream-');
    const upstream = path.join(parent, 'upstream.git');
    await gitOk(['init', '--quiet', '--bare', upstream]);
    const trace = path.join(parent, 'git.trace');

    const land = await cli.run(['land', 'app', '--branch', 'fix', '--remote', './upstream.git'], {
      cwd: parent,
      env: { GIT_TRACE: trace },
    });
    expect(land.stderr).toBe('');
    expect(land.code).toBe(0);
    expect(land.stdout).toContain(`Pushed fix at ${fix} from app to ${upstream}.`);
    expect((await gitOk(['rev-parse', 'refs/heads/fix'], upstream)).trim()).toBe(fix);
    expect(await readFile(trace, 'utf8')).not.toContain(user.token);
  });

  it('sends the Lucid token to Lucid alone, never to the remote', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const remote = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="elsewhere"' }).end();
    });
    await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(remote.address() as AddressInfo).port}/team/app.git`;
    try {
      const land = await cli.run(['land', 'app', '--branch', 'fix', '--remote', url]);
      expect(land.code).not.toBe(0);
      expect(land.stderr).toMatch(new RegExp(`^lucid: Pushing fix to ${url} failed: .+\\n$`));
    } finally {
      await new Promise((resolve) => remote.close(resolve));
    }
    expect(seen.length).toBeGreaterThan(0);
    const basic = Buffer.from(`lucid:${user.token}`).toString('base64');
    for (const headers of seen) {
      expect(JSON.stringify(headers)).not.toContain(basic);
      expect(JSON.stringify(headers)).not.toContain(user.token);
    }
  });

  it('explains an unknown repository, a branch Lucid lacks, and a rejected push', async () => {
    const upstream = path.join(await tempDir('lucid-upstream-'), 'upstream.git');
    await gitOk(['init', '--quiet', '--bare', upstream]);
    // The remote's `fix` moved on meanwhile: Lucid's `fix` no longer fast-forwards it.
    const other = await makeLocalRepo({ 'OTHER.md': 'other\n' });
    await gitOk(['push', '--quiet', upstream, 'main:fix'], other);

    const unknown = await cli.run(['land', 'nope', '--branch', 'fix', '--remote', upstream]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/^lucid: No repository named nope on .*\n$/);

    const missing = await cli.run(['land', 'app', '--branch', 'gone', '--remote', upstream]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toBe(
      'lucid: Branch gone is not on Lucid in app (its branches: fix, main)\n',
    );

    const rejected = await cli.run(['land', 'app', '--branch', 'fix', '--remote', upstream]);
    expect(rejected.code).not.toBe(0);
    expect(rejected.stderr).toMatch(
      new RegExp(`^lucid: Pushing fix to ${upstream} failed: fix \\[rejected\\].*\\n$`),
    );
    expect((await gitOk(['rev-parse', 'refs/heads/fix'], upstream)).trim()).not.toBe(fix);
  });
});
