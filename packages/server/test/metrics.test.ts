/**
 * `GET /metrics` and `GET /readyz`. The metrics parse with a Prometheus text parser and move as a
 * scripted task runs against the fake LLM: runs queued, started and finished, the model's tokens
 * and dollars, the run's duration, wait and first tool call, the jobs that follow, HTTP answers by
 * route pattern, live stream viewers. No label holds an id or a secret. Only the bearer token
 * `LUCID_METRICS_TOKEN` reads them; without it configured the route is not there. Readiness
 * checks the database and the git store, and names the check that failed.
 */
import { rename, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptStep } from './fakes/llm/index.ts';
import { startFakeGitHub } from './fakes/github/index.ts';
import { startFakeNotion } from './fakes/notion/index.ts';
import { startAgentServer, type AgentServer } from './support/agent-server.ts';
import { request, signUp } from './support/client.ts';
import { taskEvents, waitForStatus } from './support/tasks.ts';
import { onPostgres, startTestServer, type TestServer } from './support/test-server.ts';

const METRICS_TOKEN = 'metrics-test-token-0123456789abcdef';
const ANTHROPIC_KEY = 'sk-ant-metrics-test-0123456789';
const OPENAI_KEY = 'sk-openai-metrics-test-0123456789';
const COMPATIBLE_KEY = 'sk-local-metrics-test-0123456789';
const MODEL = 'anthropic/claude-sonnet-4-5';

/** Any of Lucid's ids: a type prefix and 20 base-32 characters. */
const ANY_ID = /[a-z]+_[a-z2-7]{20}/;

const trajectory: ScriptStep[] = [
  {
    toolCalls: [{ name: 'write_file', input: { path: 'hello.txt', content: 'hello\n' } }],
    usage: { inputTokens: 100, outputTokens: 10 },
  },
  {
    toolCalls: [{ name: 'bash', input: { command: 'git add -A && git commit -qm "Add hello"' } }],
    usage: { inputTokens: 120, outputTokens: 12 },
  },
  { toolCalls: [{ name: 'finish', input: { summary: 'Added hello.' } }], usage: usage(130, 5) },
];

function usage(inputTokens: number, outputTokens: number) {
  return { inputTokens, outputTokens };
}

let t: AgentServer;

beforeAll(async () => {
  t = await startAgentServer({
    repo: 'metrics-repo',
    keys: { anthropic: ANTHROPIC_KEY, openai: OPENAI_KEY, compatible: COMPATIBLE_KEY },
    env: { LUCID_METRICS_TOKEN: METRICS_TOKEN },
  });
});
afterAll(() => t?.close());

async function scrape(server: TestServer = t.server): Promise<{
  text: string;
  families: PrometheusFamily[];
}> {
  const response = await fetch(`${server.url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, families: parsePrometheusTextFormat(text) };
}

/** The family named `name`; fails when the scrape has none. */
function family(families: PrometheusFamily[], name: string): PrometheusFamily {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no metric ${name} in the scrape`);
  return found;
}

const matches = (labels: Record<string, string> | undefined, want: Record<string, string>) =>
  Object.entries(want).every(([key, value]) => labels?.[key] === value);

/** A counter's or gauge's value for the labels given (0 when no such series is there yet). */
function valueOf(families: PrometheusFamily[], name: string, labels: Record<string, string> = {}) {
  const series = family(families, name).metrics.filter((m) => matches(m.labels, labels));
  return series.reduce((sum, m) => sum + Number(m.value ?? 0), 0);
}

/** Every sample line of the text: its name, labels and value (histograms' series included). */
function samplesOf(
  text: string,
): Array<{ name: string; labels: Record<string, string>; value: number }> {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const sample = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!sample) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries(
        [...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
      );
      return { name: sample[1]!, labels, value: Number(sample[3]) };
    });
}

/**
 * A histogram's count for the labels given (0 when no such series is there yet), from its
 * `_count` lines: the parser merges a histogram's labelled series into one.
 */
