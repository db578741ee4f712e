/**
 * @module backup/backup
 * A backup of a Lucid install in one file, and its restore into an empty one: the database as a
 * logical dump taken through Lucid's own connection (each table's rows as JSON, read in one
 * repeatable-read transaction, so every table is seen at the same moment; written back through
 * PostgreSQL's own `json_populate_recordset`, so every type comes back as PostgreSQL wrote it),
 * the same on embedded PGlite and on PostgreSQL; and the git store as one `git bundle` per bare
 * repository (every ref, task branches and snapshots included), each consistent on its own and
 * taken after the database, so no branch the database names is missing. With the embedded
 * database the data dir's `encryption.key` goes along, without which stored secrets cannot be read.
 *
 * The file is a gzipped tar: `manifest.json`, `database/<table>.jsonl`, `git/<repo>.bundle` and,
 * where there is one, `encryption.key`.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { initBareRepo, setDefaultBranch } from '../git/bare-repo.ts';
import { runGit } from '../git/run-git.ts';
import { spawnProcess } from '../process/spawn.ts';

/** What a backup file says of itself. */
export interface BackupManifest {
  format: 'lucid-backup';
  version: 1;
  createdAt: string;
  /** The database's kind when the backup was taken (`pglite` or `postgres`). */
  database: string;
  /** The migrations applied to the database, oldest first (their hashes). */
  migrations: string[];
  /** Rows per table. */
  tables: Record<string, number>;
  /** Bare repositories by folder name (`repo_….git`): the branch HEAD names, and whether it was empty. */
  repositories: Record<string, { head: string | null; empty: boolean }>;
  /** The data dir's `encryption.key` is in the file. */
  encryptionKey: boolean;
}

/** What a backup or restore went through, for the command to say. */
export interface BackupSummary {
  tables: number;
  rows: number;
  repositories: number;
}

/** A backup could not be made or restored; the message says why and what to do. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** Rows read or written at once. */
const BATCH = 500;

interface Install {
  db: Db;
  kind: string;
  /** The bare repositories' folder. */
  gitRoot: string;
  /** The data dir's `encryption.key` (the embedded database's): copied into or out of the backup. */
  keyFile?: string | undefined;
}

