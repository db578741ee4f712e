/**
 * Backups: an install with tasks whose runs pushed branches is backed up through its own database
 * connection while it runs, restored by `lucid backup restore` (a real process) into an empty
 * install, and a server started on that install has the tasks, their events, the repositories and
 * their branches (a real git clone), and the same API token still works.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBackup } from '../src/backup/backup.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { authedUrl, git, gitOk } from './support/git.ts';
import { withDatabase } from './support/global-setup.ts';
import { pushedRepo, startTask, taskEvents, waitForStatus } from './support/tasks.ts';
import { freePort, startTestServer, type TestServer } from './support/test-server.ts';

const bin = fileURLToPath(new URL('../bin/lucid.js', import.meta.url));
const run = promisify(execFile);

let source: TestServer;
let owner: TestUser;
const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** `lucid …` as its own process, in `env` alone (plus PATH and HOME). */
async function lucid(args: string[], env: Record<string, string>) {
  return run(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH, HOME: tmpdir(), ...env },
  });
}

/** A new, empty PostgreSQL database (no migration yet) when the suite runs on PostgreSQL. */
async function emptyPostgres(): Promise<string | undefined> {
  const url = process.env.LUCID_TEST_DATABASE_URL;
  if (!url || !inject('postgresTemplate')) return undefined;
  const name = `lucid_restore_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.push(async () => {
    const dropper = new pg.Client({ connectionString: url });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
  });
  return withDatabase(url, name);
}

beforeAll(async () => {
  const driver = new LocalDriver({ root: await tempDir('lucid-backup-sbx-') });
  source = await startTestServer({
    runner: { driver, slots: 2, leaseMs: 5_000, maxRuntimeMs: 60_000, pollMs: 100, warmPool: 0 },
  });
  owner = await signUp(source.url);
});
afterAll(async () => {
  await source.close();
  for (const cleanup of cleanups) await cleanup();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('lucid backup', () => {
  it('restores into an empty install the tasks, their events and the branches their runs pushed', async () => {
    const repo = await pushedRepo(source.url, owner, 'kept');
    const emptyRepo = await request<{ id: string }>(source.url, 'POST', '/api/v1/repos', {
      token: owner.token,
      json: { name: 'still-empty' },
    });
    expect(emptyRepo.status).toBe(201);
    const tasks = [];
    for (const name of ['one', 'two']) {
      const { task } = await startTask(source.url, owner, {
        repoId: repo.id,
        prompt: `write ${name}`,
        commands: [
          `echo ${name} > ${name}.txt && git add ${name}.txt`,
          `git -c user.name=Lucid -c user.email=lucid@example.test commit -qm ${name}`,
          'git push --quiet origin HEAD',
        ],
      });
      expect(
        (await waitForStatus(source.url, owner, task.id, ['in_review', 'failed'])).status,
      ).toBe('in_review');
      tasks.push(task);
    }
    const before = {
      tasks: await Promise.all(
        tasks.map(
          async (task) =>
            (
              await request(source.url, 'GET', `/api/v1/tasks/${task.id}`, {
                token: owner.token,
              })
            ).body,
        ),
      ),
      events: await Promise.all(tasks.map((task) => taskEvents(source.url, owner, task.id))),
      refs: (await gitOk(['ls-remote', authedUrl(repo.cloneUrl, owner.token)], tmpdir())).trim(),
    };
    expect(before.refs).toContain(`refs/heads/${tasks[0]!.branch}`);

    // Taken while the source runs, through its own connection.
    const file = path.join(await tempDir('lucid-backup-file-'), 'lucid.tar.gz');
    const made = await createBackup(
      {
        db: source.database.db,
        kind: source.database.kind,
        gitRoot: path.join(source.dataDir, 'git'),
        keyFile: path.join(source.dataDir, 'encryption.key'),
      },
      file,
    );
    expect(made.repositories).toBe(2);

    const dataDir = await tempDir('lucid-restored-');
    const databaseUrl = await emptyPostgres();
    const storage: Record<string, string> = {
      LUCID_DATA_DIR: dataDir,
      ...(databaseUrl
        ? {
            DATABASE_URL: databaseUrl,
            ENCRYPTION_KEY: source.config.encryptionKey.toString('base64'),
          }
        : {}),
    };
    const restored = await lucid(['backup', 'restore', file], storage);
    expect(restored.stdout).toMatch(/^Restored \d+ rows in \d+ tables, 2 repositories from /);
    if (!databaseUrl) {
      expect(await readFile(path.join(dataDir, 'encryption.key'), 'utf8')).toBe(
        await readFile(path.join(source.dataDir, 'encryption.key'), 'utf8'),
      );
    }

    // A second restore into the same install is refused: it is no longer empty.
    const again = await lucid(['backup', 'restore', file], storage).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(again).toMatchObject({ code: 1 });
    expect((again as { stderr: string }).stderr).toMatch(/The install is not empty/);

    const port = await freePort();
    const database = await openDatabase(
      databaseUrl ? { url: databaseUrl } : { pgliteDir: path.join(dataDir, 'db') },
    );
    let server: RunningServer | undefined;
    try {
      server = await startServer({
        config: loadConfig({
          ...storage,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
          LUCID_RATE_LIMIT_PER_MINUTE: '0',
        }),
        database,
        authRateLimit: false,
        runner: { slots: 0 },
      });
      const url = server.url;
      for (const [i, task] of tasks.entries()) {
        const answer = await request(url, 'GET', `/api/v1/tasks/${task.id}`, {
          token: owner.token,
        });
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual(before.tasks[i]);
        expect(await taskEvents(url, owner, task.id)).toEqual(before.events[i]);
      }

      const restoredRepo = await request<{ cloneUrl: string }>(
        url,
        'GET',
        `/api/v1/repos/${repo.id}`,
        { token: owner.token },
      );
      const remote = authedUrl(restoredRepo.body.cloneUrl, owner.token);
      expect((await gitOk(['ls-remote', remote], tmpdir())).trim()).toBe(before.refs);
      const clone = path.join(await tempDir('lucid-restored-clone-'), 'kept');
      await gitOk(['clone', '--quiet', '--branch', tasks[1]!.branch, remote, clone], tmpdir());
      expect(await readFile(path.join(clone, 'two.txt'), 'utf8')).toBe('two\n');
      expect(await readFile(path.join(clone, 'README.md'), 'utf8')).toBe('# kept\n');

      // The empty repository is there, and takes a push.
      const emptyClone = await request<{ cloneUrl: string }>(
        url,
        'GET',
        `/api/v1/repos/${emptyRepo.body.id}`,
        { token: owner.token },
      );
      const work = await tempDir('lucid-restored-push-');
      await gitOk(['init', '--quiet', '--initial-branch=main', work], tmpdir());
      await writeFile(path.join(work, 'a.txt'), 'a\n');
      await gitOk(['add', '.'], work);
      await gitOk(['commit', '-qm', 'a'], work);
      const pushed = await git(
        ['push', '--quiet', authedUrl(emptyClone.body.cloneUrl, owner.token), 'main'],
        work,
      );
      expect(pushed.code, pushed.stderr).toBe(0);
    } finally {
      await server?.close();
      await database.close().catch(() => {});
    }
  });

  it('refuses a file that is not a backup', async () => {
    const dir = await tempDir('lucid-not-backup-');
    const file = path.join(dir, 'nothing.tar.gz');
    await run('tar', ['-czf', file, '-C', dir, '--files-from', '/dev/null']);
    const refused = await lucid(['backup', 'restore', file], {
      LUCID_DATA_DIR: path.join(dir, 'data'),
    }).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stderr: string }).stderr).toContain('This file is not a Lucid backup');
  });
});
