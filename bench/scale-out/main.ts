/**
 * @module bench/scale-out
 * The scale-out drill: two Lucid servers and two runner hosts on one PostgreSQL, each in its own
 * network namespace on this machine, behind a round-robin proxy. Fifty agent tasks (the built-in
 * agent, the fake LLM: each writes a file and finishes) are made through the proxy, a viewer on
 * each server follows every task's live stream, and mid-run one server and one runner host are
 * killed (SIGKILL, with everything they started). At the end it prints and checks: every task
 * reached review, how the runs spread over the runners, the runs re-queued, the events each viewer
 * received against those stored (no gap, no duplicate), each task's commit in git, wall time,
 * tasks a minute, p50/p95 task time and PostgreSQL connections. Exits non-zero if anything was
 * lost. Needs root (`ip netns`), Debian's PostgreSQL 15 binaries and bubblewrap; everything it
 * makes (namespaces, interfaces, the cluster, processes, files) is removed at the end, on failure
 * and on Ctrl-C.
 *
 * Usage: npm run bench -- scale-out [--tasks N] [--slots N] [--lease S] [--kill-at F]
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { startFakeLlm, type ScriptStep } from '../../packages/server/test/fakes/llm/index.ts';
import { makeNetwork, sh, Undo } from './host.ts';
import { connections, startPostgres } from './postgres.ts';
import { killTree, startLucid } from './processes.ts';
import { startProxy, startRelay } from './proxy.ts';
import { Viewer } from './viewer.ts';

const SUBNET = '10.231';
const VIP = `${SUBNET}.0.1`;
const PROXY_PORT = 8080;
const LLM_PORT = 8081;
const PG_PORT = 54390;
const LUCID_PORT = 3000;
const END = new Set(['in_review', 'failed', 'cancelled', 'done']);

const exec = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** The API through `base`, as a user with `token`; throws on an error status. */
function client(base: string, token?: string) {
  return async <T>(method: string, pathname: string, json?: unknown): Promise<T> => {
    const headers: Record<string, string> = { origin: base };
    if (token) headers.authorization = `Bearer ${token}`;
    if (json !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(base + pathname, {
      method,
      headers,
      body: json === undefined ? null : JSON.stringify(json),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${pathname}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
}

/**
 * Task `k`'s model answers: write `task-k.txt` (with some text first, streamed as drafts), then
 * finish once the tool's result is in. Each request picks by its last message, so a run started
 * again (its first runner killed) writes the file again in its new sandbox.
 */
function taskScript(k: number): ScriptStep[] {
  const marker = `[drill:${k}]`;
  const ours = (body: Record<string, unknown>) => JSON.stringify(body).includes(marker);
  const afterTool = (body: Record<string, unknown>) => {
    const messages = body.messages as { role: string; content: unknown }[] | undefined;
    const last = messages?.at(-1);
    return JSON.stringify(last?.content ?? '').includes('tool_result');
  };
  const write: ScriptStep = {
    when: (body) => ours(body) && !afterTool(body),
    text: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '),
    delayMs: 25,
    toolCalls: [{ name: 'write_file', input: { path: `task-${k}.txt`, content: `task ${k}\n` } }],
  };
  const finish: ScriptStep = {
    when: (body) => ours(body) && afterTool(body),
    toolCalls: [{ name: 'finish', input: { summary: `Wrote task-${k}.txt.` } }],
  };
  return [write, finish, write, finish, write, finish];
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      tasks: { type: 'string', default: '50' },
      slots: { type: 'string', default: '4' },
      lease: { type: 'string', default: '10' },
      'kill-at': { type: 'string', default: '0.3' },
    },
  });
  const taskCount = Number(values.tasks);
  const slots = Number(values.slots);
  const killAt = Math.max(1, Math.round(Number(values['kill-at']) * taskCount));
  if (process.getuid?.() !== 0) {
    console.error('The scale-out drill makes network namespaces: run it as root.');
    return 2;
  }

  const undo = new Undo();
  const interrupted = async (signal: string) => {
    console.error(`\n${signal}: cleaning up`);
    await undo.all();
    process.exit(130);
  };
  process.once('SIGINT', () => void interrupted('SIGINT'));
  process.once('SIGTERM', () => void interrupted('SIGTERM'));
  try {
    return await drill(undo, { taskCount, slots, lease: values.lease, killAt });
  } finally {
    await undo.all();
  }
}

async function drill(
  undo: Undo,
  {
    taskCount,
    slots,
    lease,
    killAt,
  }: { taskCount: number; slots: number; lease: string; killAt: number },
): Promise<number> {
  const work = await mkdtemp(path.join(tmpdir(), 'lucid-scale-out-'));
  undo.push('work dir', () => rm(work, { recursive: true, force: true }));
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

  const [serverA, serverB, runnerA, runnerB] = await makeNetwork(undo, {
    prefix: 'lso',
    subnet: SUBNET,
    vip: VIP,
    names: ['server-a', 'server-b', 'runner-a', 'runner-b'],
  });
  log(
    `namespaces ${[serverA, serverB, runnerA, runnerB].map((n) => `${n!.name} ${n!.address}`).join(', ')}`,
  );

  const pgUrl = await startPostgres(undo, {
    // Beside the work dir, which only root may enter.
    dir: `${work}-pg`,
    port: PG_PORT,
    listen: VIP,
    allow: `${SUBNET}.0.0/16`,
  });
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  undo.push('postgres client', () => admin.end());
  log(`PostgreSQL 15 on ${VIP}:${PG_PORT}`);

  const llm = await startFakeLlm();
  undo.push('fake LLM', () => llm.close());
  const relay = await startRelay(
    { host: VIP, port: LLM_PORT },
    { host: '127.0.0.1', port: Number(new URL(llm.url).port) },
  );
  undo.push('LLM relay', () => relay.close());

  const servers = [
    { name: 'server-a', ns: serverA!, url: `http://${serverA!.address}:${LUCID_PORT}` },
    { name: 'server-b', ns: serverB!, url: `http://${serverB!.address}:${LUCID_PORT}` },
  ];
  const proxy = await startProxy(
    servers.map((s) => ({ name: s.name, host: s.ns.address, port: LUCID_PORT })),
    { host: VIP, port: PROXY_PORT },
  );
  undo.push('proxy', () => proxy.close());
  const publicUrl = `http://${VIP}:${PROXY_PORT}`;

  // The git store both servers share: one directory on this machine (shared storage in production).
  const gitStore = path.join(work, 'git');
  await mkdir(gitStore);
  const encryptionKey = randomBytes(32).toString('hex');
  const children = new Map<string, ChildProcess>();
  undo.push('processes', async () => {
    for (const child of children.values()) await killTree(child);
  });
  for (const server of servers) {
    const dataDir = path.join(work, server.name);
    await mkdir(dataDir);
    await symlink(gitStore, path.join(dataDir, 'git'));
    children.set(
      server.name,
      startLucid(
        server.ns.name,
        ['serve'],
        {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dataDir,
          HOST: server.ns.address,
          PORT: String(LUCID_PORT),
          LUCID_PUBLIC_URL: publicUrl,
          LUCID_DATA_DIR: dataDir,
          DATABASE_URL: `postgres://postgres@${VIP}:${PG_PORT}/postgres`,
          ENCRYPTION_KEY: encryptionKey,
          LUCID_SIGNUP: 'open',
          LUCID_RATE_LIMIT_PER_MINUTE: '0',
          LUCID_RUNNER_SLOTS: '0',
          LUCID_RUN_LEASE_SECONDS: lease,
          LOG_LEVEL: 'warn',
          LUCID_LOG_FORMAT: 'json',
          ANTHROPIC_API_KEY: 'sk-ant-drill-0123456789',
          ANTHROPIC_BASE_URL: `http://${VIP}:${LLM_PORT}/v1`,
          LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
        },
        path.join(work, `${server.name}.log`),
      ),
    );
  }
  for (const server of servers) await waitFor(`${server.name} healthy`, () => healthy(server.url));
  log(`two servers on one PostgreSQL, proxy at ${publicUrl}`);

  // The user, the runner hosts' tokens and a repository with one commit, all through the proxy.
  const anonymous = client(publicUrl);
  const signUp = await fetch(`${publicUrl}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { origin: publicUrl, 'content-type': 'application/json' },
    body: JSON.stringify({
      email: 'drill@example.test',
      password: 'correct horse battery',
      name: 'Drill',
    }),
  });
  if (!signUp.ok) throw new Error(`sign-up: ${signUp.status} ${await signUp.text()}`);
  const cookie = signUp.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const tokenResponse = await fetch(`${publicUrl}/api/v1/tokens`, {
    method: 'POST',
    headers: { origin: publicUrl, cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'drill' }),
  });
  const { token } = (await tokenResponse.json()) as { token: string };
  void anonymous;
  const api = client(publicUrl, token);
  const repo = await api<{ id: string; cloneUrl: string }>('POST', '/api/v1/repos', {
    name: 'drill',
  });
  const local = path.join(work, 'local');
  await exec('git', ['init', '-q', '-b', 'main', local]);
  await writeFile(path.join(local, 'README.md'), '# drill\n');
  const git = (...args: string[]) =>
    exec('git', ['-C', local, '-c', 'user.name=d', '-c', 'user.email=d@d', ...args]);
  await git('add', '-A');
  await git('commit', '-qm', 'first');
  const push = new URL(repo.cloneUrl);
  push.username = 'lucid';
  push.password = token;
  await git('push', '-q', push.toString(), 'main');

  const runnerHosts = [
    { name: 'runner-a', ns: runnerA! },
    { name: 'runner-b', ns: runnerB! },
  ];
  for (const host of runnerHosts) {
    const { token: runnerToken } = await api<{ token: string }>('POST', '/api/v1/runners/tokens', {
      name: host.name,
    });
    const dataDir = path.join(work, host.name);
    await mkdir(dataDir);
    children.set(
      host.name,
      startLucid(
        host.ns.name,
        ['runner', '--server', publicUrl, '--slots', String(slots)],
        {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dataDir,
          LUCID_DATA_DIR: dataDir,
          LUCID_SANDBOX: 'local',
          LUCID_RUNNER_TOKEN: runnerToken,
        },
        path.join(work, `${host.name}.log`),
      ),
    );
  }
  type RunnerView = { id: string; name: string; status: string; currentRuns: string[] };
  const runners = async () =>
    (await api<{ runners: RunnerView[] }>('GET', '/api/v1/runners')).runners;
  await waitFor('both runners online', async () => {
    const online = (await runners()).filter((r) => r.status !== 'offline').map((r) => r.name);
    return runnerHosts.every((h) => online.includes(h.name));
  });
  log(`two runner hosts (local sandboxes, ${slots} slots each) through the proxy`);

  // PostgreSQL's connections, sampled while the drill runs.
  let peakConnections = 0;
  const peakByHost = new Map<string, number>();
  const sampler = setInterval(() => {
    void connections(admin).then(
      (byAddress) => {
        let total = 0;
        for (const [address, count] of byAddress) {
          total += count;
          const name = servers.find((s) => s.ns.address === address)?.name ?? address;
          peakByHost.set(name, Math.max(peakByHost.get(name) ?? 0, count));
        }
        peakConnections = Math.max(peakConnections, total);
      },
      () => undefined,
    );
  }, 250);
  undo.push('sampler', async () => clearInterval(sampler));

  llm.script(Array.from({ length: taskCount }, (_, k) => taskScript(k)).flat());
  const started = performance.now();
  const tasks: {
    k: number;
    id: string;
    branch: string;
    createdAt: number;
    endedAt?: number;
    status: string;
  }[] = [];
  const viewers: { task: number; server: string; viewer: Viewer }[] = [];
  for (let k = 0; k < taskCount; k++) {
    const { task } = await api<{
      task: { id: string; branch: string; createdAt: string; status: string };
    }>('POST', '/api/v1/tasks', {
      repoId: repo.id,
      prompt: `Write task-${k}.txt ${`[drill:${k}]`}`,
    });
    tasks.push({
      k,
      id: task.id,
      branch: task.branch,
      createdAt: Date.parse(task.createdAt),
      status: task.status,
    });
    for (const [index, server] of servers.entries()) {
      const order = index === 0 ? servers : [...servers].reverse();
      viewers.push({
        task: k,
        server: server.name,
        viewer: new Viewer(
          task.id,
          token,
          order.map((s) => ({ name: s.name, url: s.url })),
        ),
      });
    }
  }
  log(`${taskCount} tasks made through the proxy, a viewer on each server for each`);

  // Follow the tasks; kill server-a and runner-a once `killAt` have ended, runner-a busy.
  let killedAt: number | null = null;
  let heldByKilled: string[] = [];
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const { tasks: list } = await api<{
      tasks: { id: string; status: string; updatedAt: string }[];
    }>('GET', `/api/v1/tasks?repoId=${repo.id}&limit=200`);
    const byId = new Map(list.map((t) => [t.id, t]));
    for (const task of tasks) {
      const now = byId.get(task.id);
      if (!now) continue;
      task.status = now.status;
      if (END.has(now.status) && task.endedAt === undefined)
        task.endedAt = Date.parse(now.updatedAt);
    }
    const ended = tasks.filter((t) => t.endedAt !== undefined).length;
    if (killedAt === null && ended >= killAt) {
      const busy = (await runners()).find((r) => r.name === 'runner-a')?.currentRuns ?? [];
      if (busy.length > 0) {
        heldByKilled = busy;
        await Promise.all([
          killTree(children.get('server-a')!),
          killTree(children.get('runner-a')!),
        ]);
        killedAt = performance.now();
        log(
          `${ended} tasks ended: killed server-a and runner-a (SIGKILL), runner-a held ${busy.length} runs`,
        );
      }
    }
    if (ended === taskCount) break;
    if (Date.now() > deadline) {
      log('gave up waiting: 15 minutes');
      break;
    }
    await sleep(250);
  }
  const wallMs = performance.now() - started;
  log(`every task ended after ${(wallMs / 1000).toFixed(1)} s`);

  // What is stored, and what each viewer received.
  const alive = servers[1]!;
  const aliveApi = client(alive.url, token);
  const runnerNames = new Map((await runners()).map((r) => [r.id, r.name]));
  const runs: {
    task: number;
    status: string;
    attempt: number;
    runner: string;
    error: string | null;
  }[] = [];
  const stored = new Map<number, number[]>();
  for (const task of tasks) {
    const list = await aliveApi<{
      runs: {
        status: string;
        attempt: number;
        runnerId: string | null;
        errorCode: string | null;
        errorMessage: string | null;
      }[];
    }>('GET', `/api/v1/tasks/${task.id}/runs`);
    for (const r of list.runs) {
      runs.push({
        task: task.k,
        status: r.status,
        attempt: r.attempt,
        runner: runnerNames.get(r.runnerId ?? '') ?? 'none',
        error: r.errorCode ? `${r.errorCode}: ${r.errorMessage}` : null,
      });
    }
    const { events } = await aliveApi<{ events: { seq: number }[] }>(
      'GET',
      `/api/v1/tasks/${task.id}/events`,
    );
    stored.set(
      task.k,
      events.map((e) => e.seq),
    );
  }
  await waitFor(
    'viewers caught up',
    async () => viewers.every((v) => v.viewer.lastSeq >= Math.max(...(stored.get(v.task) ?? [0]))),
    30_000,
  ).catch(() => log('some viewers never caught up (counted as gaps below)'));
  await Promise.all(viewers.map((v) => v.viewer.close()));
  clearInterval(sampler);

  // Each task's commit: its branch in the shared git store holds its file.
  let committed = 0;
  const bare = path.join(gitStore, `${repo.id}.git`);
  for (const task of tasks) {
    const shown = await sh('git', [
      '--git-dir',
      bare,
      'show',
      `${task.branch}:task-${task.k}.txt`,
    ]).catch(() => '');
    if (shown === `task ${task.k}\n`) committed += 1;
  }

  // Figures.
  const inReview = tasks.filter((t) => t.status === 'in_review').length;
  const durations = tasks
    .filter((t) => t.endedAt !== undefined)
    .map((t) => t.endedAt! - t.createdAt);
  const spread = new Map<string, number>();
  for (const r of runs.filter((r) => r.status === 'succeeded'))
    spread.set(r.runner, (spread.get(r.runner) ?? 0) + 1);
  const interruptedRuns = runs.filter((r) => r.status === 'interrupted');
  const requeued = runs.filter((r) => r.attempt > 1);
  const requeuedTasks = new Set(requeued.map((r) => r.task));
  // Every interrupted run was followed by a new attempt of its task.
  const notRequeued = interruptedRuns.filter(
    (i) => !runs.some((r) => r.task === i.task && r.attempt > i.attempt),
  );
  const viewerRows = servers.map((server) => {
    const ours = viewers.filter((v) => v.server === server.name);
    let received = 0;
    let expected = 0;
    let gaps = 0;
    let duplicates = 0;
    let reconnected = 0;
    for (const { task, viewer } of ours) {
      const seqs = stored.get(task) ?? [];
      expected += seqs.length;
      for (const seq of seqs) {
        const times = viewer.seen.seqs.get(seq) ?? 0;
        if (times === 0) gaps += 1;
        if (times > 1) duplicates += times - 1;
        received += times;
      }
      if (viewer.seen.connections > 1) reconnected += 1;
    }
    return {
      server: server.name,
      received,
      expected,
      gaps,
      duplicates,
      reconnected,
      viewers: ours.length,
    };
  });

  console.log('');
  console.log(
    `scale-out drill: ${taskCount} tasks, 2 servers, 2 runner hosts × ${slots} slots, one PostgreSQL`,
  );
  console.log(`machine: ${await machine()}`);
  console.log('');
  console.log(
    `tasks in review                 ${inReview} of ${taskCount}${taskCount - inReview ? ` (${describe(tasks)})` : ''}`,
  );
  console.log(`commits on their branches       ${committed} of ${taskCount}`);
  console.log(
    `runs succeeded, by runner       ${[...spread].map(([n, c]) => `${n} ${c}`).join(', ')}`,
  );
  console.log(
    `killed mid-run                  server-a and runner-a ${killedAt === null ? 'never (runner-a idle)' : `at ${((killedAt - started) / 1000).toFixed(1)} s, runner-a holding ${heldByKilled.length} runs`}`,
  );
  console.log(
    `runs interrupted → re-queued    ${interruptedRuns.length} → ${requeued.length} (tasks ${[...requeuedTasks].sort((a, b) => a - b).join(', ') || 'none'})${notRequeued.length ? `; ${notRequeued.length} never re-queued` : ''}`,
  );
  for (const row of viewerRows) {
    console.log(
      `viewers first on ${row.server}       ${row.received} events received of ${row.expected} stored; gaps ${row.gaps}, duplicates ${row.duplicates}; ${row.reconnected} of ${row.viewers} reconnected`,
    );
  }
  console.log(
    `proxy                           ${[...proxy.stats.answered].map(([n, c]) => `${n} ${c}`).join(', ')} requests; ${proxy.stats.failovers} sent on after a refusal, ${proxy.stats.cut} cut by the kill, ${proxy.stats.refused} refused`,
  );
  console.log(
    `wall time                       ${(wallMs / 1000).toFixed(1)} s (${((taskCount / wallMs) * 60_000).toFixed(1)} tasks/minute)`,
  );
  console.log(
    `task time, created → ended      p50 ${(percentile(durations, 50) / 1000).toFixed(1)} s, p95 ${(percentile(durations, 95) / 1000).toFixed(1)} s`,
  );
  console.log(
    `PostgreSQL connections, peak    ${peakConnections} (${[...peakByHost].map(([n, c]) => `${n} ${c}`).join(', ')})`,
  );

  const lost =
    inReview < taskCount ||
    committed < taskCount ||
    viewerRows.some((r) => r.gaps > 0 || r.duplicates > 0) ||
    notRequeued.length > 0;
  for (const r of runs.filter((r) => r.status === 'failed')) {
    console.log(`  task ${r.task}, attempt ${r.attempt} on ${r.runner} failed: ${r.error}`);
  }
  console.log('');
  console.log(lost ? 'LOST: see above' : 'nothing lost');
  if (lost) console.log(`logs kept in ${await keepLogs(work)}`);
  return lost ? 1 : 0;
}

/** Polls `check` every 200 ms until it holds; throws after `timeoutMs`. */
async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function healthy(url: string): Promise<boolean> {
  const response = await fetch(`${url}/healthz`);
  return response.ok;
}

function describe(tasks: { status: string }[]): string {
  const counts = new Map<string, number>();
  for (const t of tasks)
    if (t.status !== 'in_review') counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  return [...counts].map(([s, c]) => `${c} ${s}`).join(', ');
}

async function machine(): Promise<string> {
  const cpus = (await sh('nproc', [])).trim();
  const load = (await sh('cat', ['/proc/loadavg'])).split(' ').slice(0, 3).join(' ');
  return `${cpus} cores, load average ${load}, Node ${process.version}`;
}

/** Copies the processes' logs out of the work dir (which is removed) and says where. */
async function keepLogs(work: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lucid-scale-out-logs-'));
  await sh('sh', ['-c', `cp ${work}/*.log ${work}-pg/log ${dir}/ 2>/dev/null || true`]);
  return dir;
}
