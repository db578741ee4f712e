/**
 * Runs' traces, read by a stand-in for an OTLP collector (a small HTTP server decoding what the
 * exporter posts as JSON): a built-in agent's run on the local driver is one trace whose root
 * `run` has the claim, the sandbox, the workspace, each model and tool call, the commit and the
 * push as children, and the publish's `pr.open` and the Vercel preview's `deploy` join it later;
 * the run's API answer and its log lines name the trace; a remote runner's spans join the trace its
 * claim carries, and its calls about the run name the trace in the server's log. No secret is in any span. Without
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, nothing is sent and runs have no trace id.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/server.ts';
import { HttpRunnerBackend } from '../src/runner/http-backend.ts';
import { Runner } from '../src/runner/runner.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { tunnelToLucid } from '../src/sandbox/local/lucid-tunnel.ts';
import { startTracing } from '../src/tracing/tracing.ts';
import { startFakeGitHub, type FakeGitHub } from './fakes/github/index.ts';
import { startFakeVercel, type FakeVercel } from './fakes/vercel/index.ts';
import { shellTrajectory, startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { linkedRepo, waitForEvent } from './support/forges.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { pushedRepo, startTask, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const PROVIDER_KEY = 'sk-ant-tracing-test-0123456789';

/** A span as the exporter's JSON encodes it (ids in hex). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

/** What an OTLP/HTTP collector would receive: every posted body, and the spans in them. */
class Collector {
  readonly bodies: string[] = [];
  private server: Server | null = null;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/v1/traces') this.bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get spans(): OtlpSpan[] {
    return this.bodies.flatMap((body) =>
      (
        JSON.parse(body) as {
          resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        }
      ).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A span attribute's value, whatever its type. */
function attribute(span: OtlpSpan, key: string): unknown {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value && Object.values(value)[0];
}

type LogLine = Record<string, unknown> & { msg?: string };

/** `close` called at most once, from the test or after it. */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => (closing ??= close());
}

describe('with an OTLP endpoint', () => {
  const collector = new Collector();
  const lines: string[] = [];
  let github: FakeGitHub;
  let vercel: FakeVercel;
  let llm: FakeLlm;
  let server: TestServer;
  let user: TestUser;
  let forgeToken: string;
  let endpoint: string;
  const closeServer = once(async () => server?.close());

  beforeAll(async () => {
    endpoint = await collector.start();
    github = await startFakeGitHub();
    vercel = await startFakeVercel({ stepMs: 100 });
    llm = await startFakeLlm();
    server = await startTestServer({
      env: {
        ...github.env(),
        ...fakeProviderEnv(llm.url, {
          anthropic: PROVIDER_KEY,
          openai: 'sk-openai-tracing-test-0123456789',
          compatible: 'sk-local-tracing-test-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        VERCEL_API_URL: vercel.url,
        VERCEL_POLL_MS: '100',
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_SERVICE_NAME: 'lucid-under-test',
      },
      logger: createLogger(
        { logLevel: 'debug', logFormat: 'json' },
        { write: (line: string) => void lines.push(line) },
      ),
      runner: {
        driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
        slots: 1,
        pollMs: 100,
        warmPool: 0,
      },
    });
    user = await signUp(server.url);
  }, 120_000);

  afterAll(async () => {
    await closeServer();
    await llm?.close();
    await github?.close();
    await vercel?.stop();
    await collector.close();
  });

  const logLines = (): LogLine[] => lines.map((line) => JSON.parse(line) as LogLine);

  it("records an agent's run as one trace that its publish and preview join, named in its answer and logs", async () => {
    const account = github.addUser({ login: 'tracer' });
    forgeToken = account.token;
    const repo = await linkedRepo(server, {
      user,
      provider: 'github',
      fake: github,
      login: account.login,
      token: account.token,
      name: 'traced',
    });
    // The repository is linked to a Vercel project: its pull request is previewed.
    const vercelToken = vercel.token;
    const connected = await request<{ id: string }>(
      server.url,
      'POST',
      '/api/integrations/vercel/token',
      { token: user.token, json: { token: vercelToken } },
    );
    expect(connected.status, JSON.stringify(connected.body)).toBe(200);
    const project = vercel.addProject({ name: 'traced' });
    const linked = await request(server.url, 'PUT', `/api/v1/repos/${repo.id}/vercel`, {
      token: user.token,
      json: { connectionId: connected.body.id, projectId: project.name },
    });
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);
    llm.script(
      shellTrajectory([{ command: 'echo traced > traced.txt' }], 'Added traced.txt.', {
        finishTool: 'finish',
      }),
    );
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId: repo.id, prompt: 'Add a traced file' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const task = created.body.task;
    await waitForEvent(server, user, task.id, (e) => e.type === 'pr.opened');
    await waitForEvent(server, user, task.id, (e) => e.type === 'deployment.state');
    const runs = await request<{ runs: { id: string; traceId?: string }[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}/runs`,
      { token: user.token },
    );
    const run = runs.body.runs[0]!;
    expect(run.traceId).toMatch(/^[0-9a-f]{32}$/);

    // Every line the runner logs of the run names its trace.
    const ofRun = logLines().filter((l) => l.runId === run.id && l.reqId === undefined);
    expect(ofRun.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['run started', 'run finished']),
    );
    for (const line of ofRun) expect(line.traceId, JSON.stringify(line)).toBe(run.traceId);

    // Closing the server sends what its exporter still holds.
    await closeServer();
    const spans = collector.spans.filter((s) => s.traceId === run.traceId);
    const root = spans.find((s) => s.name === 'run')!;
    expect(root, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
    expect(root.parentSpanId || undefined).toBeUndefined();
    expect(attribute(root, 'lucid.run.id')).toBe(run.id);
    expect(attribute(root, 'lucid.task.id')).toBe(task.id);
    expect(attribute(root, 'lucid.agent')).toBe('lucid');
    expect(attribute(root, 'gen_ai.request.model')).toBe('anthropic/claude-sonnet-4-5');
    const children = spans.filter((s) => s.parentSpanId === root.spanId).map((s) => s.name);
    for (const name of [
      'claim',
      'sandbox.start',
      'workspace',
      'model.call',
      'tool.call',
      'git.commit',
      'git.push',
      'pr.open',
      'deploy',
    ]) {
      expect(children, `a ${name} span under the run`).toContain(name);
    }
    // Nothing of the trace hangs outside the run.
    for (const span of spans.filter((s) => s !== root)) {
      expect(span.parentSpanId, span.name).toBe(root.spanId);
    }
    const model = spans.find((s) => s.name === 'model.call')!;
    expect(attribute(model, 'gen_ai.provider.name')).toBe('anthropic');
    expect(Number(attribute(model, 'gen_ai.usage.input_tokens'))).toBeGreaterThan(0);
    const bash = spans.find(
      (s) => s.name === 'tool.call' && attribute(s, 'lucid.tool.name') === 'bash',
    );
    expect(bash && attribute(bash, 'lucid.tool.exit_code')).toBe(0);

    const sent = collector.bodies.join('\n');
    expect(sent).toContain('lucid-under-test');
    expect(sent).not.toContain(PROVIDER_KEY);
    expect(sent).not.toContain(forgeToken);
    expect(sent).not.toContain(vercelToken);
    expect(sent).not.toContain('lucid_run_');
  }, 120_000);

  it("joins a remote runner's spans to the trace its claim carries", async () => {
    const second = await startTestServer({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
      logger: createLogger(
        { logLevel: 'debug', logFormat: 'json' },
        { write: (line: string) => void lines.push(line) },
      ),
    });
    const closeSecond = once(() => second.close());
    const driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) });
    const tunnel = await tunnelToLucid(second.url);
    driver.reachLucid(tunnel.endpoint);
    // The runner's host names the collector too: its tracing is its own.
    const tracing = startTracing({ endpoint, serviceName: 'lucid-runner' });
    try {
      const admin = await signUp(second.url);
      const made = await request<{ token: string }>(second.url, 'POST', '/api/v1/runners/tokens', {
        token: admin.token,
        json: { name: 'traced host' },
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const backend = new HttpRunnerBackend(second.url, made.body.token);
      const runner = new Runner({
        backend,
        driver,
        runnerId: (await backend.heartbeat(1)).runnerId,
        sandbox: {
          limits: { memoryBytes: 512 * 1024 * 1024, cpus: 1, pids: 256 },
          network: 'bridge',
        },
        slots: 1,
        idleMs: 60 * 60_000,
        warmPool: 0,
        pollMs: 100,
        log: { info: () => {}, warn: () => {}, error: () => {} },
        tracing,
      });
      runner.start();
      try {
        const repo = await pushedRepo(second.url, admin, 'traced-remote');
        const { task } = await startTask(second.url, admin, {
          repoId: repo.id,
          prompt: 'traced on another host',
          commands: ['echo remote'],
        });
        expect(
          (await waitForStatus(second.url, admin, task.id, ['in_review', 'failed'])).status,
        ).toBe('in_review');
        const runs = await request<{ runs: { id: string; traceId?: string }[] }>(
          second.url,
          'GET',
          `/api/v1/tasks/${task.id}/runs`,
          { token: admin.token },
        );
        const run = runs.body.runs[0]!;
        expect(run.traceId).toMatch(/^[0-9a-f]{32}$/);
        // The runner's calls about the run (its events, its end) name the trace in the server's log.
        const calls = logLines().filter(
          (l) => l.runId === run.id && typeof l.reqId === 'string' && l.msg === 'request completed',
        );
        expect(calls.length).toBeGreaterThan(0);
        for (const line of calls) expect(line.traceId, JSON.stringify(line)).toBe(run.traceId);

        await runner.stop();
        await tracing.shutdown();
        await closeSecond();
        const spans = collector.spans.filter((s) => s.traceId === run.traceId);
        const top = spans.find((s) => s.name === 'run')!;
        expect(top, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
        const children = spans.filter((s) => s.parentSpanId === top.spanId).map((s) => s.name);
        for (const name of ['claim', 'sandbox.start', 'workspace', 'tool.call']) {
          expect(children, `a ${name} span under the run`).toContain(name);
        }
        const runnerSide = collector.bodies.filter((body) => body.includes('lucid-runner'));
        expect(runnerSide.join('\n')).toContain(run.traceId);
      } finally {
        await runner.stop();
      }
    } finally {
      await tracing.shutdown();
      await tunnel.close();
      await closeSecond();
    }
  }, 120_000);
});

describe('without an OTLP endpoint', () => {
  const collector = new Collector();
  let server: TestServer;
  let user: TestUser;
  const closeServer = once(async () => server?.close());

  beforeAll(async () => {
    // Where an exporter, were one made, would send from the process's environment.
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${await collector.start()}/v1/traces`;
    server = await startTestServer({
      runner: {
        driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
        slots: 1,
        pollMs: 100,
        warmPool: 0,
      },
    });
    user = await signUp(server.url);
  }, 120_000);

  afterAll(async () => {
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    await closeServer();
    await collector.close();
  });

  it('sends nothing, and runs have no trace id', async () => {
    const repo = await pushedRepo(server.url, user, 'untraced');
    const { task } = await startTask(server.url, user, {
      repoId: repo.id,
      prompt: 'untraced',
      commands: ['echo untraced'],
    });
    expect((await waitForStatus(server.url, user, task.id, ['in_review', 'failed'])).status).toBe(
      'in_review',
    );
    const runs = await request<{ runs: Record<string, unknown>[] }>(
      server.url,
      'GET',
      `/api/v1/tasks/${task.id}/runs`,
      { token: user.token },
    );
    expect(runs.body.runs[0]).not.toHaveProperty('traceId');
    await closeServer();
    expect(collector.bodies).toEqual([]);
  }, 120_000);
});
