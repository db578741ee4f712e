import { existsSync, statSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadSandboxConfig } from '../src/config.ts';

async function dataDir() {
  return mkdtemp(path.join(tmpdir(), 'lucid-config-'));
}

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('has defaults that run on a fresh machine', async () => {
    const dir = await dataDir();
    const config = loadConfig({ LUCID_DATA_DIR: dir });
    expect(config).toMatchObject({
      port: 3000,
      publicUrl: 'http://localhost:3000',
      dataDir: dir,
      databaseUrl: undefined,
    });
    expect(config.encryptionKey).toHaveLength(32);
  });

  it('generates an embedded encryption key once, with mode 0600, and reuses it', async () => {
    const dir = await dataDir();
    const first = loadConfig({ LUCID_DATA_DIR: dir });
    expect(first.encryptionKeyGenerated).toBe(true);
    const file = path.join(dir, 'encryption.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadConfig({ LUCID_DATA_DIR: dir });
    expect(second.encryptionKeyGenerated).toBe(false);
    expect(second.encryptionKey.equals(first.encryptionKey)).toBe(true);
    expect(readFileSync(file, 'utf8')).not.toBe('');
  });

  it('accepts a key in hex or base64', async () => {
    const hex = 'ab'.repeat(32);
    const dir = await dataDir();
    expect(
      loadConfig({ LUCID_DATA_DIR: dir, ENCRYPTION_KEY: hex }).encryptionKey.toString('hex'),
    ).toBe(hex);
    const b64 = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ LUCID_DATA_DIR: dir, ENCRYPTION_KEY: b64 }).encryptionKey).toEqual(
      Buffer.alloc(32, 7),
    );
  });

  it('names each mistake in one line', async () => {
    const dir = await dataDir();
    const found = problems({
      LUCID_DATA_DIR: dir,
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://x',
    });
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/^PORT must be a number/);
    expect(found.some((p) => p.startsWith('LOG_LEVEL'))).toBe(true);
    expect(found.some((p) => p.startsWith('DATABASE_URL must start with postgres://'))).toBe(true);
  });

  it('names a mistake without showing the secret in the value', async () => {
    const dir = await dataDir();
    const [url] = problems({
      LUCID_DATA_DIR: dir,
      DATABASE_URL: 'mysql://lucid:hunter2-p@ss/word@db.example.com:3306/lucid',
    });
    expect(url).toBe(
      'DATABASE_URL must start with postgres:// or postgresql:// ' +
        '(got "mysql://lucid:***@db.example.com:3306/lucid")',
    );
    const [keywords] = problems({
      LUCID_DATA_DIR: dir,
      DATABASE_URL: 'host=db user=lucid password=hunter2-secret dbname=lucid',
    });
    expect(keywords).toContain('password=***');
    const [compatible] = problems({
      LUCID_DATA_DIR: dir,
      OPENAI_COMPATIBLE_BASE_URL: 'llm.internal/v1?api_key=sk-hunter2-secret',
    });
    expect(compatible).toMatch(/^OPENAI_COMPATIBLE_BASE_URL must be an absolute http\(s\) URL/);
    for (const problem of [url, keywords, compatible]) expect(problem).not.toMatch(/hunter2/);
  });

  it('serves no metrics by default, and takes a metrics token of 16 characters or more', async () => {
    const dir = await dataDir();
    expect(loadConfig({ LUCID_DATA_DIR: dir }).metricsToken).toBeUndefined();
    expect(
      loadConfig({ LUCID_DATA_DIR: dir, LUCID_METRICS_TOKEN: ' ' }).metricsToken,
    ).toBeUndefined();
    const token = 'scrape-me-0123456789';
    expect(loadConfig({ LUCID_DATA_DIR: dir, LUCID_METRICS_TOKEN: token }).metricsToken).toBe(
      token,
    );
    const [short] = problems({ LUCID_DATA_DIR: dir, LUCID_METRICS_TOKEN: 'hunter2' });
    expect(short).toMatch(/^LUCID_METRICS_TOKEN must be at least 16 characters/);
    expect(short).not.toContain('hunter2');
  });

  it('requires ENCRYPTION_KEY with DATABASE_URL, and a well-formed key', async () => {
    const dir = await dataDir();
    expect(problems({ LUCID_DATA_DIR: dir, DATABASE_URL: 'postgres://localhost/lucid' })).toEqual([
      expect.stringMatching(/^ENCRYPTION_KEY is required when DATABASE_URL is set/),
    ]);
    expect(problems({ LUCID_DATA_DIR: dir, ENCRYPTION_KEY: 'short' })).toEqual([
      expect.stringMatching(/^ENCRYPTION_KEY must be 32 bytes/),
    ]);
    expect(problems({ LUCID_DATA_DIR: dir, GITHUB_CLIENT_ID: 'x' })).toEqual([
      'GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET must be set together',
    ]);
  });

  it('takes new accounts by invitation unless LUCID_SIGNUP says otherwise', async () => {
    const dir = await dataDir();
    expect(loadConfig({ LUCID_DATA_DIR: dir }).signUp).toBe('invite');
    expect(loadConfig({ LUCID_DATA_DIR: dir, LUCID_SIGNUP: 'open' }).signUp).toBe('open');
    expect(loadConfig({ LUCID_DATA_DIR: dir, LUCID_SIGNUP: 'closed' }).signUp).toBe('closed');
    expect(problems({ LUCID_DATA_DIR: dir, LUCID_SIGNUP: 'anyone' })).toEqual([
      'LUCID_SIGNUP must be open, invite or closed (got "anyone")',
    ]);
  });
});