async function rows<T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/** Lucid's tables, each after the tables its foreign keys point to. */
async function tablesInOrder(db: Db): Promise<string[]> {
  const tables = await rows<{ name: string }>(
    db,
    sql`SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
  );
  const edges = await rows<{ child: string; parent: string }>(
    db,
    sql`SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE k.contype = 'f' AND n.nspname = 'public' AND c.oid <> p.oid`,
  );
  const ordered: string[] = [];
  const placed = new Set<string>();
  const visit = (name: string, path: string[]) => {
    if (placed.has(name) || path.includes(name)) return;
    for (const edge of edges) if (edge.child === name) visit(edge.parent, [...path, name]);
    placed.add(name);
    ordered.push(name);
  };
  for (const { name } of tables) visit(name, []);
  return ordered;
}

async function migrationsOf(db: Db): Promise<string[]> {
  const applied = await rows<{ hash: string }>(
    db,
    sql`SELECT hash FROM drizzle.__drizzle_migrations ORDER BY created_at, id`,
  );
  return applied.map((row) => row.hash);
}

const quoted = (name: string) => sql.raw(`"${name.replaceAll('"', '""')}"`);

async function tar(args: string[]): Promise<void> {
  const child = await spawnProcess('tar', args, { env: { PATH: process.env.PATH ?? '/usr/bin' } });
  child.stdin.end();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const { code } = await child.closed;
  if (code !== 0) throw new BackupError(`tar ${args[0]} failed: ${stderr.trim()}`);
}

/**
 * Writes a backup of the install to `file`.
 *
 * @example
 * await createBackup({ db, kind: 'pglite', gitRoot, keyFile }, '/backups/lucid.tar.gz');
 */
export async function createBackup(install: Install, file: string): Promise<BackupSummary> {
  const stage = await mkdtemp(path.join(tmpdir(), 'lucid-backup-'));
  try {
    await mkdir(path.join(stage, 'database'));
    await mkdir(path.join(stage, 'git'));
    const { tables, migrations } = await install.db.transaction(async (tx) => {
      await tx.execute(sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
      const counts: Record<string, number> = {};
      for (const table of await tablesInOrder(tx)) {
        const lines: string[] = [];
        for (let offset = 0; ; offset += BATCH) {
          const batch = await rows<{ row: string }>(
            tx,
            sql`SELECT row_to_json(t)::text AS row FROM ${quoted(table)} t
                ORDER BY t.ctid LIMIT ${BATCH} OFFSET ${offset}`,
          );
          lines.push(...batch.map((r) => r.row));
          if (batch.length < BATCH) break;
        }
        await writeFile(
          path.join(stage, 'database', `${table}.jsonl`),
          lines.map((line) => `${line}\n`).join(''),
        );
        counts[table] = lines.length;
      }
      return { tables: counts, migrations: await migrationsOf(tx) };
    });

    const repositories: BackupManifest['repositories'] = {};
    const folders = existsSync(install.gitRoot) ? await readdir(install.gitRoot) : [];
    for (const folder of folders.filter((name) => name.endsWith('.git')).sort()) {
      const repo = path.join(install.gitRoot, folder);
      const head = await runGit(['symbolic-ref', '--quiet', 'HEAD'], { cwd: repo }).then(
        (out) => out.trim().replace(/^refs\/heads\//, ''),
        () => null,
      );
      const refs = await runGit(['for-each-ref', '--format=%(refname)'], { cwd: repo });
      const empty = refs.trim() === '';
      if (!empty) {
        const bundle = path.join(stage, 'git', folder.replace(/\.git$/, '.bundle'));
        await runGit(['bundle', 'create', '--quiet', bundle, '--all'], { cwd: repo });
      }
      repositories[folder] = { head, empty };
    }

    const encryptionKey = Boolean(install.keyFile && existsSync(install.keyFile));
    if (encryptionKey) await copyFile(install.keyFile!, path.join(stage, 'encryption.key'));
    const manifest: BackupManifest = {
      format: 'lucid-backup',
      version: 1,
      createdAt: new Date().toISOString(),
      database: install.kind,
      migrations,
      tables,
      repositories,
      encryptionKey,
    };
    await writeFile(path.join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await tar(['-czf', path.resolve(file), '-C', stage, '.']);
    return {
      tables: Object.keys(tables).length,
      rows: Object.values(tables).reduce((sum, n) => sum + n, 0),
      repositories: Object.keys(repositories).length,
    };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/**
 * The manifest of a backup file, read without unpacking the rest: refuses a file that is not a
 * Lucid backup before anything is opened.
 *
 * @example
 * const { createdAt } = await readBackupManifest('/backups/lucid.tar.gz');
 */
export async function readBackupManifest(file: string): Promise<BackupManifest> {
  if (!existsSync(file)) throw new BackupError(`There is no backup file at ${file}.`);
  const stage = await mkdtemp(path.join(tmpdir(), 'lucid-manifest-'));
  try {
    await tar(['-xzf', path.resolve(file), '-C', stage, './manifest.json']).catch(() => {});
    return await readManifest(stage);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** Reads an unpacked backup's manifest, refusing what is not a Lucid backup. */
async function readManifest(stage: string): Promise<BackupManifest> {
  const text = await readFile(path.join(stage, 'manifest.json'), 'utf8').catch(() => null);
  const manifest = text ? (JSON.parse(text) as Partial<BackupManifest>) : null;
  if (manifest?.format !== 'lucid-backup' || manifest.version !== 1) {
    throw new BackupError('This file is not a Lucid backup (it has no manifest Lucid wrote).');
  }
  return manifest as BackupManifest;
}

/**
 * Restores a backup into an empty install (its database migrated by this version of Lucid, no
 * row in it, no repository in its git store). Refuses an install that holds data, and a backup
 * whose migrations differ from this version's: restore with the version that made it, then
 * upgrade.
 *
 * @example
 * await restoreBackup({ db, kind: 'pglite', gitRoot, keyFile }, '/backups/lucid.tar.gz');
 */
export async function restoreBackup(install: Install, file: string): Promise<BackupSummary> {
  if (!existsSync(file)) throw new BackupError(`There is no backup file at ${file}.`);
  const stage = await mkdtemp(path.join(tmpdir(), 'lucid-restore-'));
  try {
    await tar(['-xzf', path.resolve(file), '-C', stage]);
    const manifest = await readManifest(stage);
    const migrations = await migrationsOf(install.db);
    if (migrations.join() !== manifest.migrations.join()) {
      throw new BackupError(
        `The backup was made by a Lucid whose database has ${manifest.migrations.length} migrations; ` +
          `this one has ${migrations.length}. Restore it with the version that made it, then upgrade.`,
      );
    }
    const tables = await tablesInOrder(install.db);
    for (const table of tables) {
      const [held] = await rows<{ any: boolean }>(
        install.db,
        sql`SELECT EXISTS (SELECT 1 FROM ${quoted(table)}) AS any`,
      );
      if (held?.any) {
        throw new BackupError(
          `The install is not empty (its table ${table} has rows): restore into a new data dir or an empty database.`,
        );
      }
    }
    const present = existsSync(install.gitRoot)
      ? (await readdir(install.gitRoot)).filter((name) => name.endsWith('.git'))
      : [];
    if (present.length > 0) {
      throw new BackupError(
        `The git store ${install.gitRoot} already holds repositories: restore into an empty one.`,
      );
    }
    if (manifest.encryptionKey && install.keyFile && existsSync(install.keyFile)) {
      const ours = (await readFile(install.keyFile, 'utf8')).trim();
      const theirs = (await readFile(path.join(stage, 'encryption.key'), 'utf8')).trim();
      if (ours !== theirs) {
        throw new BackupError(
          `${install.keyFile} holds another key than the backup's: remove it (a new install's key guards nothing yet) so the backup's is restored.`,
        );
      }
    }

    let restored = 0;
    await install.db.transaction(async (tx) => {
      for (const table of tables) {
        const dump = path.join(stage, 'database', `${table}.jsonl`);
        if (!existsSync(dump)) continue;
        let batch: string[] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          await tx.execute(
            sql`INSERT INTO ${quoted(table)} SELECT * FROM json_populate_recordset(NULL::${quoted(table)}, ${`[${batch.join(',')}]`}::json)`,
          );
          restored += batch.length;
          batch = [];
        };
        const lines = createInterface({ input: createReadStream(dump), crlfDelay: Infinity });
        for await (const line of lines) {
          if (line === '') continue;
          batch.push(line);
          if (batch.length >= BATCH) await flush();
        }
        await flush();
      }
    });

    await mkdir(install.gitRoot, { recursive: true });
    for (const [folder, { head, empty }] of Object.entries(manifest.repositories)) {
      if (!/^[a-z0-9_]+\.git$/.test(folder)) continue;
      const repo = path.join(install.gitRoot, folder);
      await initBareRepo(repo, head ?? 'main');
      if (!empty) {
        const bundle = path.join(stage, 'git', folder.replace(/\.git$/, '.bundle'));
        await runGit(['fetch', '--quiet', bundle, '+refs/*:refs/*'], { cwd: repo });
      }
      if (head) await setDefaultBranch(repo, head);
    }
    if (manifest.encryptionKey && install.keyFile && !existsSync(install.keyFile)) {
      await copyFile(path.join(stage, 'encryption.key'), install.keyFile);
    }
    return {
      tables: Object.keys(manifest.tables).length,
      rows: restored,
      repositories: Object.keys(manifest.repositories).length,
    };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
