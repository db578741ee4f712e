import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tasks } from '../src/db/schema.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { pushedRepo, startTask, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let driver: LocalDriver;
let user: TestUser;
let taskId: string;

interface Listing {
  source: string;
  path: string;
  entries: { path: string; name: string; type: string }[];
}
interface Content {
  source: string;
  content: string;
  size: number;
  binary: boolean;
  truncated: boolean;
}

const WORK = [
  'mkdir -p src && printf "one\\n" > src/a.txt && printf "é\\n" > src/ü.txt',
  'git add src && git commit -qm "Add src" && git push -q origin HEAD',
  'printf "uncommitted\\n" > new.txt && printf "\\000\\001\\002" > bin.dat',
  "head -c 1100000 /dev/zero | tr '\\000' a > big.txt",
  'ln -s /etc/passwd leak && ln -s src inner',
];

beforeAll(async () => {
  driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) });
  server = await startTestServer({
    runner: { driver, slots: 1, leaseMs: 3_000, maxRuntimeMs: 120_000, pollMs: 100, warmPool: 0 },
  });
  user = await signUp(server.url);
  const repo = await pushedRepo(server.url, user, 'views-repo');
  const { task } = await startTask(server.url, user, {
    repoId: repo.id,
    prompt: 'Make some files',
    commands: WORK,
  });
  taskId = task.id;
  expect((await waitForStatus(server.url, user, taskId, ['in_review', 'failed'])).status).toBe(
    'in_review',
  );
});
afterAll(() => server.close());

const get = <T>(pathname: string) =>
  request<T>(server.url, 'GET', `/api/v1/tasks/${taskId}${pathname}`, { token: user.token });
const files = (p = '') => get<Listing>(`/files?path=${encodeURIComponent(p)}`);
const content = (p: string) => get<Content>(`/files/content?path=${encodeURIComponent(p)}`);
const errorCode = (body: unknown) => (body as { error: { code: string } }).error.code;

describe('live from the sandbox', () => {
  it('lists a directory, directories first, without .git', async () => {
    const root = await files();
    expect(root.status).toBe(200);
    expect(root.body.source).toBe('sandbox');
    expect(root.body.entries.map((e) => [e.name, e.type])).toEqual([
      ['inner', 'dir'],
      ['src', 'dir'],
      ['README.md', 'file'],
      ['big.txt', 'file'],
      ['bin.dat', 'file'],
      ['leak', 'file'],
      ['new.txt', 'file'],
    ]);
    const src = await files('./src/');
    expect(src.body.path).toBe('src');
    expect(src.body.entries.map((e) => e.path)).toEqual(['src/a.txt', 'src/ü.txt']);
  });

  it('reads text, detects binary files, and cuts large ones at 1 MiB', async () => {
    expect((await content('new.txt')).body).toMatchObject({
      source: 'sandbox',
      content: 'uncommitted\n',
      binary: false,
      truncated: false,
      size: 12,
    });
    expect((await content('src/ü.txt')).body.content).toBe('é\n');
    expect((await content('bin.dat')).body).toMatchObject({ binary: true, content: '', size: 3 });
    const big = (await content('big.txt')).body;
    expect(big).toMatchObject({ size: 1_100_000, truncated: true, binary: false });
    expect(big.content.length).toBe(1024 * 1024);
    expect((await content('inner/a.txt')).body.content).toBe('one\n');
  });

  it('refuses paths that leave the workspace or reach into .git', async () => {
    const cases: [string, number, string][] = [
      ['../etc/passwd', 400, 'bad_request'],
      ['/etc/passwd', 400, 'bad_request'],
      ['leak', 400, 'bad_request'],
      ['.git/config', 404, 'file_not_found'],
      ['src/../.git/config', 400, 'bad_request'],
      ['missing.txt', 404, 'file_not_found'],
      ['src', 400, 'bad_request'],
    ];
    for (const [p, status, code] of cases) {
      const answer = await content(p);
      expect(answer.status, p).toBe(status);
      expect(errorCode(answer.body), p).toBe(code);
    }
    expect((await files('.git')).status).toBe(404);
    expect((await files('README.md')).status).toBe(400);
    expect((await files('nowhere')).status).toBe(404);
  });

  it('diffs committed and uncommitted work, new files included, against the base branch', async () => {
    const diff = await get<{ source: string; base: string; diff: string }>('/diff');
    expect(diff.status).toBe(200);
    expect(diff.body).toMatchObject({ source: 'sandbox', base: 'main' });
    expect(diff.body.diff).toContain('+++ b/src/a.txt');
    expect(diff.body.diff).toContain('+++ b/new.txt');
    expect(diff.body.diff).toContain('Binary files /dev/null and b/bin.dat differ');
    expect(diff.body.diff).not.toContain('README.md');
  });
});

describe('from the branch when the sandbox is gone', () => {
  beforeAll(async () => {
    const [task] = await server.database.db.select().from(tasks).where(eq(tasks.id, taskId));
    await (await driver.get(task?.sandboxId ?? ''))?.remove();
  });

  it('lists, reads and diffs what was pushed', async () => {
    const root = await files();
    expect(root.body.source).toBe('branch');
    expect(root.body.entries.map((e) => e.name)).toEqual(['src', 'README.md']);
    expect((await files('src')).body.entries.map((e) => e.name)).toEqual(['a.txt', 'ü.txt']);
    expect((await content('src/a.txt')).body).toMatchObject({ source: 'branch', content: 'one\n' });
    expect((await content('new.txt')).status).toBe(404);
    expect((await content('src')).status).toBe(400);
    expect((await content('../x')).status).toBe(400);
    expect((await files('.git')).status).toBe(404);
    const diff = await get<{ source: string; diff: string }>('/diff');
    expect(diff.body.source).toBe('branch');
    expect(diff.body.diff).toContain('+++ b/src/a.txt');
    expect(diff.body.diff).not.toContain('new.txt');
  });
});

describe('a deleted task', () => {
  it("leaves its sandbox to the runner's next sweep, which removes it", async () => {
    const repo = await pushedRepo(server.url, user, 'deleted-repo');
    const { task } = await startTask(server.url, user, {
      repoId: repo.id,
      prompt: 'Short job',
      commands: ['echo hi > note.txt'],
    });
    await waitForStatus(server.url, user, task.id, ['in_review']);
    const [row] = await server.database.db.select().from(tasks).where(eq(tasks.id, task.id));
    const sandboxId = row?.sandboxId ?? '';
    expect(await driver.get(sandboxId)).not.toBeNull();
    expect(await server.runner?.reapIdle()).not.toContain(sandboxId);

    const deleted = await request(server.url, 'DELETE', `/api/v1/tasks/${task.id}`, {
      token: user.token,
    });
    expect(deleted.status).toBe(204);
    expect(await driver.get(sandboxId)).not.toBeNull();
    expect(await server.runner?.reapIdle()).toContain(sandboxId);
    expect(await driver.get(sandboxId)).toBeNull();
  });
});