describe('sandbox configuration', () => {
  it('defaults to picking the driver automatically, with the built image and moderate limits', async () => {
    const config = loadConfig({ LUCID_DATA_DIR: await dataDir() });
    expect(config.sandbox).toEqual({
      driver: 'auto',
      image: 'lucid-sandbox:latest',
      network: 'bridge',
      limits: { memoryBytes: 2048 * 1024 * 1024, cpus: 2, pids: 512 },
      idleMs: 30 * 60_000,
      warmPool: 2,
      shutdownGraceMs: 30_000,
    });
  });

  it('reads the driver, image, network and limits', async () => {
    const config = loadConfig({
      LUCID_DATA_DIR: await dataDir(),
      LUCID_SANDBOX: 'docker',
      LUCID_SANDBOX_IMAGE: 'registry.example.com/team/sandbox:2',
      LUCID_SANDBOX_NETWORK: 'none',
      LUCID_SANDBOX_MEMORY_MB: '512',
      LUCID_SANDBOX_CPUS: '0.5',
      LUCID_SANDBOX_PIDS: '128',
      LUCID_SANDBOX_IDLE_MINUTES: '0.5',
      LUCID_SANDBOX_WARM_POOL: '0',
      LUCID_SHUTDOWN_GRACE_MS: '0',
    });
    expect(config.sandbox).toEqual({
      driver: 'docker',
      image: 'registry.example.com/team/sandbox:2',
      network: 'none',
      limits: { memoryBytes: 512 * 1024 * 1024, cpus: 0.5, pids: 128 },
      idleMs: 30_000,
      warmPool: 0,
      shutdownGraceMs: 0,
    });
  });

  it('takes local-unsafe only by that name', async () => {
    const dir = await dataDir();
    expect(loadConfig({ LUCID_DATA_DIR: dir, LUCID_SANDBOX: 'local-unsafe' }).sandbox.driver).toBe(
      'local-unsafe',
    );
    expect(problems({ LUCID_DATA_DIR: dir, LUCID_SANDBOX: 'unsafe' })).toEqual([
      'LUCID_SANDBOX must be docker, local, local-unsafe or auto (got "unsafe")',
    ]);
  });

  it('names each sandbox mistake in one line', async () => {
    const found = problems({
      LUCID_DATA_DIR: await dataDir(),
      LUCID_SANDBOX: 'podman',
      LUCID_SANDBOX_NETWORK: 'host',
      LUCID_SANDBOX_MEMORY_MB: '10',
      LUCID_SANDBOX_CPUS: '0',
      LUCID_SANDBOX_PIDS: '1.5',
      LUCID_SANDBOX_IDLE_MINUTES: '0',
      LUCID_SANDBOX_WARM_POOL: '-1',
      LUCID_SHUTDOWN_GRACE_MS: '2.5',
    });
    expect(found).toEqual([
      'LUCID_SANDBOX must be docker, local, local-unsafe or auto (got "podman")',
      'LUCID_SANDBOX_NETWORK must be bridge or none (got "host")',
      'LUCID_SANDBOX_MEMORY_MB must be at least 64 (MiB) (got "10")',
      'LUCID_SANDBOX_CPUS must be more than 0 (cores; 0.5 is half a core) (got "0")',
      'LUCID_SANDBOX_PIDS must be a whole number of processes (got "1.5")',
      'LUCID_SANDBOX_IDLE_MINUTES must be between 0.01 and 10080 (minutes) (got "0")',
      'LUCID_SANDBOX_WARM_POOL must be between 0 and 32 (got "-1")',
      'LUCID_SHUTDOWN_GRACE_MS must be a whole number of milliseconds (got "2.5")',
    ]);
    expect(problems({ LUCID_DATA_DIR: await dataDir(), LUCID_SANDBOX_MEMORY_MB: 'lots' })).toEqual([
      'LUCID_SANDBOX_MEMORY_MB must be a number of MiB (got "lots")',
    ]);
  });

  it('reads the sandbox settings alone without writing to the data dir', async () => {
    const dir = path.join(await dataDir(), 'not-yet');
    const { dataDir: resolved, sandbox } = loadSandboxConfig({
      LUCID_DATA_DIR: dir,
      LUCID_SANDBOX: 'local',
    });
    expect(resolved).toBe(dir);
    expect(sandbox.driver).toBe('local');
    expect(existsSync(dir)).toBe(false);
    expect(() => loadSandboxConfig({ LUCID_SANDBOX_CPUS: 'x' })).toThrow(
      /LUCID_SANDBOX_CPUS must be a number of cores/,
    );
  });
});

