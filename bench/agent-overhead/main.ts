/**
 * @module bench/agent-overhead
 * What the built-in agent's loop costs on its own. A scripted trajectory (N cheap commands, `true`
 * and `echo N` in turn, one per step, then a final answer) is played by the fake model server with
 * no delay, and run by the real `LucidAgent` through its port in a real sandbox: the local driver
 * (in bubblewrap when it is installed), and the docker driver when an engine answers and the image
 * is there. Per run it measures the wall time of `run()`, the model requests at the fake (arrival
 * to response written) and the commands at the shell; beside it, the same commands run straight
 * through the sandbox's persistent shell (the raw sandbox command cost). Lucid's own time is
 * wall − model − raw commands; the target is 5 ms per step or less.
 *
 * Usage: npm run bench -- agent-overhead [--iterations N] [--steps N] [--raw-rounds N]
 *        [--driver all|local|docker] [--image IMAGE]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { resolveModel } from '../../packages/server/src/llm/models.ts';
import type {
  Sandbox,
  SandboxDriver,
  SandboxSpec,
} from '../../packages/server/src/sandbox/driver.ts';
import { DockerDriver } from '../../packages/server/src/sandbox/docker/docker-driver.ts';
import { pingEngine } from '../../packages/server/src/sandbox/docker/engine.ts';
import { LocalDriver } from '../../packages/server/src/sandbox/local/local-driver.ts';
import { startFakeLlm, type FakeLlm } from '../../packages/server/test/fakes/llm/index.ts';
import { summarize, table } from '../lib/stats.ts';
import { runAgentOnce, type AgentRunTimes } from './agent-run.ts';
import { timeModelServer, type ModelTiming } from './model-timing.ts';
import { commands, rawCommandCost, type RawCost } from './trajectory.ts';

interface Options {
  iterations: number;
  steps: number;
  rawRounds: number;
  driver: 'all' | 'local' | 'docker';
  image: string;
}

/** Lucid's own time per step the agent loop should stay under. */
const TARGET_MS = 5;
const MODEL_ID = 'anthropic/claude-sonnet-4-5';
const API_KEY = 'sk-ant-bench-0123456789abcdef';
const MiB = 1024 * 1024;
const SPEC: SandboxSpec = {
  labels: { 'lucid.bench': 'agent-overhead' },
  limits: { memoryBytes: 2048 * MiB, cpus: 2, pids: 512 },
  network: 'none',
};

function optionsFrom(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      iterations: { type: 'string' },
      steps: { type: 'string' },
      'raw-rounds': { type: 'string' },
      driver: { type: 'string' },
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
  const driver = values.driver ?? 'all';
  if (driver !== 'all' && driver !== 'local' && driver !== 'docker') {
    throw new Error(`--driver must be all, local or docker (got ${driver})`);
  }
  return {
    iterations: count('iterations', values.iterations ?? process.env.BENCH_ITERATIONS, 5),
    steps: count('steps', values.steps, 50),
    rawRounds: count('raw-rounds', values['raw-rounds'], 3),
    driver,
    image: values.image ?? 'lucid-sandbox:latest',
  };
}

interface Measured {
  runs: AgentRunTimes[];
  raw: RawCost;
}

interface Context {
  options: Options;
  llm: FakeLlm;
  timing: ModelTiming;
  list: string[];
}

