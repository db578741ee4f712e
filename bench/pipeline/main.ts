/**
 * @module bench/pipeline
 * The pipeline's whole journey through the API, against the fake Notion, GitHub, Vercel and
 * model (no browser): a page of a mapped Notion database is picked into a task that plans first
 * (review mode), its plan is approved as soon as it is proposed, the agent codes (one file), the
 * pull request opens on GitHub, the Vercel preview becomes ready, a member asks for its promotion
 * and an admin promotes it. Each phase's end is the time Lucid recorded on the task's event (from
 * the task's `createdAt`, the pick), so the figures are the product's, not the polling's. The
 * reference, measured in the same run and interleaved, is the same journey without the plan step
 * (plan mode off): the ratio says what planning first costs from pick to production. Lucid runs in
 * this process on a new embedded database with its own runner on the local driver.
 *
 * Usage: npm run bench -- pipeline [--journeys N]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../packages/server/src/config.ts';
import { startServer } from '../../packages/server/src/server.ts';
import { request, type TestUser } from '../../packages/server/test/support/client.ts';
import {
  scriptCoding,
  scriptPlan,
  startPipeline,
  type PipelineWorld,
} from '../../packages/server/test/support/pipeline.ts';
import type { TestServer } from '../../packages/server/test/support/test-server.ts';
import { table } from '../lib/stats.ts';
import { percentile } from '../sandbox/percentile.ts';

interface Event {
  type: string;
  at: string;
  [key: string]: unknown;
}

/** One journey: milliseconds from the pick to the end of each phase. */
type Sample = Record<string, number>;

const PHASES = [
  ['planProposed', 'Notion pick → plan proposed'],
  ['planApproved', '→ plan approved'],
  ['codingDone', '→ coding done'],
  ['prOpen', '→ PR open'],
  ['previewReady', '→ preview ready'],
  ['production', '→ production'],
] as const;

function optionsFrom(args: string[]) {
  const { values } = parseArgs({ args, options: { journeys: { type: 'string' } } });
  const journeys = Number(values.journeys ?? process.env.BENCH_ITERATIONS ?? 5);
  if (!Number.isInteger(journeys) || journeys < 1) throw new Error('--journeys must be at least 1');
  return { journeys };
}