function countOf(text: string, name: string, labels: Record<string, string> = {}) {
  return samplesOf(text)
    .filter((s) => s.name === `${name}_count` && matches(s.labels, labels))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Scrapes until `ready` holds of a scrape (what a subscriber records just after a commit). */
async function scrapeUntil(
  ready: (families: PrometheusFamily[]) => boolean,
  what: string,
): Promise<{ text: string; families: PrometheusFamily[] }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const scraped = await scrape();
    if (ready(scraped.families)) return scraped;
    if (Date.now() > deadline) throw new Error(`the metrics never showed ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('GET /metrics', () => {
  it('moves as a scripted task runs, with bounded labels that hold no id or secret', async () => {
    const { text: beforeText, families: before } = await scrape();
    t.llm.script(trajectory);
    const created = await request<{ task: { id: string }; run: { id: string } }>(
      t.server.url,
      'POST',
      '/api/v1/tasks',
      { token: t.user.token, json: { repoId: t.repoId, prompt: 'Add hello.txt', model: MODEL } },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const taskId = created.body.task.id;
    const runId = created.body.run.id;
    // A live viewer of the task while it runs.
    const stream = new AbortController();
    const viewer = await fetch(`${t.server.url}/api/v1/tasks/${taskId}/stream`, {
      headers: { authorization: `Bearer ${t.user.token}` },
      signal: stream.signal,
    });
    expect(viewer.status).toBe(200);
    const watched = await scrapeUntil(
      (f) => valueOf(f, 'lucid_sse_viewers', { stream: 'task' }) === 1,
      'the task stream open',
    );
    expect(valueOf(watched.families, 'lucid_sse_viewers', { stream: 'task' })).toBe(1);

    const done = await waitForStatus(t.server.url, t.user, taskId, ['in_review', 'failed']);
    expect(done.status).toBe('in_review');
    stream.abort();
    const { text, families: after } = await scrapeUntil(
      (f) =>
        valueOf(f, 'lucid_runs_finished_total', { outcome: 'succeeded' }) >
          valueOf(before, 'lucid_runs_finished_total', { outcome: 'succeeded' }) &&
        valueOf(f, 'lucid_jobs_finished_total', { kind: 'forge.publish' }) >
          valueOf(before, 'lucid_jobs_finished_total', { kind: 'forge.publish' }) &&
        valueOf(f, 'lucid_sse_viewers', { stream: 'task' }) === 0,
      'the run finished, its publish job done and the stream closed',
    );
    const moved = (name: string, labels: Record<string, string> = {}) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    const counted = (name: string, labels: Record<string, string> = {}) =>
      countOf(text, name, labels) - countOf(beforeText, name, labels);

    expect(moved('lucid_runs_queued_total')).toBe(1);
    expect(moved('lucid_runs_started_total')).toBe(1);
    expect(moved('lucid_runs_finished_total', { outcome: 'succeeded' })).toBe(1);
    expect(counted('lucid_run_duration_seconds', { outcome: 'succeeded' })).toBe(1);
    expect(counted('lucid_run_queue_wait_seconds')).toBe(1);
    expect(counted('lucid_run_first_tool_call_seconds')).toBe(1);
    expect(moved('lucid_jobs_started_total', { kind: 'forge.publish' })).toBeGreaterThanOrEqual(1);

    // The model's tokens and dollars, by provider and model, as the task's usage records them.
    const recorded = (await taskEvents(t.server.url, t.user, taskId)).filter(
      (e) => e.type === 'usage',
    ) as unknown as Array<{ inputTokens: number; outputTokens: number; costUsd: number }>;
    expect(recorded).toHaveLength(trajectory.length);
    const model = { provider: 'anthropic', model: MODEL };
    expect(moved('lucid_llm_calls_total', { ...model, status: '2xx' })).toBe(trajectory.length);
    expect(moved('lucid_llm_tokens_total', { ...model, kind: 'output' })).toBe(27);
    expect(moved('lucid_llm_tokens_total', { ...model, kind: 'input' })).toBe(
      recorded.reduce((sum, e) => sum + e.inputTokens, 0),
    );
    expect(moved('lucid_llm_cost_usd_total', model)).toBeCloseTo(
      recorded.reduce((sum, e) => sum + e.costUsd, 0),
      9,
    );

    // HTTP answers by route pattern, never by the URL a request named.
    const routes = samplesOf(text)
      .filter((s) => s.name === 'lucid_http_request_duration_seconds_count')
      .map((s) => s.labels.route);
    expect(routes).toContain('/api/v1/tasks/:id');
    expect(routes).toContain('/api/v1/tasks');

    // What is read at scrape time: the queues, the own runner's sandboxes, the process.
    expect(
      family(after, 'lucid_queue_depth')
        .metrics.map((m) => m.labels?.queue)
        .sort(),
    ).toEqual(['jobs', 'runs']);
    expect(
      family(after, 'lucid_sandboxes')
        .metrics.map((m) => m.labels?.state)
        .sort(),
    ).toEqual(['busy', 'starting', 'warm']);
    expect(countOf(text, 'lucid_sandbox_start_seconds', { outcome: 'succeeded' })).toBeGreaterThan(
      0,
    );
    expect(family(after, 'lucid_nodejs_eventloop_lag_seconds').type).toBe('GAUGE');
    // PostgreSQL's pool, by state; embedded PGlite has one connection and no pool to show.
    const pool = samplesOf(text).filter((s) => s.name === 'lucid_db_pool_connections');
    expect(pool.map((s) => s.labels.state).sort()).toEqual(
      onPostgres ? ['idle', 'total', 'waiting'] : [],
    );

    // No label value is an id, and nothing the server holds secret is anywhere in the text.
    for (const { name, labels } of samplesOf(text)) {
      for (const value of Object.values(labels)) {
        expect(value, `${name} has the label value ${value}`).not.toMatch(ANY_ID);
      }
    }
    for (const secret of [
      taskId,
      runId,
      t.repoId,
      t.user.id,
      t.user.token,
      ANTHROPIC_KEY,
      METRICS_TOKEN,
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('counts a model call the provider refuses as an error, and the retry after it', async () => {
    const before = (await scrape()).families;
    t.llm.failNext(1, { status: 429, retryAfterSeconds: 0 });
    t.llm.script([{ text: 'Done after the limit.', usage: usage(40, 4) }]);
    const created = await request<{ task: { id: string } }>(t.server.url, 'POST', '/api/v1/tasks', {
      token: t.user.token,
      json: { repoId: t.repoId, prompt: 'Say something', model: MODEL },
    });
    expect(created.status).toBe(201);
    await waitForStatus(t.server.url, t.user, created.body.task.id, ['todo', 'failed']);
    const after = (await scrape()).families;
    const moved = (name: string, labels: Record<string, string>) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    const model = { provider: 'anthropic', model: MODEL };
    expect(moved('lucid_llm_calls_total', { ...model, status: '4xx' })).toBe(1);
    expect(moved('lucid_llm_errors_total', { ...model, status: '4xx' })).toBe(1);
    expect(moved('lucid_llm_calls_total', { ...model, status: '2xx' })).toBe(1);
    expect(moved('lucid_llm_errors_total', { ...model, status: '2xx' })).toBe(0);
  });

  it('is refused without the metrics token, with a wrong one and with an API token', async () => {
    const url = `${t.server.url}/metrics`;
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer not-the-metrics-token-0123456789' },
      { authorization: `Bearer ${t.user.token}` },
      { authorization: METRICS_TOKEN },
    ]) {
      const response = await fetch(url, { headers });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('unauthorized');
      expect(body.error.message).toContain('LUCID_METRICS_TOKEN');
    }
  });

  it('is not served at all when no metrics token is configured', async () => {
    const server = await startTestServer();
    try {
      const response = await fetch(`${server.url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(response.status).toBe(404);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('not_found');
      expect(body.error.message).toContain('LUCID_METRICS_TOKEN');
    } finally {
      await server.close();
    }
  });
});

