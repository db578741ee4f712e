/**
 * @module db/client
 * Opens the database: embedded PGlite in the data dir by default, PostgreSQL when a URL is given.
 * Both speak the same Drizzle API; migrations are applied on open.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import * as schema from './schema.ts';
import { PGliteThread } from './pglite-thread.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /**
   * Calls `onPayload` with each notification on `channel` (`NOTIFY`, from any connection: on
   * PostgreSQL every server sharing the database hears it), in commit order; `onReconnect` after
   * notifications may have been missed (PostgreSQL's listening connection was lost and reopened).
   * Resolves, once listening, to a function that stops.
   */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
  /** The pool's connections now (PostgreSQL's pool); absent on PGlite, which has one connection. */
  pool?: () => { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** An arbitrary constant: the advisory lock that serialises migrations across servers. */
const MIGRATION_LOCK = 7_301_932;

/**
 * The embedded server's settings: one process, one connection, so a small buffer pool leaves the
 * rest to the page cache (PostgreSQL's default of 128 MB triples PGlite's resident memory).
 */
const PGLITE_CONF = ['shared_buffers=32MB'];

export type DatabaseTarget = { url: string } | { pgliteDir: string };

/**
 * Opens and migrates the database.
 *
 * @example
 * const { db, close } = await openDatabase({ pgliteDir: './.lucid/db' });
 */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if ('url' in target) {
    const pool = new pg.Pool({ connectionString: target.url, max: 10 });
    // An idle connection the server closes (a restart, a terminated backend) is reported here;
    // without a listener it would end the process. The pool drops it and opens a new one on next
    // use, and queries report their own errors.
    pool.on('error', () => {});
    const db = drizzlePg(pool, { schema });
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await migratePg(drizzlePg(client, { schema }), { migrationsFolder });
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    } finally {
      client.release();
    }
    return {
      db,
      kind: 'postgres',
      listen: (channel, onPayload, onReconnect) =>
        listenOnPostgres(target.url, channel, onPayload, onReconnect),
      pool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      close: () => pool.end(),
    };
  }
  // In a thread of its own (created and migrated there), so its statements never stall this one.
  const client = await PGliteThread.open({
    dir: path.resolve(target.pgliteDir),
    conf: PGLITE_CONF,
    migrationsFolder,
  });
  // Drizzle's PGlite driver calls only what the thread offers (query, transaction).
  const db = drizzlePglite(client as unknown as PGlite, { schema });
  return {
    db,
    kind: 'pglite',
    listen: (channel, onPayload) => client.listen(channel, onPayload),
    close: () => client.close(),
  };
}

/**
 * A connection of its own that LISTENs (a pooled one would be handed to other queries); reopened
 * with backoff when lost, `onReconnect` telling the caller that notifications may have been missed.
 */
async function listenOnPostgres(
  url: string,
  channel: string,
  onPayload: (payload: string) => void,
  onReconnect?: () => void,
): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => {
      if (message.channel === channel) onPayload(message.payload ?? '');
    });
    const lost = (): void => {
      if (stopped || client !== next) return;
      client = null;
      next.end().catch(() => {});
      reopen(250);
    };
    next.on('error', lost);
    next.on('end', lost);
    await next.connect();
    await next.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
    client = next;
  };
  const reopen = (delayMs: number): void => {
    retry = setTimeout(() => {
      retry = null;
      if (stopped) return;
      connect().then(
        () => onReconnect?.(),
        () => reopen(Math.min(delayMs * 2, 5_000)),
      );
    }, delayMs);
  };
  await connect();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    const last = client;
    client = null;
    await last?.end().catch(() => {});
  };
}
