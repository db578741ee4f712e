/**
 * The console of `lucid serve` as its own process: JSON lines when stdout is not a terminal,
 * readable lines with LUCID_LOG_FORMAT=pretty, and a start banner that says where Lucid is,
 * where tasks run, which model providers it has and what is missing, without a secret.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startBanner, type BannerFacts } from '../src/banner.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { freePort } from './support/test-server.ts';

const bin = fileURLToPath(new URL('../bin/lucid.js', import.meta.url));
const SECRET_KEY = 'sk-ant-banner-secret-0123456789';
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * Runs `lucid serve` with stdout on a pipe until `done` says a line of its output is the last
 * one needed, then stops it; answers every line it printed.
 */
async function serveUntil(
  env: Record<string, string>,
  done: (line: string) => boolean,
): Promise<{ lines: string[]; url: string }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-banner-'));
  dirs.push(dataDir);
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const child = spawn(process.execPath, [bin, 'serve'], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH,
      HOME: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LUCID_PUBLIC_URL: url,
      LUCID_DATA_DIR: path.join(dataDir, 'data'),
      LUCID_SANDBOX_WARM_POOL: '0',
      // No engine answers there: `auto` picks local sandboxes.
      DOCKER_HOST: `unix://${path.join(dataDir, 'no-docker.sock')}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  for await (const line of createInterface({ input: child.stdout })) {
    lines.push(line);
    if (done(line)) break;
  }
  child.kill('SIGTERM');
  await exited;
  expect(lines.some(done), `${lines.join('\n')}\n${stderr}`).toBe(true);
  return { lines, url };
}

interface LogRecord {
  level: number;
  msg: string;
  banner?: {
    url: string;
    listening: string;
    sandbox: string;
    providers: string[];
    defaultModel: string | null;
    missing: string[];
  };
}

describe('the console of lucid serve', () => {
  it('writes JSON lines when stdout is not a terminal, with a banner that holds no secret', async () => {
    const { lines, url } = await serveUntil({ ANTHROPIC_API_KEY: SECRET_KEY }, (line) =>
      line.includes('"banner"'),
    );
    const records = lines.map((line) => JSON.parse(line) as LogRecord);
    const banner = records.find((record) => record.banner);
    expect(banner?.banner).toMatchObject({
      url,
      listening: `127.0.0.1:${new URL(url).port}`,
      providers: ['anthropic'],
      defaultModel: 'anthropic/claude-sonnet-4-5',
    });
    expect(banner?.banner?.sandbox).toMatch(/^local: a folder per task, confined by bubblewrap/);
    expect(banner?.banner?.missing).toEqual([
      expect.stringMatching(/^No Docker engine answered, so tasks run in local folders/),
    ]);
    expect(banner?.msg.split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^Lucid \\S+ is ready: open ${url} \\(listening on 127\\.0\\.0\\.1:\\d+\\)$`),
      ),
      expect.stringMatching(/^ {2}Data: .+ \(embedded database\)$/),
      expect.stringMatching(/^ {2}Sandboxes: local: /),
      '  Model providers: anthropic; default model anthropic/claude-sonnet-4-5',
      expect.stringMatching(/^ {2}Missing: No Docker engine answered/),
    ]);
    expect(lines.join('\n')).not.toContain(SECRET_KEY);
  });

  it('writes readable lines with LUCID_LOG_FORMAT=pretty, and says how to add a model provider', async () => {
    const { lines, url } = await serveUntil({ LUCID_LOG_FORMAT: 'pretty' }, (line) =>
      line.includes('Missing: No model provider'),
    );
    expect(lines.some((line) => line.startsWith('{'))).toBe(false);
    const text = lines.join('\n');
    expect(text).toMatch(new RegExp(`INFO: Lucid \\S+ is ready: open ${url}`));
    expect(text).toContain('  Model providers: none');
    expect(text).toContain(
      '  Missing: No model provider: set ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY or ' +
        'OPENAI_COMPATIBLE_BASE_URL and restart, or add your own key on the Model providers page',
    );
  });

  it('refuses a log format it does not know', () => {
    expect(() => loadConfig({ LUCID_LOG_FORMAT: 'xml', LUCID_DATA_DIR: '/nonexistent' })).toThrow(
      ConfigError,
    );
    try {
      loadConfig({ LUCID_LOG_FORMAT: 'xml', LUCID_DATA_DIR: '/nonexistent' });
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'LUCID_LOG_FORMAT must be json, pretty or auto (got "xml")',
      ]);
    }
  });
});

describe('the start banner', () => {
  const facts = (overrides: Partial<BannerFacts>): BannerFacts => ({
    config: {
      publicUrl: 'https://lucid.example.com',
      host: '0.0.0.0',
      dataDir: '/srv/lucid',
      llm: { openai: { apiKey: 'sk-not-shown' }, defaultModel: 'openai/gpt-5' },
      sandbox: { driver: 'auto' } as BannerFacts['config']['sandbox'],
    },
    port: 3000,
    database: 'postgres',
    slots: 2,
    driver: { kind: 'docker' },
    refusal: null,
    ...overrides,
  });

  it('names the docker driver and misses nothing when Docker and a provider are there', () => {
    const banner = startBanner(facts({}));
    expect(banner.lines).toEqual([
      expect.stringMatching(
        /^Lucid \S+ is ready: open https:\/\/lucid\.example\.com \(listening on 0\.0\.0\.0:3000\)$/,
      ),
      'Data: /srv/lucid, database on PostgreSQL (DATABASE_URL)',
      'Sandboxes: docker: a Docker container per task, 2 at once',
      'Model providers: openai; default model openai/gpt-5',
    ]);
    expect(JSON.stringify(banner)).not.toContain('sk-not-shown');
  });

  it('says why no sandbox runs, and that a server without slots leaves tasks to other hosts', () => {
    const refused = startBanner(
      facts({ driver: { kind: 'local' }, refusal: 'bubblewrap is not installed' }),
    );
    expect(refused.fields.sandbox).toBe('none can run here (see below)');
    expect(refused.fields.missing).toEqual(['bubblewrap is not installed']);
    const remoteOnly = startBanner(facts({ slots: 0, driver: null }));
    expect(remoteOnly.fields.sandbox).toBe(
      'none on this server (LUCID_RUNNER_SLOTS=0): runners on other hosts',
    );
    expect(remoteOnly.fields.missing).toEqual([]);
  });
});