/** One warm-up run, then agent runs and raw rounds in turn, in one sandbox. */
async function measure(ctx: Context, sandbox: Sandbox): Promise<Measured> {
  const { options, llm, timing, list } = ctx;
  const setup = {
    model: resolveModel({ anthropic: { apiKey: API_KEY, baseUrl: `${llm.url}/v1` } }, MODEL_ID),
    modelId: MODEL_ID,
    llm,
    timing,
    sandbox,
    commands: list,
    secrets: [API_KEY, 'run-token-0123456789abcdef', 'bHVjaWQ6cnVuLXRva2Vu'],
  };
  await runAgentOnce(setup);
  const shell = await sandbox.shell();
  await rawCommandCost(shell, list, 1);
  const runs: AgentRunTimes[] = [];
  const raw: RawCost = { samples: [], roundTotals: [] };
  for (let i = 0; i < options.iterations; i++) {
    runs.push(await runAgentOnce(setup));
    const round = await rawCommandCost(shell, list, options.rawRounds);
    raw.samples.push(...round.samples);
    raw.roundTotals.push(...round.roundTotals);
  }
  return { runs, raw };
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const p50 = (values: readonly number[]) => summarize(values).p50;
const ms = (value: number) => `${value.toFixed(Math.abs(value) < 10 ? 2 : 1)} ms`;

function report(title: string, isolation: string, { runs, raw }: Measured, steps: number): void {
  const calls = steps + 1;
  const wall = p50(runs.map((run) => run.wallMs));
  const model = p50(runs.map((run) => sum(run.modelMs)));
  const inRun = p50(runs.map((run) => sum(run.commandMs)));
  const rawTotal = p50(raw.roundTotals);
  const own = wall - model - rawTotal;
  const ownPerStep = own / calls;
  const start = p50(runs.map((run) => run.startMs));
  const perStep = (value: number) => ms(value / calls);
  console.log('');
  console.log(`${title}`);
  console.log(`  ${isolation}`);
  console.log(
    table([
      ['measure', 'p50 of one', 'per step (total ÷ ' + calls + ')', 'total per run', 'n'],
      [
        'agent run, wall (run() called → resolved)',
        '',
        perStep(wall),
        ms(wall),
        String(runs.length),
      ],
      [
        'model requests, at the fake',
        ms(p50(runs.flatMap((run) => run.modelMs))),
        perStep(model),
        ms(model),
        String(runs.length * calls),
      ],
      [
        'commands in the run, at the shell',
        ms(p50(runs.flatMap((run) => run.commandMs))),
        perStep(inRun),
        ms(inRun),
        String(runs.length * steps),
      ],
      [
        'raw sandbox command cost (same commands)',
        ms(p50(raw.samples)),
        perStep(rawTotal),
        ms(rawTotal),
        String(raw.samples.length),
      ],
      ["Lucid's own: wall − model − raw commands", '', perStep(own), ms(own), String(runs.length)],
      [
        "Lucid's own in a step (answer → next request, less its command)",
        ms(p50(runs.flatMap((run) => run.ownStepMs))),
        '',
        '',
        String(runs.length * steps),
      ],
      [
        '  of which before the first request (system prompt, tools)',
        ms(p50(runs.map((run) => run.startMs))),
        '',
        '',
        String(runs.length),
      ],
      [
        '  of which after the last answer',
        ms(p50(runs.map((run) => run.endMs))),
        '',
        '',
        String(runs.length),
      ],
    ]),
  );
  const verdict = ownPerStep <= TARGET_MS ? 'met' : 'missed';
  console.log(
    `  Lucid's own time: ${ms(ownPerStep)} per step against a target of ≤ ${TARGET_MS} ms ` +
      `(${verdict}; ${(TARGET_MS / Math.max(ownPerStep, 1e-3)).toFixed(1)}× headroom, ` +
      `${((own / wall) * 100).toFixed(0)}% of the wall time; ` +
      `${ms((own - start) / calls)} per step without the time before the first request). ` +
      `${p50(runs.map((run) => run.events))} events per run.`,
  );
}

async function withLocal(ctx: Context): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'lucid-bench-agent-'));
  try {
    const driver = new LocalDriver({ root });
    const sandbox = await driver.create(SPEC);
    try {
      report(
        'local driver',
        `isolation: ${driver.isolation}`,
        await measure(ctx, sandbox),
        ctx.options.steps,
      );
    } finally {
      await sandbox.remove().catch(() => undefined);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The docker driver, or why it cannot be used here. */
async function dockerDriver(image: string): Promise<SandboxDriver | string> {
  const docker = new Docker();
  const engine = await pingEngine(docker, 2000);
  if (!engine) return 'no Docker engine answers';
  const present = await docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  if (!present) return `the image ${image} is missing (build it with: lucid sandbox build)`;
  return new DockerDriver({ docker, image });
}

async function withDocker(ctx: Context): Promise<boolean> {
  const driver = await dockerDriver(ctx.options.image);
  if (typeof driver === 'string') {
    console.log('');
    console.log(`docker driver: skipped, ${driver}.`);
    return ctx.options.driver !== 'docker';
  }
  const sandbox = await driver.create(SPEC);
  try {
    report(
      `docker driver (${ctx.options.image})`,
      `isolation: ${driver.isolation}`,
      await measure(ctx, sandbox),
      ctx.options.steps,
    );
  } finally {
    await sandbox.remove().catch(() => undefined);
  }
  return true;
}

export async function run(args: string[]): Promise<number> {
  const options = optionsFrom(args);
  const llm = await startFakeLlm();
  const timing = timeModelServer(Number(new URL(llm.url).port));
  const ctx: Context = { options, llm, timing, list: commands(options.steps) };
  console.log(
    `Built-in agent (LucidAgent.run, ${MODEL_ID} over the Anthropic protocol) against the fake ` +
      `model with no delay: ${options.steps} steps of one command (true / echo N) and a final ` +
      `answer, ${options.iterations} runs after one warm-up; raw commands: ` +
      `${options.rawRounds} rounds of the same ${options.steps} after each run.`,
  );
  try {
    if (options.driver !== 'docker') await withLocal(ctx);
    if (options.driver !== 'local' && !(await withDocker(ctx))) return 1;
    return 0;
  } finally {
    timing.stop();
    await llm.close();
  }
}
