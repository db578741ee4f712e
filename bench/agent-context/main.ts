/**
 * @module bench/agent-context
 * What compaction and prompt caching change in what the built-in agent sends. The fake model
 * server (which plays Anthropic's prompt cache: marks, reads, writes) plays a 40-step scripted task,
 * each step one command printing a listing of about `--output-chars` characters, then a finish;
 * the real `LucidAgent` runs it in a local-driver sandbox four times in the same run: with neither
 * compaction nor caching (the reference), with caching only, with compaction only, and with both,
 * on a context window of `--window` tokens. Per configuration it prints the input tokens of every
 * step's request (as the fake counts them: four characters a token of the JSON), how many the
 * cache read, the largest request against the window, and the input cost at Claude Sonnet 4.5's
 * prices (cache reads at a tenth, cache writes at 1.25×), as ratios against the reference.
 *
 * Usage: npm run bench -- agent-context [--steps N] [--window N] [--output-chars N]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { EventBody } from '@lucid/contracts';
import { LucidAgent } from '../../packages/server/src/agent/lucid-agent.ts';
import { resolveModel } from '../../packages/server/src/llm/models.ts';
import type { SandboxSpec } from '../../packages/server/src/sandbox/driver.ts';
import { LocalDriver } from '../../packages/server/src/sandbox/local/local-driver.ts';
import {
  offersTools,
  startFakeLlm,
  type FakeLlm,
  type RecordedRequest,
} from '../../packages/server/test/fakes/llm/index.ts';
import { table } from '../lib/stats.ts';

const MODEL_ID = 'anthropic/claude-sonnet-4-5';
const SUMMARY_ID = 'anthropic/claude-haiku-4-5';
const API_KEY = 'sk-ant-bench-0123456789abcdef';
const MiB = 1024 * 1024;
const SPEC: SandboxSpec = {
  labels: { 'lucid.bench': 'agent-context' },
  limits: { memoryBytes: 1024 * MiB, cpus: 2, pids: 256 },
  network: 'none',
};
/** USD per million input tokens of Claude Sonnet 4.5: input, cache read, cache write. */
const PRICE = { input: 3, read: 0.3, write: 3.75 };

interface Options {
  steps: number;
  window: number;
  outputChars: number;
}

interface Configuration {
  name: string;
  compact: boolean;
  cache: boolean;
}

const CONFIGURATIONS: Configuration[] = [
  { name: 'reference: no compaction, no cache', compact: false, cache: false },
  { name: 'cache only', compact: false, cache: true },
  { name: 'compaction only', compact: true, cache: false },
  { name: 'compaction and cache', compact: true, cache: true },
];

interface Step {
  input: number;
  read: number;
  written: number;
}

interface Measured {
  steps: Step[];
  summaries: Step[];
  compactions: number;
}

function optionsFrom(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      steps: { type: 'string' },
      window: { type: 'string' },
      'output-chars': { type: 'string' },
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
    steps: count('steps', values.steps, 40),
    window: count('window', values.window, 32_000),
    outputChars: count('output-chars', values['output-chars'], 6_000),
  };
}

const stepOf = (request: RecordedRequest): Step => {
  const usage = request.usage!;
  return {
    input: usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
    read: usage.cacheReadTokens,
    written: usage.cacheWriteTokens,
  };
};