describe('model provider configuration', () => {
  it('has no provider and 50 agent steps by default', async () => {
    const config = loadConfig({ LUCID_DATA_DIR: await dataDir() });
    expect(config.llm).toEqual({});
    expect(config.agent.maxSteps).toBe(50);
    expect(config.budgets).toEqual({ runUsd: 5, userMonthlyUsd: 0 });
  });

  it('reads the gateway budgets, 0 meaning no limit', async () => {
    const config = loadConfig({
      LUCID_DATA_DIR: await dataDir(),
      LUCID_RUN_BUDGET_USD: '0',
      LUCID_USER_MONTHLY_BUDGET_USD: '250.5',
    });
    expect(config.budgets).toEqual({ runUsd: 0, userMonthlyUsd: 250.5 });
    expect(
      problems({
        LUCID_DATA_DIR: await dataDir(),
        LUCID_RUN_BUDGET_USD: 'lots',
        LUCID_USER_MONTHLY_BUDGET_USD: '-1',
      }),
    ).toEqual([
      'LUCID_RUN_BUDGET_USD must be a number of US dollars (got "lots")',
      'LUCID_USER_MONTHLY_BUDGET_USD must be 0 (no limit) or more (US dollars) (got "-1")',
    ]);
  });

  it('reads the Gemini provider: its key, its base URL, its models as the default alone', async () => {
    const config = loadConfig({
      LUCID_DATA_DIR: await dataDir(),
      GEMINI_API_KEY: 'AIza-g',
      GEMINI_BASE_URL: 'http://127.0.0.1:9',
      LUCID_CLI_AGENTS: 'gemini',
    });
    expect(config.llm).toEqual({
      gemini: { apiKey: 'AIza-g', baseUrl: 'http://127.0.0.1:9' },
      baseUrls: { gemini: 'http://127.0.0.1:9' },
      defaultModel: 'gemini/gemini-2.5-pro',
    });
    expect(config.agent.cli).toEqual(['gemini']);
    expect(problems({ LUCID_DATA_DIR: await dataDir(), GEMINI_BASE_URL: 'googleapis' })).toEqual([
      'GEMINI_BASE_URL must be an absolute http(s) URL such as https://generativelanguage.googleapis.com (got "googleapis")',
    ]);
    expect(
      problems({ LUCID_DATA_DIR: await dataDir(), LUCID_SMALL_MODEL: 'gemini/gemini-2.5-flash' }),
    ).toEqual(['LUCID_SMALL_MODEL names an gemini model, but GEMINI_API_KEY is not set']);
  });

  it('reads the providers, and picks a default model from the first one set', async () => {
    const config = loadConfig({
      LUCID_DATA_DIR: await dataDir(),
      OPENAI_API_KEY: 'sk-o',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:11434/v1',
      LUCID_AGENT_MAX_STEPS: '12',
    });
    expect(config.llm).toEqual({
      openai: { apiKey: 'sk-o', baseUrl: 'http://127.0.0.1:9/v1' },
      openaiCompatible: { baseUrl: 'http://127.0.0.1:11434/v1', apiKey: undefined },
      defaultModel: 'openai/gpt-5',
      baseUrls: { openai: 'http://127.0.0.1:9/v1' },
    });
    expect(config.agent.maxSteps).toBe(12);
    const chosen = loadConfig({
      LUCID_DATA_DIR: await dataDir(),
      ANTHROPIC_API_KEY: 'sk-a',
      LUCID_DEFAULT_MODEL: 'anthropic/claude-haiku-4-5',
    });
    expect(chosen.llm.defaultModel).toBe('anthropic/claude-haiku-4-5');
  });

  it('names each provider mistake in one line', async () => {
    const dir = await dataDir();
    expect(
      problems({ LUCID_DATA_DIR: dir, LUCID_DEFAULT_MODEL: 'gemini', LUCID_AGENT_MAX_STEPS: '0' }),
    ).toEqual([
      'LUCID_DEFAULT_MODEL must be provider/name with provider anthropic, openai, openai-chat, openai-compatible or gemini (such as anthropic/claude-sonnet-4-5) (got "gemini")',
      'LUCID_AGENT_MAX_STEPS must be between 1 and 1000 (steps) (got "0")',
    ]);
    expect(problems({ LUCID_DATA_DIR: dir, ANTHROPIC_BASE_URL: 'not a url' })).toEqual([
      'ANTHROPIC_BASE_URL must be an absolute http(s) URL such as https://api.anthropic.com/v1 (got "not a url")',
    ]);
    expect(
      problems({
        LUCID_DATA_DIR: dir,
        OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
        OPENAI_COMPATIBLE_API_KEY: 'k',
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      }),
    ).toEqual([
      'OPENAI_COMPATIBLE_API_KEY is set but OPENAI_COMPATIBLE_BASE_URL is not; set the server URL too',
      'LUCID_DEFAULT_MODEL names an anthropic model, but ANTHROPIC_API_KEY is not set',
    ]);
  });

  it('points at github.com and gitlab.com by default, with no OAuth app', async () => {
    const config = loadConfig({ LUCID_DATA_DIR: await dataDir() });
    expect(config.forges).toEqual({
      github: {
        webUrl: 'https://github.com',
        apiUrl: 'https://api.github.com',
        oauth: null,
      },
      gitlab: {
        webUrl: 'https://gitlab.com',
        apiUrl: 'https://gitlab.com/api/v4',
        oauth: null,
      },
    });
  });

  it('reads self-hosted forges and their OAuth apps', async () => {
    const config = loadConfig({
      LUCID_DATA_DIR: await dataDir(),
      GITHUB_URL: 'https://ghe.example.com/',
      GITHUB_CLIENT_ID: 'gh-id',
      GITHUB_CLIENT_SECRET: 'gh-secret',
      GITLAB_URL: 'http://127.0.0.1:8929',
      GITLAB_CLIENT_ID: 'gl-id',
      GITLAB_CLIENT_SECRET: 'gl-secret',
    });
    expect(config.forges).toEqual({
      github: {
        webUrl: 'https://ghe.example.com',
        apiUrl: 'https://ghe.example.com/api/v3',
        oauth: { clientId: 'gh-id', clientSecret: 'gh-secret' },
      },
      gitlab: {
        webUrl: 'http://127.0.0.1:8929',
        apiUrl: 'http://127.0.0.1:8929/api/v4',
        oauth: { clientId: 'gl-id', clientSecret: 'gl-secret' },
      },
    });
    const explicit = loadConfig({
      LUCID_DATA_DIR: await dataDir(),
      GITHUB_URL: 'http://127.0.0.1:9',
      GITHUB_API_URL: 'http://127.0.0.1:9/api/',
    });
    expect(explicit.forges.github.apiUrl).toBe('http://127.0.0.1:9/api');
  });

  it('names each forge mistake in one line', async () => {
    expect(
      problems({
        LUCID_DATA_DIR: await dataDir(),
        GITHUB_URL: 'github.com',
        GITLAB_URL: 'ftp://gitlab.example.com',
        GITLAB_CLIENT_ID: 'gl-id',
      }),
    ).toEqual([
      'GITHUB_URL must be an absolute http(s) URL such as https://github.example.com (got "github.com")',
      'GITLAB_URL must be an absolute http(s) URL such as https://gitlab.example.com (got "ftp://gitlab.example.com")',
    ]);
    expect(problems({ LUCID_DATA_DIR: await dataDir(), GITLAB_CLIENT_ID: 'gl-id' })).toEqual([
      'GITLAB_CLIENT_ID and GITLAB_CLIENT_SECRET must be set together',
    ]);
  });

  it('refuses the former per-forge webhook secrets, pointing at the per-repository ones', async () => {
    const found = problems({
      LUCID_DATA_DIR: await dataDir(),
      GITHUB_WEBHOOK_SECRET: 'one-for-every-tenant',
      GITLAB_WEBHOOK_SECRET: 'one-for-every-tenant',
    });
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(
      /^GITHUB_WEBHOOK_SECRET is no longer used: each repository has its own/,
    );
    expect(found[1]).toMatch(/^GITLAB_WEBHOOK_SECRET is no longer used: .* on GitLab /);
    for (const problem of found) expect(problem).not.toContain('one-for-every-tenant');
  });
});
