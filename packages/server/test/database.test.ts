import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/client.ts';
import { isUniqueViolation } from '../src/db/errors.ts';
import { onPostgres, openTestDatabase } from './support/test-server.ts';

let dataDir: string;
let database: Database;
let dispose: () => Promise<void>;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-database-'));
  ({ database, dispose } = await openTestDatabase(dataDir));
  await database.db.execute(sql`CREATE TABLE probe (id int PRIMARY KEY, note text)`);
});

afterAll(async () => {
  await database.close();
  await dispose();
  await rm(dataDir, { recursive: true, force: true });
});

/** The rows of a statement, as both drivers answer them. */
async function select<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  const result = await database.db.execute(query);
  return (result as unknown as { rows: T[] }).rows;
}

const rows = async (): Promise<number[]> =>
  (await select<{ id: number }>(sql`SELECT id FROM probe ORDER BY id`)).map((row) => row.id);

describe(`the database (${onPostgres ? 'PostgreSQL' : 'embedded'})`, () => {
  it("runs a long statement without holding up the server's event loop", async () => {
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns += 1;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const [row] = await select<{ n: string | number }>(
      sql`SELECT count(*) AS n FROM generate_series(1, 3000000)`,
    );
    counting = false;
    expect(Number(row?.n)).toBe(3_000_000);
    // Embedded, the statement runs in the database's own thread: this one keeps turning.
    expect(turns).toBeGreaterThan(10);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO probe (id) VALUES (1)`);
      await tx.execute(sql`INSERT INTO probe (id) VALUES (2)`);
    });
    await expect(
      database.db.transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO probe (id) VALUES (3)`);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await expect(
      database.db.transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO probe (id) VALUES (4)`);
        tx.rollback();
      }),
    ).rejects.toThrow(/rollback/i);
    expect(await rows()).toEqual([1, 2]);
  });

  it('keeps a savepoint apart inside a transaction', async () => {
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO probe (id) VALUES (10)`);
      await expect(
        tx.transaction(async (inner) => {
          await inner.execute(sql`INSERT INTO probe (id) VALUES (11)`);
          throw new Error('inner only');
        }),
      ).rejects.toThrow('inner only');
    });
    expect(await rows()).toContain(10);
    expect(await rows()).not.toContain(11);
  });

  it('lets statements from elsewhere wait for an open transaction and then see it', async () => {
    let release = (): void => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = database.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO probe (id) VALUES (20)`);
      await held;
      await tx.execute(sql`INSERT INTO probe (id) VALUES (21)`);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const insert = database.db.execute(sql`INSERT INTO probe (id) VALUES (22)`);
    release();
    await Promise.all([transaction, insert]);
    expect(await rows()).toEqual(expect.arrayContaining([20, 21, 22]));
  });

  it('reports errors with their SQLSTATE and words', async () => {
    const error = await database.db.execute(sql`INSERT INTO probe (id) VALUES (1)`).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(isUniqueViolation(error)).toBe(true);
    const syntax = await database.db.execute(sql`SELEKT 1`).then(
      () => null,
      (caught: unknown) => caught as Error & { cause?: Error },
    );
    expect(String(syntax?.cause?.message ?? syntax?.message)).toMatch(/syntax error/);
  });

  it('delivers notifications to a listener, in order, until it stops', async () => {
    const heard: string[] = [];
    const stop = await database.listen('probe_channel', (payload) => heard.push(payload));
    await database.db.execute(sql`SELECT pg_notify('probe_channel', 'one')`);
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_notify('probe_channel', 'two')`);
      await tx.execute(sql`SELECT pg_notify('probe_channel', 'three')`);
    });
    await expect.poll(() => heard).toEqual(['one', 'two', 'three']);
    await stop();
    await database.db.execute(sql`SELECT pg_notify('probe_channel', 'four')`);
    await database.db.execute(sql`SELECT 1`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heard).toEqual(['one', 'two', 'three']);
  });

  it.skipIf(onPostgres)('answers a statement after close with a clear error', async () => {
    const dir = path.join(dataDir, 'closing');
    const closing = await openTestDatabase(dir);
    await closing.database.close();
    const error = await closing.database.db.execute(sql`SELECT 1`).then(
      () => null,
      (caught: unknown) => caught as Error & { cause?: Error },
    );
    expect(error?.cause?.message).toBe('The embedded database is closed.');
  });
});