/** A Lucid server in this process, on its own data dir and embedded database. */
async function benchServer(
  options: Parameters<Parameters<typeof startPipeline>[0]>[0],
): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-bench-pipeline-'));
  const config = loadConfig({
    PORT: String(20_000 + Math.floor(Math.random() * 20_000)),
    HOST: '127.0.0.1',
    LUCID_DATA_DIR: dataDir,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    LUCID_SIGNUP: 'open',
    // The benchmark polls each task's events every 25 ms.
    LUCID_RATE_LIMIT_PER_MINUTE: '0',
    ...options.env,
  });
  const server = await startServer({
    config,
    authRateLimit: false,
    ...(options.runner ? { runner: options.runner } : {}),
    jobs: { retryBaseMs: 50 },
  });
  return {
    ...server,
    config,
    dataDir,
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function call<T>(
  world: PipelineWorld,
  user: TestUser,
  method: string,
  pathname: string,
  json?: unknown,
): Promise<T> {
  const answer = await request<T>(world.server.url, method, pathname, {
    token: user.token,
    ...(json === undefined ? {} : { json }),
  });
  if (answer.status >= 300) {
    throw new Error(
      `${method} ${pathname} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
    );
  }
  return answer.body;
}

/** Polls the task's events until `nth` of them (1 by default) match; answers the last of those. */
async function eventOf(
  world: PipelineWorld,
  taskId: string,
  match: (event: Event) => boolean,
  nth = 1,
): Promise<Event> {
  for (;;) {
    const { events } = await call<{ events: Event[] }>(
      world,
      world.member,
      'GET',
      `/api/v1/tasks/${taskId}/events`,
    );
    const found = events.filter(match);
    if (found.length >= nth) return found[nth - 1]!;
    const failed = events.find(
      (e) => (e.type === 'run.status' && e.status === 'failed') || e.state === 'ERROR',
    );
    if (failed) throw new Error(`the journey of ${taskId} failed: ${JSON.stringify(failed)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** One journey from a new Notion page to production, planning first or not. */
async function journey(world: PipelineWorld, n: number, plan: boolean): Promise<Sample> {
  const page = world.notion.addPage(world.database, {
    title: `Add banner ${n}`,
    values: { Status: 'To do' },
  });
  const file = `banner-${n}.html`;
  if (plan) scriptPlan(world.llm);
  else scriptCoding(world.llm, file);
  const { task } = await call<{ task: { id: string; createdAt: string } }>(
    world,
    world.member,
    'POST',
    '/api/v1/notion/tasks',
    {
      pageId: page.id,
      repoId: world.repo.id,
      prompt: `Add ${file}`,
      planMode: plan ? 'review' : 'off',
    },
  );
  const since = (event: Event) => Date.parse(event.at) - Date.parse(task.createdAt);
  const sample: Sample = {};
  if (plan) {
    sample.planProposed = since(await eventOf(world, task.id, (e) => e.type === 'plan.proposed'));
    // The planning run has ended (its last model request made) before the coding is scripted.
    await eventOf(world, task.id, (e) => e.type === 'task.status' && e.status === 'plan_review');
    scriptCoding(world.llm, file);
    await call(world, world.member, 'POST', `/api/v1/tasks/${task.id}/plan/approve`, {});
    sample.planApproved = since(await eventOf(world, task.id, (e) => e.type === 'plan.approved'));
  }
  sample.codingDone = since(
    await eventOf(
      world,
      task.id,
      (e) => e.type === 'run.status' && e.status === 'succeeded',
      plan ? 2 : 1,
    ),
  );
  sample.prOpen = since(await eventOf(world, task.id, (e) => e.type === 'pr.opened'));
  const ready = await eventOf(
    world,
    task.id,
    (e) => e.type === 'deployment.state' && e.target === 'preview' && e.state === 'READY',
  );
  sample.previewReady = since(ready);
  const deployment = `/api/v1/tasks/${task.id}/deployments/${String(ready.deploymentId)}`;
  await call(world, world.member, 'POST', `${deployment}/promote-request`);
  await call(world, world.admin, 'POST', `${deployment}/promote`);
  sample.production = since(
    await eventOf(
      world,
      task.id,
      (e) => e.type === 'deployment.state' && e.target === 'production' && e.state === 'READY',
    ),
  );
  return sample;
}

function report(title: string, samples: Sample[]): string {
  const rows = [[title, 'p50', 'p95', 'n']];
  const values = (phase: string) =>
    samples.map((s) => s[phase]).filter((v): v is number => v !== undefined);
  let previous: string | null = null;
  for (const [phase, label] of PHASES) {
    const ends = values(phase);
    if (ends.length === 0) continue;
    const spans = samples
      .filter((s) => s[phase] !== undefined)
      .map((s) => (s[phase] ?? 0) - (previous ? (s[previous] ?? 0) : 0));
    rows.push([
      !previous && label.startsWith('→') ? `Notion pick ${label}` : label,
      `${percentile(spans, 50).toFixed(0)} ms`,
      `${percentile(spans, 95).toFixed(0)} ms`,
      String(spans.length),
    ]);
    previous = phase;
  }
  const totals = values('production');
  rows.push([
    'total (pick → production)',
    `${percentile(totals, 50).toFixed(0)} ms`,
    `${percentile(totals, 95).toFixed(0)} ms`,
    String(totals.length),
  ]);
  return table(rows);
}

export async function run(args: string[]): Promise<number> {
  const { journeys } = optionsFrom(args);
  const world = await startPipeline(benchServer);
  try {
    // Warm-up: the code's first journey of each kind, not counted.
    await journey(world, 0, true);
    await journey(world, 1, false);
    const planned: Sample[] = [];
    const direct: Sample[] = [];
    for (let i = 0; i < journeys; i++) {
      planned.push(await journey(world, 2 + 2 * i, true));
      direct.push(await journey(world, 3 + 2 * i, false));
    }
    console.log(
      `\n${journeys} journeys each, local driver, fakes for Notion, GitHub, Vercel and the model; ` +
        `each phase's p50/p95 in ms, from the event Lucid recorded\n`,
    );
    console.log(report('planning first (review)', planned));
    console.log();
    console.log(report('reference: no plan step', direct));
    const total = (samples: Sample[]) =>
      percentile(samples.map((s) => s.production ?? NaN).filter(Number.isFinite), 50);
    console.log(
      `\ntotal p50, planning first / without: ${(total(planned) / total(direct)).toFixed(2)}×`,
    );
    return 0;
  } finally {
    await world.close();
  }
}
