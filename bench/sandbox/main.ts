/**
 * @module bench/sandbox
 * How fast sandboxes start and run commands on the docker driver, and what an idle one costs:
 * - cold start: `create()` until the first output of a command in the new sandbox;
 * - warm claim: take a started sandbox from the runner's warm pool until the first output of a
 *   command in it (the pool refills in the background between samples, not counted);
 * - per-command overhead: `true` in the persistent shell against one exec per command;
 * - idle memory: the container's cgroup memory (the Engine API's stats, less inactive page cache)
 *   of idle sandboxes;
 * - throughput: sandboxes started (to first output) per minute, a few at once.
 *
 * Usage: npm run bench -- sandbox [--iterations N] [--commands N] [--parallel N] [--image IMAGE]
 */
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import type { Sandbox, SandboxSpec } from '../../packages/server/src/sandbox/driver.ts';
import { DockerDriver } from '../../packages/server/src/sandbox/docker/docker-driver.ts';
import { pingEngine } from '../../packages/server/src/sandbox/docker/engine.ts';
import { WarmPool } from '../../packages/server/src/sandbox/warm-pool.ts';
import { summarize, table } from '../lib/stats.ts';
import { percentile } from './percentile.ts';
import { shimMemory } from './shim-memory.ts';

interface Options {
  iterations: number;
  commands: number;
  parallel: number;
  image: string;
}

const MiB = 1024 * 1024;
const SPEC: SandboxSpec = {
  labels: { 'lucid.bench': 'sandbox' },
  limits: { memoryBytes: 2048 * MiB, cpus: 2, pids: 512 },
  network: 'bridge',
};

function optionsFrom(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      iterations: { type: 'string' },
      commands: { type: 'string' },
      parallel: { type: 'string' },
      image: { type: 'string' },
    },
  });
  const count = (name: string, text: string | undefined, fallback: number) => {
    const value = Number(text ?? fallback);
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`--${name} must be a whole number of at least 1 (got ${text})`);
    }
    return value;
  };
  return {
    iterations: count('iterations', values.iterations ?? process.env.BENCH_ITERATIONS, 10),
    commands: count('commands', values.commands, 200),
    parallel: count('parallel', values.parallel, 4),
    image: values.image ?? 'lucid-sandbox:latest',
  };
}

/** Creates a sandbox and waits for the first output of a command in it. */
async function coldStart(driver: DockerDriver): Promise<{ sandbox: Sandbox; ms: number }> {
  const started = performance.now();
  const sandbox = await driver.create(SPEC);
  let first = 0;
  await sandbox.exec(['echo', 'ready'], {
    onOutput: () => (first ||= performance.now()),
  });
  return { sandbox, ms: first - started };
}

