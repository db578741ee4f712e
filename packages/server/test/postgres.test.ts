import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { startServer } from '../src/server.ts';
import { withDatabase } from './support/global-setup.ts';
import { request, signUp } from './support/client.ts';
import { freePort, onPostgres } from './support/test-server.ts';

const migrationsDir = new URL('../drizzle', import.meta.url);

if (!onPostgres) {
  console.log('postgres.test.ts: skipped, set LUCID_TEST_DATABASE_URL to run the PostgreSQL tests');
}

describe.skipIf(!onPostgres)('on PostgreSQL', () => {
  it('migrates a new database from several servers at once, and they share one state', async () => {
    const url = process.env.LUCID_TEST_DATABASE_URL ?? '';
    const name = `lucid_test_shared_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-shared-'));
    const databaseUrl = withDatabase(url, name);
    const env = {
      DATABASE_URL: databaseUrl,
      ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
      HOST: '127.0.0.1',
      LUCID_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
    };
    // Both open (and migrate) the empty database at the same moment.
    const [first, second] = await Promise.all(
      [0, 1].map(async () => {
        const port = await freePort();
        return startServer({
          config: loadConfig({ ...env, PORT: String(port) }),
          database: await openDatabase({ url: databaseUrl }),
          authRateLimit: false,
        });
      }),
    );
    try {
      expect(first?.database.kind).toBe('postgres');
      const user = await signUp(first?.url ?? '');
      const created = await request<{ id: string }>(first?.url ?? '', 'POST', '/api/v1/repos', {
        token: user.token,
        json: { name: 'shared' },
      });
      // The other server sees the same user, token and repository.
      const seen = await request<{ name: string }>(
        second?.url ?? '',
        'GET',
        `/api/v1/repos/${created.body.id}`,
        {
          token: user.token,
        },
      );
      expect(seen.status).toBe(200);
      expect(seen.body.name).toBe('shared');
      const direct = new pg.Client({ connectionString: databaseUrl });
      await direct.connect();
      const applied = await direct.query(
        'SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations',
      );
      await direct.end();
      // Each migration was applied once, though two servers raced to apply it.
      expect(applied.rows[0].n).toBe(
        readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).length,
      );
    } finally {
      await first?.close();
      await second?.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