async function measure(
  llm: FakeLlm,
  driver: LocalDriver,
  options: Options,
  config: Configuration,
): Promise<Measured> {
  llm.reset();
  const lines = Math.ceil(options.outputChars / 8);
  llm.script([
    ...Array.from({ length: options.steps }, (_, i) => ({
      when: offersTools,
      toolCalls: [
        { name: 'bash', input: { command: `seq ${i * 100_000} ${i * 100_000 + lines}` } },
      ],
    })),
    { when: offersTools, toolCalls: [{ name: 'finish', input: { summary: 'Listed.' } }] },
  ]);
  const llmConfig = { anthropic: { apiKey: API_KEY, baseUrl: `${llm.url}/v1` } };
  const events: EventBody[] = [];
  const sandbox = await driver.create(SPEC);
  try {
    const agent = new LucidAgent({
      model: resolveModel(llmConfig, MODEL_ID),
      modelId: MODEL_ID,
      maxRetries: 0,
      context: {
        window: options.window,
        summaryModel: resolveModel(llmConfig, SUMMARY_ID),
        summaryModelId: SUMMARY_ID,
        compact: config.compact,
        cache: config.cache,
      },
    });
    const outcome = await agent.run({
      prompt: `List ${options.steps} ranges of numbers, one command each.`,
      sandbox,
      shell: () => sandbox.shell(),
      emit: (event) => void events.push(event),
      signal: new AbortController().signal,
      limits: { maxSteps: options.steps + 5 },
      secrets: [API_KEY],
    });
    if (outcome.status !== 'finished') {
      throw new Error(`${config.name}: the run ended ${outcome.status}: ${outcome.error?.message}`);
    }
  } finally {
    await sandbox.remove().catch(() => undefined);
  }
  const answered = llm.requests.filter((r) => r.usage !== undefined);
  const steps = answered.filter((r) => offersTools(r.body as Record<string, unknown>));
  if (steps.length !== options.steps + 1) {
    throw new Error(`${config.name}: ${steps.length} step requests, ${options.steps + 1} expected`);
  }
  return {
    steps: steps.map(stepOf),
    summaries: answered.filter((r) => !offersTools(r.body as Record<string, unknown>)).map(stepOf),
    compactions: events.filter((event) => event.type === 'context.compacted').length,
  };
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const usd = (steps: readonly Step[]) =>
  sum(
    steps.map(
      (s) =>
        ((s.input - s.read - s.written) * PRICE.input +
          s.read * PRICE.read +
          s.written * PRICE.write) /
        1_000_000,
    ),
  );
const thousands = (tokens: number) => `${(tokens / 1000).toFixed(1)}k`;

function report(options: Options, results: Array<[Configuration, Measured]>): void {
  const reference = results[0]![1];
  const shown = Array.from({ length: options.steps + 1 }, (_, i) => i).filter(
    (i) => i === 0 || (i + 1) % 5 === 0 || i === options.steps,
  );
  console.log('');
  console.log('Input tokens of each step’s request (cache reads in brackets):');
  console.log(
    table([
      ['step', ...results.map(([config]) => config.name)],
      ...shown.map((i) => [
        String(i + 1),
        ...results.map(([, measured]) => {
          const step = measured.steps[i]!;
          return step.read > 0
            ? `${thousands(step.input)} (${thousands(step.read)})`
            : thousands(step.input);
        }),
      ]),
    ]),
  );
  const totalIn = (m: Measured) => sum([...m.steps, ...m.summaries].map((s) => s.input));
  const cost = (m: Measured) => usd([...m.steps, ...m.summaries]);
  console.log('');
  console.log(
    table([
      [
        'configuration',
        'tokens sent',
        'ratio',
        'cache reads',
        'largest request',
        'of the window',
        'input cost',
        'ratio',
        'compactions',
      ],
      ...results.map(([config, m]) => {
        const largest = Math.max(...m.steps.map((s) => s.input));
        return [
          config.name,
          thousands(totalIn(m)),
          (totalIn(m) / totalIn(reference)).toFixed(2),
          thousands(sum([...m.steps, ...m.summaries].map((s) => s.read))),
          thousands(largest),
          `${Math.round((largest / options.window) * 100)}%`,
          `$${cost(m).toFixed(3)}`,
          (cost(m) / cost(reference)).toFixed(2),
          `${m.compactions} (${m.summaries.length} summaries)`,
        ];
      }),
    ]),
  );
}

export async function run(args: string[]): Promise<number> {
  const options = optionsFrom(args);
  const llm = await startFakeLlm();
  const root = await mkdtemp(path.join(tmpdir(), 'lucid-bench-context-'));
  console.log(
    `Built-in agent (LucidAgent.run, ${MODEL_ID} over the Anthropic protocol) against the fake ` +
      `model and its prompt cache: ${options.steps} steps, each one command printing about ` +
      `${options.outputChars.toLocaleString('en-US')} characters, then a finish; a context window ` +
      `of ${options.window.toLocaleString('en-US')} tokens; local-driver sandbox.`,
  );
  try {
    const driver = new LocalDriver({ root });
    const results: Array<[Configuration, Measured]> = [];
    for (const config of CONFIGURATIONS) {
      results.push([config, await measure(llm, driver, options, config)]);
    }
    report(options, results);
    return 0;
  } finally {
    await llm.close();
    await rm(root, { recursive: true, force: true });
  }
}
