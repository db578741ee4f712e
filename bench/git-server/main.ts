/**
 * @module bench/git-server
 * How fast Lucid's git server pushes and clones, against raw `git http-backend` behind a minimal
 * CGI wrapper. Lucid runs in this process on its embedded database; the reference runs in a small
 * process of its own by default, as such a server would, or in this one with
 * `--reference in-process`. Each round gives both an empty repository; the real git client pushes
 * every branch of a generated repository into it, then clones it back (bare). Rounds alternate
 * which server goes first; one warm-up round is not counted.
 *
 * Usage: npm run bench -- git-server [--iterations N] [--reference process|in-process]
 * (or BENCH_ITERATIONS=N)
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runScript } from '../lib/child.ts';
import { currentRss, peakRss, resetPeakRss } from '../lib/memory.ts';
import { summarize, table } from '../lib/stats.ts';
import { gitOk, spawnCost, timedGit } from './git.ts';
import { startLucid, type LucidGitServer } from './lucid.ts';
import { spawnRawGitServer, startRawGitServer, type RawGitServer } from './raw-server.ts';
import { cachedTestRepo, defaultCacheDir, type TestRepo } from './test-repo.ts';

const TARGET_RATIO = 0.95;
/** (max - min) / p50 above which a series is flagged as noisy. */
const NOISY_SPREAD = 0.25;

type Target = 'lucid' | 'raw';
type Operation = 'push' | 'clone';

interface Options {
  iterations: number;
  /** Where the reference server runs. */
  reference: 'process' | 'in-process';
}

interface Samples {
  push: number[];
  clone: number[];
  /** Highest VmHWM of this process seen while this server pushed and cloned. */
  peakRss: number | null;
  /** Most this process's resident size grew over its level at the start of one push and clone. */
  growth: number | null;
}

interface Diagnostics {
  rssBeforeStart: number | null;
  rssAfterStart: number | null;
  /** False when VmHWM could not be reset, so the peaks cover the whole run. */
  perPhasePeak: boolean;
  spawnBeforeStart: number;
  /** Measured after the warm-up round. */
  spawnAfterStart: number;
  /** The reference's own peak RSS, when it runs in a process of its own. */
  referencePeakRss: number | null;
  referenceSpawn: number | null;
}

function optionsFrom(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: { iterations: { type: 'string' }, reference: { type: 'string' } },
  });
  const text = values.iterations ?? process.env.BENCH_ITERATIONS ?? '5';
  const iterations = Number(text);
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new Error(`--iterations must be a whole number of at least 1 (got ${text})`);
  }
  const reference = values.reference ?? 'process';
  if (reference !== 'process' && reference !== 'in-process') {
    throw new Error(`--reference must be "process" or "in-process" (got ${reference})`);
  }
  return { iterations, reference };
}

const script = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** The cached test repository, built first in a child process when it is missing. */
async function testRepo(): Promise<TestRepo> {
  const cached = await cachedTestRepo(defaultCacheDir);
  if (cached) return cached;
  console.log('Generating the test repository (cached in bench/.work for later runs)...');
  await runScript(script('./generate.ts'));
  const built = await cachedTestRepo(defaultCacheDir);
  if (!built) throw new Error('generating the test repository left nothing in the cache');
  return { ...built, reused: false };
}

const mb = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);
const ms = (value: number) => value.toFixed(0);
const size = (value: number | null) => (value === null ? 'n/a' : `${mb(value)} MB`);

