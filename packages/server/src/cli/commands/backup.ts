/**
 * @module cli/commands/backup
 * `lucid backup create FILE` and `lucid backup restore FILE`: a backup of the install this
 * environment names (`LUCID_DATA_DIR`, `DATABASE_URL`) in one file, and its restore into an empty
 * install. On the embedded database the server must be stopped first (the database is one
 * process's); on PostgreSQL a backup may be taken while it runs.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import type { BackupSummary } from '../../backup/backup.ts';
import { loadStorageConfig } from '../../config.ts';
import { CliError } from '../cli-error.ts';

type Action = 'create' | 'restore';

async function withInstall(action: Action, file: string): Promise<BackupSummary> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const storage = loadStorageConfig(process.env);
  // Loaded here so that the client commands start without the server's dependencies.
  const { openDatabase } = await import('../../db/client.ts');
  const { BackupError, createBackup, readBackupManifest, restoreBackup } =
    await import('../../backup/backup.ts');
  if (action === 'restore') {
    await readBackupManifest(file).catch((error: unknown) => {
      throw error instanceof BackupError ? new CliError(error.message) : error;
    });
  }
  const database = await openDatabase(
    storage.databaseUrl
      ? { url: storage.databaseUrl }
      : { pgliteDir: path.join(storage.dataDir, 'db') },
  );
  const install = {
    db: database.db,
    kind: database.kind,
    gitRoot: path.join(storage.dataDir, 'git'),
    keyFile: storage.databaseUrl ? undefined : storage.keyFile,
  };
  try {
    return action === 'create'
      ? await createBackup(install, file)
      : await restoreBackup(install, file);
  } catch (error) {
    if (error instanceof BackupError) throw new CliError(error.message);
    throw error;
  } finally {
    await database.close();
  }
}

function describe({ tables, rows, repositories }: BackupSummary): string {
  return `${rows} rows in ${tables} tables, ${repositories} repositories`;
}

export function backupCommand(): Command {
  const backup = new Command('backup').description(
    "back up and restore this install's database and git store",
  );
  backup
    .command('create')
    .description(
      'write the database and every repository to FILE (stop the server first on the embedded database)',
    )
    .argument('<file>', 'the backup file to write (a .tar.gz)')
    .action(async (file: string) => {
      const summary = await withInstall('create', file);
      console.log(`Backed up ${describe(summary)} to ${file}`);
    });
  backup
    .command('restore')
    .description('restore FILE into this empty install (a new data dir, or an empty database)')
    .argument('<file>', 'a backup written by lucid backup create')
    .action(async (file: string) => {
      if (!existsSync(file)) throw new CliError(`There is no backup file at ${file}.`, 2);
      const summary = await withInstall('restore', file);
      console.log(`Restored ${describe(summary)} from ${file}`);
    });
  return backup;
}
