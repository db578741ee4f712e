/**
 * @module bench/start
 * How soon a new task's agent is at work: from the task's `createdAt` to its first model request
 * with tools (which leaves while the workspace is made ready) and its first tool call (which waits
 * for it), and every phase between, as the product records them on the run (`phases` in
 * `GET /tasks/{id}/runs`). Lucid runs in this process on a new embedded database with its own
 * runner on the docker driver and a warm pool; the model is the scripted fake (one `bash` call of
 * `true`, then a text answer); the repository has three commits. Tasks go through the real API,
 * first one after another (each started once the one before has ended), then all at once. The
 * reference, measured in the same run, is bench/sandbox's warm claim: a pooled sandbox taken until
 * the first output of a command in it. With `--large-mb M`, the same tasks then run one after
 * another on a second repository of M megabytes in `--large-files` files (5,000 by default), to show
 * what a large repository adds to the warm start.
 *
 * Usage: npm run bench -- start [--tasks N] [--warm-pool N] [--image IMAGE] [--large-mb M] [--large-files N]
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import Docker from 'dockerode';
import { loadConfig } from '../../packages/server/src/config.ts';
import { DockerDriver } from '../../packages/server/src/sandbox/docker/docker-driver.ts';
import { pingEngine } from '../../packages/server/src/sandbox/docker/engine.ts';
import type { SandboxSpec } from '../../packages/server/src/sandbox/driver.ts';
import { WarmPool } from '../../packages/server/src/sandbox/warm-pool.ts';
import type { Runner } from '../../packages/server/src/runner/runner.ts';
import { startServer } from '../../packages/server/src/server.ts';
import { offersTools, startFakeLlm } from '../../packages/server/test/fakes/llm/index.ts';
import { table } from '../lib/stats.ts';
import { percentile } from '../sandbox/percentile.ts';

interface Phase {
  phase: string;
  at: string;
  ms: number;
}

/** One task's start: milliseconds from the task's `createdAt` to each phase its run recorded. */
type Sample = Record<string, number>;

const PHASES = [
  ['queued', 'API → queued'],
  ['claimed', '→ claimed'],
  ['sandboxReady', '→ sandbox ready'],
  ['workspaceReady', '→ workspace ready'],
  ['modelRequestSent', '→ first model request sent'],
  ['firstToolCall', '→ first tool call'],
] as const;

const exec = promisify(execFile);

function optionsFrom(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      tasks: { type: 'string' },
      'warm-pool': { type: 'string' },
      image: { type: 'string' },
      'large-mb': { type: 'string' },
      'large-files': { type: 'string' },
    },
  });
  const largeMb = Number(values['large-mb'] ?? 0);
  const largeFiles = Number(values['large-files'] ?? 5000);
  if (!(largeMb >= 0)) throw new Error('--large-mb must be 0 or more');
  if (!Number.isInteger(largeFiles) || largeFiles < 1) {
    throw new Error('--large-files must be at least 1');
  }
  const tasks = Number(values.tasks ?? process.env.BENCH_ITERATIONS ?? 10);
  const warmPool = Number(values['warm-pool'] ?? 2);
  if (!Number.isInteger(tasks) || tasks < 1) throw new Error('--tasks must be at least 1');
  if (!Number.isInteger(warmPool) || warmPool < 0) throw new Error('--warm-pool must be 0 or more');
  return {
    tasks,
    warmPool,
    image: values.image ?? 'lucid-sandbox:latest',
    large: largeMb > 0 ? { bytes: Math.round(largeMb * 1024 * 1024), files: largeFiles } : null,
  };
}