export async function run(args: string[]): Promise<number> {
  const options = optionsFrom(args);
  const repo = await testRepo();
  console.log(
    `Test repository: ${repo.files} files, ${mb(repo.bytes)} MB of content at main, ` +
      `${repo.commits} commits on ${repo.branches.length} branches, ${mb(repo.packBytes)} MB packed` +
      (repo.reused ? ' (cached)' : ` (built in ${repo.buildSeconds} s)`),
  );
  const refsFormat = '--format=%(objectname) %(refname)';
  const sourceRefs = await gitOk(['for-each-ref', refsFormat], repo.path);

  const work = await mkdtemp(path.join(tmpdir(), 'lucid-bench-git-'));
  const home = path.join(work, 'home');
  const rawRoot = path.join(work, 'raw');
  await mkdir(home);
  await mkdir(rawRoot);
  // Lucid runs git http-backend with this process's HOME: give both servers the same empty one.
  const previousHome = process.env.HOME;
  process.env.HOME = home;

  let lucid: LucidGitServer | undefined;
  let raw: RawGitServer | undefined;
  try {
    const dataDir = path.join(work, 'lucid');
    const { token } = JSON.parse(await runScript(script('./lucid-setup.ts'), [dataDir])) as {
      token: string;
    };
    const rssBeforeStart = currentRss();
    const spawnBeforeStart = await spawnCost();
    lucid = await startLucid({ dataDir, token });
    const start = options.reference === 'process' ? spawnRawGitServer : startRawGitServer;
    raw = await start({ projectRoot: rawRoot, home });
    const servers = { lucid, raw };
    const emptyRepo = async (target: Target, name: string) => {
      if (target === 'lucid') {
        const created = await servers.lucid.createRepo(name);
        return { gitUrl: created.gitUrl, drop: () => servers.lucid.deleteRepo(created.id) };
      }
      const bare = path.join(rawRoot, `${name}.git`);
      await gitOk(['init', '--quiet', '--bare', bare]);
      await gitOk(['config', 'http.receivepack', 'true'], bare);
      return {
        gitUrl: `${servers.raw.url}/${name}.git`,
        drop: () => rm(bare, { recursive: true, force: true }),
      };
    };
    const diagnostics: Diagnostics = {
      rssBeforeStart,
      rssAfterStart: currentRss(),
      perPhasePeak: resetPeakRss(),
      spawnBeforeStart,
      spawnAfterStart: 0,
      referencePeakRss: null,
      referenceSpawn: raw.spawnMs,
    };
    const samples: Record<Target, Samples> = {
      lucid: { push: [], clone: [], peakRss: null, growth: null },
      raw: { push: [], clone: [], peakRss: null, growth: null },
    };

    console.log(
      `Lucid at ${lucid.url} (in this process, reopening its data dir), raw git http-backend at ${raw.url} ` +
        `(${raw.pid === null ? 'in this process' : `process ${raw.pid}`}); ` +
        `1 warm-up round + ${options.iterations} measured; push --all, then clone --bare`,
    );
    for (let round = 0; round <= options.iterations; round++) {
      const order: Target[] = round % 2 === 0 ? ['lucid', 'raw'] : ['raw', 'lucid'];
      const line: string[] = [];
      for (const target of order) {
        const { gitUrl, drop } = await emptyRepo(target, `bench-${round}`);
        const clone = path.join(work, `clone-${target}-${round}`);

        const rssBefore = currentRss();
        if (diagnostics.perPhasePeak) resetPeakRss();
        const push = await timedGit(['push', '--quiet', '--all', gitUrl], { cwd: repo.path, home });
        const cloned = await timedGit(['clone', '--quiet', '--bare', gitUrl, clone], { home });
        const peak = peakRss();

        if ((await gitOk(['for-each-ref', refsFormat], clone)) !== sourceRefs) {
          throw new Error(`the clone from ${target} differs from the source`);
        }
        await rm(clone, { recursive: true, force: true });
        await drop();

        line.push(`${target} push ${ms(push)} ms, clone ${ms(cloned)} ms`);
        if (round === 0) continue;
        const sample = samples[target];
        sample.push.push(push);
        sample.clone.push(cloned);
        if (peak !== null) {
          sample.peakRss = Math.max(sample.peakRss ?? 0, peak);
          if (diagnostics.perPhasePeak && rssBefore !== null) {
            sample.growth = Math.max(sample.growth ?? 0, peak - rssBefore);
          }
        }
      }
      console.log(`  ${round === 0 ? 'warm-up' : `round ${round}`}: ${line.join('; ')}`);
      if (round === 0) diagnostics.spawnAfterStart = await spawnCost();
    }

    if (raw.pid !== null) diagnostics.referencePeakRss = peakRss(raw.pid);
    report(samples, diagnostics);
  } finally {
    await lucid?.close().catch((error: unknown) => console.error('stopping Lucid:', error));
    await raw?.close();
    if (previousHome === undefined) delete process.env.HOME;
    else process.env.HOME = previousHome;
    await rm(work, { recursive: true, force: true });
  }
  return 0;
}

function report(samples: Record<Target, Samples>, diagnostics: Diagnostics): void {
  const rows: string[][] = [
    [
      'operation',
      'raw p50',
      'raw min',
      'raw max',
      'Lucid p50',
      'Lucid min',
      'Lucid max',
      'raw/Lucid',
      'target',
    ],
  ];
  let noisy = false;
  for (const operation of ['push', 'clone'] as Operation[]) {
    const r = summarize(samples.raw[operation]);
    const l = summarize(samples.lucid[operation]);
    noisy ||= [r, l].some((s) => (s.max - s.min) / s.p50 > NOISY_SPREAD);
    const ratio = r.p50 / l.p50;
    rows.push([
      `${operation} (ms)`,
      ms(r.p50),
      ms(r.min),
      ms(r.max),
      ms(l.p50),
      ms(l.min),
      ms(l.max),
      ratio.toFixed(3),
      ratio >= TARGET_RATIO ? 'target met' : 'target missed',
    ]);
  }
  console.log('');
  console.log(table(rows));
  console.log(
    `ratio = raw p50 / Lucid p50: 1 or more means Lucid is as fast; target ${TARGET_RATIO}`,
  );
  if (noisy) {
    console.log(
      `Some samples spread over more than ${NOISY_SPREAD * 100}% of their median: the machine ` +
        'was busy. Rerun, or raise --iterations, before reading much into a small difference.',
    );
  }
  console.log('');

  const inProcess = diagnostics.referencePeakRss === null && diagnostics.referenceSpawn === null;
  console.log(
    `Lucid's process (${inProcess ? 'shared with the reference and this driver' : 'shared with this driver'}): ` +
      `RSS ${size(diagnostics.rssBeforeStart)} before Lucid started, ` +
      `${size(diagnostics.rssAfterStart)} once it had started`,
  );
  const peakLine = (target: Target, label: string) => {
    const sample = samples[target];
    console.log(
      `  peak RSS (VmHWM) while ${label} served: ${size(sample.peakRss)} ` +
        `(at most +${size(sample.growth)} over the start of a push and clone)`,
    );
  };
  if (!diagnostics.perPhasePeak) {
    console.log(`  peak RSS (VmHWM) over the whole run: ${size(peakRss())}`);
  } else {
    peakLine('lucid', 'Lucid');
    if (inProcess) peakLine('raw', 'the reference');
  }
  if (!inProcess) {
    console.log(`Reference's own process: peak RSS (VmHWM) ${size(diagnostics.referencePeakRss)}`);
  }
  const reference =
    diagnostics.referenceSpawn === null
      ? ''
      : `; ${diagnostics.referenceSpawn.toFixed(1)} ms in the reference's process`;
  console.log(
    `spawn() of git blocks the event loop for ${diagnostics.spawnBeforeStart.toFixed(1)} ms in ` +
      `Lucid's process before it started, ${diagnostics.spawnAfterStart.toFixed(1)} ms while it runs` +
      reference,
  );
}