/** Takes a sandbox from a warm pool and waits for the first output of a command in it. */
async function warmClaim(pool: WarmPool): Promise<{ sandbox: Sandbox; ms: number }> {
  while (pool.ids.size === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const started = performance.now();
  const sandbox = pool.take();
  if (!sandbox) throw new Error('the warm pool had no sandbox');
  let first = 0;
  await sandbox.exec(['echo', 'ready'], {
    onOutput: () => (first ||= performance.now()),
  });
  return { sandbox, ms: first - started };
}

async function timed(samples: number[], action: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await action();
  samples.push(performance.now() - started);
}

/** The container's memory as `docker stats` shows it: usage less the inactive page cache. */
async function memoryOf(docker: Docker, id: string): Promise<number> {
  const stats = await docker.getContainer(id).stats({ stream: false, 'one-shot': true });
  const memory = stats.memory_stats as { usage?: number; stats?: Record<string, number> };
  const inactive = memory.stats?.total_inactive_file ?? memory.stats?.inactive_file ?? 0;
  return (memory.usage ?? 0) - inactive;
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;

function row(name: string, samples: number[], target: string, goal?: number): string[] {
  const { p50 } = summarize(samples);
  const verdict = goal === undefined ? '' : p50 <= goal ? 'met' : 'missed';
  return [name, ms(p50), ms(percentile(samples, 95)), String(samples.length), target, verdict];
}

export async function run(args: string[]): Promise<number> {
  const options = optionsFrom(args);
  const docker = new Docker();
  const engine = await pingEngine(docker, 2000);
  if (!engine) {
    console.error('No Docker engine answers: start dockerd, or set DOCKER_HOST.');
    return 1;
  }
  if (
    !(await docker
      .getImage(options.image)
      .inspect()
      .then(
        () => true,
        () => false,
      ))
  ) {
    console.error(`The image ${options.image} is missing; build it with: lucid sandbox build`);
    return 1;
  }
  const driver = new DockerDriver({ docker, image: options.image });
  console.log(
    `Docker engine ${engine.version} at ${engine.address}; image ${options.image}; ` +
      `${options.iterations} cold starts, ${options.commands} commands each way, ` +
      `${options.parallel} sandboxes at once for throughput`,
  );

  const sandboxes: Sandbox[] = [];
  try {
    // Warm-up, not counted: the first container after a while pays for cold engine caches.
    const warmUp = await coldStart(driver);
    await warmUp.sandbox.remove();

    const cold: number[] = [];
    for (let i = 0; i < options.iterations; i++) {
      const { sandbox, ms: elapsed } = await coldStart(driver);
      cold.push(elapsed);
      sandboxes.push(sandbox);
    }

    const pool = new WarmPool({
      driver,
      spec: SPEC,
      size: 1,
      onError: (error) => console.error(`warm pool: ${String(error)}`),
    });
    pool.fill();
    const warm: number[] = [];
    for (let i = 0; i < options.iterations; i++) {
      const { sandbox, ms: elapsed } = await warmClaim(pool);
      warm.push(elapsed);
      sandboxes.push(sandbox);
    }
    await pool.drain();

    const [probe] = sandboxes;
    if (!probe) throw new Error('no sandbox was started');
    const shell = await probe.shell();
    const viaShell: number[] = [];
    const viaExec: number[] = [];
    for (let i = 0; i < 10; i++) {
      await shell.run('true');
      await probe.exec(['true']);
    }
    for (let i = 0; i < options.commands; i++) {
      await timed(viaShell, () => shell.run('true'));
      await timed(viaExec, () => probe.exec(['true']));
    }

    // Idle: nothing ran in these sandboxes since their first command but a moment ago.
    const idle = sandboxes.slice(1);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const memory = await Promise.all(idle.map((sandbox) => memoryOf(docker, sandbox.id)));
    const shims = idle
      .map((sandbox) => shimMemory(sandbox.id))
      .filter((bytes): bytes is number => bytes !== null);

    await Promise.all(sandboxes.splice(0).map((sandbox) => sandbox.remove()));

    const batch = options.parallel * 3;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.parallel }, async () => {
        while (next < batch) {
          next++;
          sandboxes.push((await coldStart(driver)).sandbox);
        }
      }),
    );
    const perMinute = (batch / (performance.now() - started)) * 60_000;

    console.log('');
    console.log(
      table([
        ['measure', 'p50', 'p95', 'n', 'target', ''],
        row('cold start: create → first output', cold, 'p50 ≤ 400 ms', 400),
        row('warm claim: take pooled → first output', warm, 'p50 ≤ 100 ms', 100),
        row('command in the persistent shell (true)', viaShell, 'p50 ≤ 2 ms', 2),
        row('command as one exec each (true)', viaExec, '(reference)'),
      ]),
    );
    const memorySummary = summarize(memory);
    console.log('');
    console.log(
      `Shell overhead: ${ms(summarize(viaShell).p50)} per command, against ` +
        `${ms(summarize(viaExec).p50)} for an exec each (${(summarize(viaExec).p50 / summarize(viaShell).p50).toFixed(0)}× more).`,
    );
    console.log(
      `Idle memory per sandbox (${memory.length} sandboxes, container cgroup less inactive cache): ` +
        `p50 ${(memorySummary.p50 / MiB).toFixed(2)} MiB, max ${(memorySummary.max / MiB).toFixed(2)} MiB ` +
        `(target ≤ 6 MiB: ${memorySummary.p50 <= 6 * MiB ? 'met' : 'missed'}).`,
    );
    console.log(
      shims.length > 0
        ? `Engine side, outside the container's cgroup: containerd-shim PSS p50 ` +
            `${(summarize(shims).p50 / MiB).toFixed(2)} MiB per sandbox.`
        : 'Engine side: the containerd-shim of each sandbox is not visible here (remote engine?).',
    );
    console.log(
      `Throughput: ${batch} sandboxes started to first output, ${options.parallel} at once: ` +
        `${perMinute.toFixed(0)} per minute.`,
    );
    return 0;
  } finally {
    await Promise.all(sandboxes.map((sandbox) => sandbox.remove().catch(() => undefined)));
  }
}
