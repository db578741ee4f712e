/**
 * Runs once before all tests: builds a migrated database to copy from, so each test server opens
 * a fresh database in well under a second. PGlite by default; PostgreSQL when
 * LUCID_TEST_DATABASE_URL is set.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresTemplate: string | null;
  }
}

export default async function setup(project: TestProject) {
  const root = await mkdtemp(path.join(tmpdir(), 'lucid-template-'));
  const pgliteTemplate = path.join(root, 'db');
  const pglite = await openDatabase({ pgliteDir: pgliteTemplate });
  await pglite.close();
  project.provide('pgliteTemplate', pgliteTemplate);

  const url = process.env.LUCID_TEST_DATABASE_URL;
  let postgresTemplate: string | null = null;
  if (url) {
    postgresTemplate = `lucid_test_template_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${postgresTemplate}`);
    await admin.query(`CREATE DATABASE ${postgresTemplate}`);
    await admin.end();
    const template = await openDatabase({ url: withDatabase(url, postgresTemplate) });
    await template.close();
  }
  project.provide('postgresTemplate', postgresTemplate);

  return async () => {
    await rm(root, { recursive: true, force: true });
    if (url && postgresTemplate) {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${postgresTemplate}`);
      await admin.end();
    }
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
