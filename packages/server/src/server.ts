/**
 * @module server
 * The composition root: opens the database, builds auth and the HTTP app, and listens.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { createAuth } from './auth/auth.ts';
import { buildApp } from './http/app.ts';

export const defaultWebRoot = fileURLToPath(new URL('../../web/dist', import.meta.url));

export interface StartOptions {
  config: Config;
  logger?: Logger;
  /** An already opened database (tests); otherwise opened from the configuration. */
  database?: Database;
  webRoot?: string | undefined;
  /** better-auth's sign-in rate limit; on unless told otherwise. */
  authRateLimit?: boolean;
}

export interface RunningServer {
  app: FastifyInstance;
  database: Database;
  url: string;
  close(): Promise<void>;
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      censor: '[redacted]',
    },
  });
}

/**
 * Starts Lucid and resolves once it listens.
 *
 * @example
 * const server = await startServer({ config: loadConfig(process.env) });
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config);
  mkdirSync(config.dataDir, { recursive: true });
  if (config.encryptionKeyGenerated) {
    logger.info(
      { file: path.join(config.dataDir, 'encryption.key') },
      'generated an encryption key (mode 0600); back it up with the data dir',
    );
  }
  const gitRoot = path.join(config.dataDir, 'git');
  mkdirSync(gitRoot, { recursive: true });

  const database =
    options.database ??
    (await openDatabase(
      config.databaseUrl
        ? { url: config.databaseUrl }
        : { pgliteDir: path.join(config.dataDir, 'db') },
    ));
  const auth = createAuth({
    db: database.db,
    config,
    logger: {
      error: (message) => logger.error(message),
      warn: (message) => logger.warn(message),
      info: (message) => logger.info(message),
      debug: (message) => logger.debug(message),
    },
    rateLimit: options.authRateLimit ?? true,
  });
  const app = await buildApp({
    config,
    database,
    auth,
    logger,
    gitRoot,
    webRoot: options.webRoot,
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info(
    { url: config.publicUrl, database: database.kind, dataDir: config.dataDir },
    `Lucid is listening on ${config.host}:${port}`,
  );
  return {
    app,
    database,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}
