/**
 * @module config
 * The one place that reads the environment. Every variable is validated at start, and each mistake
 * is reported in one line that names the variable and says what is wrong.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  /** Origins whose browsers may sign in: the public URL's, its loopback aliases, and extras. */
  trustedOrigins: string[];
  dataDir: string;
  /** PostgreSQL connection string; absent means the embedded PGlite database in the data dir. */
  databaseUrl: string | undefined;
  /** 32 bytes: AES-256-GCM key for secrets at rest; also the root of the session secret. */
  encryptionKey: Buffer;
  /** Set when the key was generated into the data dir by this start. */
  encryptionKeyGenerated: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest JSON body accepted by the REST API, in bytes. */
  bodyLimit: number;
  social: {
    github?: { clientId: string; clientSecret: string };
    google?: { clientId: string; clientSecret: string };
  };
}

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const EnvSchema = z.object({
  PORT: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(3000),
  HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  LUCID_PUBLIC_URL: optionalText.pipe(
    z.url({ error: 'must be an absolute http(s) URL' }).optional(),
  ),
  LUCID_TRUSTED_ORIGINS: optionalText.pipe(
    z
      .string()
      .refine(
        (list) => list.split(',').every((o) => URL.canParse(o.trim())),
        'must be a comma-separated list of URLs such as https://lucid.example.com',
      )
      .optional(),
  ),
  LUCID_DATA_DIR: z.string().trim().min(1, 'must not be empty').default('./.lucid'),
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
  ),
  ENCRYPTION_KEY: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LUCID_BODY_LIMIT: z.coerce
    .number({ error: 'must be a number of bytes' })
    .int()
    .min(1024, 'must be at least 1024 bytes')
    .default(1024 * 1024),
  GITHUB_CLIENT_ID: optionalText,
  GITHUB_CLIENT_SECRET: optionalText,
  GOOGLE_CLIENT_ID: optionalText,
  GOOGLE_CLIENT_SECRET: optionalText,
});

/** Thrown when the environment is wrong; its lines say what to fix, one per mistake. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const KEY_FILE = 'encryption.key';

/** Decodes a 32-byte key written as 64 hex digits or as base64; undefined if it is neither. */
export function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const key = Buffer.from(text, 'base64');
    return key.length === 32 ? key : undefined;
  }
  return undefined;
}

/**
 * Reads and validates the configuration.
 *
 * In embedded mode (no `DATABASE_URL`) a missing `ENCRYPTION_KEY` is generated into
 * `<dataDir>/encryption.key` with mode 0600 and reused on the next start.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? 'environment');
      problems.push(`${name} ${issue.message} (got ${JSON.stringify(env[name] ?? '')})`);
    }
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.LUCID_DATA_DIR);

  let encryptionKey: Buffer | undefined;
  let encryptionKeyGenerated = false;
  if (e.ENCRYPTION_KEY !== undefined) {
    encryptionKey = decodeKey(e.ENCRYPTION_KEY);
    if (!encryptionKey) {
      problems.push(
        'ENCRYPTION_KEY must be 32 bytes written as 64 hex digits or as base64 ' +
          '(generate one with: openssl rand -base64 32)',
      );
    }
  } else if (e.DATABASE_URL !== undefined) {
    problems.push(
      'ENCRYPTION_KEY is required when DATABASE_URL is set, so every server shares it ' +
        '(generate one with: openssl rand -base64 32)',
    );
  }

  for (const provider of ['GITHUB', 'GOOGLE'] as const) {
    const id = e[`${provider}_CLIENT_ID`];
    const secret = e[`${provider}_CLIENT_SECRET`];
    if ((id === undefined) !== (secret === undefined)) {
      problems.push(`${provider}_CLIENT_ID and ${provider}_CLIENT_SECRET must be set together`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  if (!encryptionKey) {
    ({ key: encryptionKey, generated: encryptionKeyGenerated } = embeddedKey(dataDir));
  }

  const social: Config['social'] = {};
  if (e.GITHUB_CLIENT_ID && e.GITHUB_CLIENT_SECRET) {
    social.github = { clientId: e.GITHUB_CLIENT_ID, clientSecret: e.GITHUB_CLIENT_SECRET };
  }
  if (e.GOOGLE_CLIENT_ID && e.GOOGLE_CLIENT_SECRET) {
    social.google = { clientId: e.GOOGLE_CLIENT_ID, clientSecret: e.GOOGLE_CLIENT_SECRET };
  }

  const publicUrl = (e.LUCID_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const extraOrigins = (e.LUCID_TRUSTED_ORIGINS ?? '')
    .split(',')
    .filter((o) => o.trim() !== '')
    .map((o) => new URL(o.trim()).origin);

  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    trustedOrigins: [...new Set([...originsOf(publicUrl), ...extraOrigins])],
    dataDir,
    databaseUrl: e.DATABASE_URL,
    encryptionKey,
    encryptionKeyGenerated,
    logLevel: e.LOG_LEVEL,
    bodyLimit: e.LUCID_BODY_LIMIT,
    social,
  };
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/** The public URL's origin; for a loopback URL, also the other names of this machine. */
function originsOf(publicUrl: string): string[] {
  const url = new URL(publicUrl);
  if (!LOOPBACK.includes(url.hostname)) return [url.origin];
  return LOOPBACK.map((host) => {
    const alias = new URL(url.origin);
    alias.hostname = host;
    return alias.origin;
  });
}

function embeddedKey(dataDir: string): { key: Buffer; generated: boolean } {
  const file = path.join(dataDir, KEY_FILE);
  if (existsSync(file)) {
    const key = decodeKey(readFileSync(file, 'utf8').trim());
    if (!key)
      throw new ConfigError([`${file} does not hold a 32-byte key; restore it or remove it`]);
    return { key, generated: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { key, generated: true };
}