export async function run(args: string[]): Promise<number> {
  const options = optionsFrom(args);
  const driver = new DockerDriver({ image: options.image });
  if (!(await pingEngine(new Docker(), 2000))) {
    console.error('No Docker engine answers: the start benchmark needs one.');
    return 1;
  }
  const llm = await startFakeLlm();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-bench-start-'));
  const server = await startServer({
    config: loadConfig({
      PORT: String(20_000 + Math.floor(Math.random() * 20_000)),
      HOST: '127.0.0.1',
      LUCID_DATA_DIR: dataDir,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      ANTHROPIC_API_KEY: 'sk-ant-bench-0123456789',
      ANTHROPIC_BASE_URL: `${llm.url}/v1`,
      LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      // The benchmark polls each task's phases every 25 ms until its run ends.
      LUCID_RATE_LIMIT_PER_MINUTE: '0',
    }),
    authRateLimit: false,
    runner: { driver, slots: options.tasks, warmPool: options.warmPool },
  });
  try {
    const api = await signedIn(server.url);
    const repoId = await repoWithCommits(api, dataDir, 3);
    const startTask = async (onRepo = repoId): Promise<Sample> => {
      llm.script([
        {
          when: (body) => offersTools(body) && turns(body) === 1,
          toolCalls: [{ name: 'bash', input: { command: 'true' } }],
        },
        { when: (body) => offersTools(body) && turns(body) > 1, text: 'Done.' },
      ]);
      const { task } = await api.call<{ task: { id: string; createdAt: string } }>(
        'POST',
        '/api/v1/tasks',
        { repoId: onRepo, prompt: 'Run true.' },
      );
      const phases = await phasesOnceEnded(api, task.id);
      const created = Date.parse(task.createdAt);
      return Object.fromEntries(phases.map((p) => [p.phase, Date.parse(p.at) - created]));
    };

    await startTask(); // warm-up: the code's first run, not counted
    const sequential: Sample[] = [];
    for (let i = 0; i < options.tasks; i++) {
      await waitForPool(options.warmPool, server, repoId);
      sequential.push(await startTask());
    }
    await waitForPool(options.warmPool, server, repoId);
    const concurrent = await Promise.all(Array.from({ length: options.tasks }, () => startTask()));
    const large: Sample[] = [];
    if (options.large) {
      const largeId = await largeRepo(api, dataDir, options.large);
      await startTask(largeId); // its first task makes the repository active: its pool fills
      for (let i = 0; i < options.tasks; i++) {
        await waitForPool(options.warmPool, server, largeId);
        large.push(await startTask(largeId));
      }
    }
    const reference = await warmClaims(driver, 5);

    console.log(
      `\n${options.tasks} tasks, warm pool of ${options.warmPool}, docker driver; ms from the task's createdAt\n`,
    );
    console.log(report('one after another', sequential));
    console.log();
    console.log(report(`${options.tasks} at once`, concurrent));
    if (options.large) {
      const mb = (options.large.bytes / 1024 / 1024).toFixed(0);
      console.log();
      console.log(
        report(`${mb} MB, ${options.large.files} files, one after another`, large, sequential),
      );
    }
    const ref = percentile(reference, 50);
    console.log(
      `\nreference: warm claim (take a pooled sandbox → first output), p50 ${ref.toFixed(0)} ms`,
    );
    const p50 = (samples: Sample[], phase: string) =>
      percentile(samples.map((s) => s[phase] ?? NaN).filter(Number.isFinite), 50);
    for (const [phase, name] of [
      ['modelRequestSent', 'first model request'],
      ['firstToolCall', 'first tool call'],
    ] as const) {
      console.log(
        `created → ${name}, p50: one after another ${p50(sequential, phase).toFixed(0)} ms ` +
          `(${(p50(sequential, phase) / ref).toFixed(1)}× the warm claim), ` +
          `at once ${p50(concurrent, phase).toFixed(0)} ms`,
      );
    }
    console.log('targets: p50 ≤ 300 ms, p95 ≤ 600 ms warm; ≤ 800 ms cold; 10 at once p95 ≤ 1.5 s');
    return 0;
  } finally {
    await server.close();
    await llm.close();
    for (const info of await driver.list({ 'lucid.runner': await runnerId(dataDir) })) {
      await (await driver.get(info.id))?.remove();
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** How many turns a model request carries (1: the prompt alone, the run's first request). */
function turns(body: Record<string, unknown>): number {
  return Array.isArray(body.messages) ? body.messages.length : 0;
}

/** Each phase's p50 and p95; beside a `base`, what the samples add to its p50. */
function report(title: string, samples: Sample[], base?: Sample[]): string {
  const rows = [[title, 'p50', 'p95', 'n', ...(base ? ['p50 added'] : [])]];
  const valuesOf = (from: Sample[], phase: string) =>
    from.map((s) => s[phase]).filter((v): v is number => v !== undefined);
  for (const [phase, label] of PHASES) {
    const values = valuesOf(samples, phase);
    if (values.length === 0) continue;
    const p50 = percentile(values, 50);
    const baseValues = base ? valuesOf(base, phase) : [];
    rows.push([
      label,
      p50.toFixed(0),
      percentile(values, 95).toFixed(0),
      String(values.length),
      ...(base
        ? [baseValues.length ? `${(p50 - percentile(baseValues, 50)).toFixed(0)}` : '–']
        : []),
    ]);
  }
  return table(rows);
}

interface Api {
  call<T>(method: string, pathname: string, json?: unknown): Promise<T>;
  token: string;
}

async function signedIn(url: string): Promise<Api> {
  const signUp = await fetch(`${url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { origin: url, 'content-type': 'application/json' },
    body: JSON.stringify({
      email: 'bench@example.test',
      password: 'correct horse battery',
      name: 'Bench',
    }),
  });
  if (!signUp.ok) throw new Error(`sign-up: ${signUp.status} ${await signUp.text()}`);
  const cookie = signUp.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const made = await fetch(`${url}/api/v1/tokens`, {
    method: 'POST',
    headers: { origin: url, cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench' }),
  });
  const { token } = (await made.json()) as { token: string };
  return {
    token,
    async call<T>(method: string, pathname: string, json?: unknown): Promise<T> {
      const response = await fetch(url + pathname, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: json === undefined ? null : JSON.stringify(json),
      });
      if (!response.ok) {
        throw new Error(`${pathname}: ${response.status} ${await response.text()}`);
      }
      return (await response.json()) as T;
    },
  };
}

/** A repository on Lucid's git server whose main branch has `commits` commits. */
async function repoWithCommits(api: Api, dataDir: string, commits: number): Promise<string> {
  const repo = await api.call<{ id: string; cloneUrl: string }>('POST', '/api/v1/repos', {
    name: 'start',
  });
  const local = path.join(dataDir, 'local');
  await exec('git', ['init', '-q', '-b', 'main', local]);
  const git = (...args: string[]) =>
    exec('git', ['-C', local, '-c', 'user.name=b', '-c', 'user.email=b@b', ...args]);
  for (let i = 1; i <= commits; i++) {
    await writeFile(path.join(local, 'README.md'), `# start\n\nversion ${i}\n`);
    await writeFile(path.join(local, `file-${i}.txt`), `${i}\n`);
    await git('add', '-A');
    await git('commit', '-qm', `commit ${i}`);
  }
  const push = new URL(repo.cloneUrl);
  push.username = 'lucid';
  push.password = api.token;
  await git('push', '-q', push.toString(), 'main');
  return repo.id;
}

/**
 * A repository on Lucid's git server of about `bytes` in `files` files of random (incompressible)
 * content spread over folders of 100, in one commit.
 */
async function largeRepo(
  api: Api,
  dataDir: string,
  { bytes, files }: { bytes: number; files: number },
): Promise<string> {
  const repo = await api.call<{ id: string; cloneUrl: string }>('POST', '/api/v1/repos', {
    name: 'start-large',
  });
  const local = path.join(dataDir, 'local-large');
  await exec('git', ['init', '-q', '-b', 'main', local]);
  const size = Math.max(1, Math.floor(bytes / files));
  for (let i = 0; i < files; i++) {
    const folder = path.join(local, `dir-${Math.floor(i / 100)}`);
    if (i % 100 === 0) await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, `file-${i}.bin`), randomBytes(size));
  }
  await writeFile(path.join(local, 'README.md'), '# start-large\n');
  const git = (...args: string[]) =>
    exec('git', ['-C', local, '-c', 'user.name=b', '-c', 'user.email=b@b', ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
  await git('add', '-A');
  await git('commit', '-qm', 'a large tree');
  const push = new URL(repo.cloneUrl);
  push.username = 'lucid';
  push.password = api.token;
  await git('push', '-q', push.toString(), 'main');
  return repo.id;
}

/** The phases of the task's run, once it has ended. */
async function phasesOnceEnded(api: Api, taskId: string): Promise<Phase[]> {
  for (;;) {
    const { runs } = await api.call<{ runs: { status: string; phases: Phase[] }[] }>(
      'GET',
      `/api/v1/tasks/${taskId}/runs`,
    );
    const last = runs.at(-1);
    if (last && !['queued', 'running'].includes(last.status)) return last.phases;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Waits until the runner's warm pools are full again after a take: `size` sandboxes for any task,
 * and as many holding the repository.
 */
async function waitForPool(
  size: number,
  server: { runner: Runner | undefined },
  repoId: string,
): Promise<void> {
  const full = () =>
    (server.runner?.pooledSandboxes.size ?? 0) >= 2 * size &&
    (server.runner?.pooledFor(repoId).size ?? 0) >= size;
  while (!full()) await new Promise((resolve) => setTimeout(resolve, 25));
}

/** The reference: bench/sandbox's warm claim, `samples` times. */
async function warmClaims(driver: DockerDriver, samples: number): Promise<number[]> {
  const spec: SandboxSpec = {
    labels: { 'lucid.bench': 'start' },
    limits: { memoryBytes: 2048 * 1024 * 1024, cpus: 2, pids: 512 },
    network: 'bridge',
  };
  const pool = new WarmPool({ driver, spec, size: 1, onError: (e) => console.error(e) });
  pool.fill();
  const times: number[] = [];
  try {
    for (let i = 0; i <= samples; i++) {
      while (pool.ids.size === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const started = performance.now();
      const sandbox = pool.take();
      if (!sandbox) throw new Error('the warm pool had no sandbox');
      await sandbox.exec(['true']);
      if (i > 0) times.push(performance.now() - started);
      await sandbox.remove();
    }
  } finally {
    await pool.drain();
  }
  return times;
}

async function runnerId(dataDir: string): Promise<string> {
  return (await readFile(path.join(dataDir, 'runner-id'), 'utf8').catch(() => '')).trim();
}