describe('calls to other services', () => {
  it('counts GitHub and Notion calls by status class, and their failures', async () => {
    const github = await startFakeGitHub();
    const notion = await startFakeNotion();
    const server = await startTestServer({
      env: { ...github.env(), NOTION_API_URL: notion.url, LUCID_METRICS_TOKEN: METRICS_TOKEN },
    });
    try {
      const user = await signUp(server.url);
      const account = github.addUser({ login: 'metrics-reader' });
      const connect = (provider: string, token: string) =>
        request(server.url, 'POST', `/api/integrations/${provider}/token`, {
          token: user.token,
          json: { token },
        });
      const before = (await scrape(server)).families;
      const calls = (families: PrometheusFamily[], service: string, status: string) =>
        valueOf(families, 'lucid_external_calls_total', { service, status }) -
        valueOf(before, 'lucid_external_calls_total', { service, status });
      const failures = (families: PrometheusFamily[], service: string) =>
        valueOf(families, 'lucid_external_failures_total', { service }) -
        valueOf(before, 'lucid_external_failures_total', { service });

      github.fail(503, 1);
      expect((await connect('github', account.token)).status).toBeGreaterThanOrEqual(400);
      expect((await connect('github', account.token)).status).toBe(200);
      expect((await connect('notion', notion.token)).status).toBe(200);
      const after = (await scrape(server)).families;
      expect(calls(after, 'github', '5xx')).toBe(1);
      expect(failures(after, 'github')).toBe(1);
      expect(calls(after, 'github', '2xx')).toBeGreaterThanOrEqual(1);
      expect(calls(after, 'notion', '2xx')).toBeGreaterThanOrEqual(1);
      expect(failures(after, 'notion')).toBe(0);
    } finally {
      await server.close();
      await github.close();
      await notion.stop();
    }
  });
});

describe('GET /readyz', () => {
  it('answers 200 with each check, and 503 naming the git store when it cannot be written', async () => {
    const server = await startTestServer();
    try {
      const ready = await request<{ status: string; checks: Record<string, { ok: boolean }> }>(
        server.url,
        'GET',
        '/readyz',
      );
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({
        status: 'ready',
        checks: { database: { ok: true }, git: { ok: true } },
      });

      // A file where the git store's folder was: nothing can be written under it, even as root.
      const gitRoot = path.join(server.dataDir, 'git');
      await rename(gitRoot, `${gitRoot}.moved`);
      await writeFile(gitRoot, '');
      try {
        const failing = await request<{
          status: string;
          checks: Record<string, { ok: boolean; error?: string }>;
        }>(server.url, 'GET', '/readyz');
        expect(failing.status).toBe(503);
        expect(failing.body.status).toBe('not_ready');
        expect(failing.body.checks.database).toEqual({ ok: true });
        expect(failing.body.checks.git?.ok).toBe(false);
        expect(failing.body.checks.git?.error).toMatch(/^The git store cannot be written: /);
      } finally {
        await rm(gitRoot);
        await rename(`${gitRoot}.moved`, gitRoot);
      }
      expect((await request(server.url, 'GET', '/readyz')).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
