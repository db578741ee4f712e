/**
 * A real Lucid server for a test: its own data dir, its own database (a copy of the migrated
 * template, on PGlite or PostgreSQL), listening on a free loopback port.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import {
  startServer,
  type JobOptions,
  type RunnerOptions,
  type RunningServer,
} from '../../src/server.ts';
import { withDatabase } from './global-setup.ts';

export interface TestServer extends RunningServer {
  config: Config;
  dataDir: string;
}

/** True when the tests run against PostgreSQL as well (LUCID_TEST_DATABASE_URL is set). */
export const onPostgres = Boolean(process.env.LUCID_TEST_DATABASE_URL);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Opens a fresh, migrated database for one test server, and a function that disposes of it. */
export async function openTestDatabase(
  dataDir: string,
): Promise<{ database: Database; dispose: () => Promise<void> }> {
  const url = process.env.LUCID_TEST_DATABASE_URL;
  const template = inject('postgresTemplate');
  if (url && template) {
    const name = `lucid_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    await admin.end();
    const database = await openDatabase({ url: withDatabase(url, name) });
    return {
      database,
      dispose: async () => {
        const dropper = new pg.Client({ connectionString: url });
        await dropper.connect();
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await dropper.end();
      },
    };
  }
  const dir = path.join(dataDir, 'db');
  await cp(inject('pgliteTemplate'), dir, { recursive: true });
  return { database: await openDatabase({ pgliteDir: dir }), dispose: async () => {} };
}

/**
 * Sign-up is open (`LUCID_SIGNUP=open`), so tests sign up as many users as they need; a test of
 * invitations sets `env: { LUCID_SIGNUP: 'invite' }`. API requests are not rate-limited unless a
 * test sets `LUCID_RATE_LIMIT_PER_MINUTE`.
 *
 * @example
 * const server = await startTestServer();
 * afterAll(() => server.close());
 */
export async function startTestServer(
  options: {
    env?: Record<string, string>;
    webRoot?: string;
    runner?: RunnerOptions;
    /** The job worker's timings; by default a retry waits 50 ms, doubling. */
    jobs?: JobOptions;
    /** The server's logger (to read what it logs); by default one at LUCID_TEST_LOG_LEVEL. */
    logger?: Logger;
    /**
     * The database of another test server, shared as a second Lucid process behind one load
     * balancer would share it; it stays open when this server closes.
     */
    sharedDatabase?: Database;
  } = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-test-'));
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    LUCID_DATA_DIR: dataDir,
    LOG_LEVEL: process.env.LUCID_TEST_LOG_LEVEL ?? 'silent',
    LUCID_SIGNUP: 'open',
    LUCID_RATE_LIMIT_PER_MINUTE: '0',
    ...options.env,
  });
  const { database, dispose } = options.sharedDatabase
    ? {
        database: { ...options.sharedDatabase, close: async () => {} },
        dispose: async () => {},
      }
    : await openTestDatabase(dataDir);
  const server = await startServer({
    config,
    database,
    authRateLimit: false,
    logger: options.logger,
    webRoot: options.webRoot,
    runner: options.runner ?? { slots: 0 },
    jobs: options.jobs ?? { retryBaseMs: 50 },
  });
  return {
    ...server,
    config,
    dataDir,
    close: async () => {
      await server.close();
      await dispose();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
