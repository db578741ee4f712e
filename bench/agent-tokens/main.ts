/**
 * @module bench/agent-tokens
 * What the built-in agent costs per streamed token. The fake model server (in a process of its own)
 * streams an answer of T words to each of N concurrent consumers in this process, at 50 tokens a
 * second by default, over the Anthropic protocol; this process's CPU time (user + system) while they read, divided by
 * the tokens read, is the figure. Consumers, measured in turn in every round: raw `fetch` reading
 * the body (the reference), the provider's `model.doStream()` read directly, the AI SDK's
 * `streamText(...).fullStream`, and the real `LucidAgent.run` (in a local-driver sandbox, emitting
 * a `message.delta` per token). One warm-up round is not counted.
 *
 * Usage: npm run bench -- agent-tokens [--iterations N] [--streams N] [--tokens N] [--delay-ms N]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { streamText, type LanguageModel } from 'ai';
import { LucidAgent } from '../../packages/server/src/agent/lucid-agent.ts';
import { resolveModel } from '../../packages/server/src/llm/models.ts';
import type { Sandbox } from '../../packages/server/src/sandbox/driver.ts';
import { LocalDriver } from '../../packages/server/src/sandbox/local/local-driver.ts';
import { summarize, table } from '../lib/stats.ts';

const MODEL_ID = 'anthropic/claude-sonnet-4-5';
const API_KEY = 'sk-ant-bench-0123456789abcdef';

interface Consumer {
  name: string;
  /** Reads one whole answer; gives back the text pieces it saw (undefined: not counted). */
  read: () => Promise<number | undefined>;
}

function consumers(url: string, model: LanguageModel, sandbox: Sandbox): Consumer[] {
  if (typeof model === 'string' || model.specificationVersion !== 'v3') {
    throw new Error('a provider model object is needed');
  }
  return [
    {
      name: 'raw fetch + read (reference)',
      read: async () => {
        const response = await fetch(`${url}/v1/messages`, {
          method: 'POST',
          headers: {
            'x-api-key': API_KEY,
            'anthropic-version': '2023-06-01',
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            model: 'claude-sonnet-4-5',
            max_tokens: 4096,
            stream: true,
            messages: [{ role: 'user', content: 'Say it.' }],
          }),
        });
        const reader = response.body!.getReader();
        while (!(await reader.read()).done);
        return undefined;
      },
    },
    {
      name: 'model.doStream(), read directly',
      read: async () => {
        const { stream } = await model.doStream({
          prompt: [{ role: 'user', content: [{ type: 'text', text: 'Say it.' }] }],
        });
        const reader = stream.getReader();
        let pieces = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return pieces;
          if (value.type === 'text-delta') pieces += 1;
        }
      },
    },
    {
      name: 'streamText(…).fullStream',
      read: async () => {
        let pieces = 0;
        for await (const part of streamText({ model, prompt: 'Say it.', maxRetries: 0 })
          .fullStream) {
          if (part.type === 'text-delta') pieces += 1;
        }
        return pieces;
      },
    },
    {
      name: 'LucidAgent.run',
      read: async () => {
        let pieces = 0;
        const agent = new LucidAgent({ model, modelId: MODEL_ID, maxRetries: 0 });
        const outcome = await agent.run({
          prompt: 'Say it.',
          sandbox,
          shell: () => sandbox.shell(),
          emit: (event) => {
            if (event.type === 'message.delta') pieces += 1;
          },
          signal: new AbortController().signal,
          limits: { maxSteps: 5 },
          secrets: [API_KEY],
        });
        if (outcome.status !== 'finished') throw new Error(`the agent ${outcome.status}`);
        return pieces;
      },
    },
  ];
}

/** The fake model server in its own process: `script(count)` queues `count` answers. */
async function startModelServer(tokens: number, delayMs: number) {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(new URL('./model-server.ts', import.meta.url))],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('the model server ended');
    return line.value;
  };
  const url = await next();
  return {
    url,
    script: async (count: number) => {
      child.stdin.write(`script ${count} ${tokens} ${delayMs}\n`);
      if ((await next()) !== 'ok') throw new Error('the model server did not script its answers');
    },
    stop: async () => {
      child.stdin.end();
      await new Promise((resolve) => child.once('close', resolve));
    },
  };
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      iterations: { type: 'string' },
      streams: { type: 'string' },
      tokens: { type: 'string' },
      'delay-ms': { type: 'string' },
    },
  });
  const iterations = Number(values.iterations ?? process.env.BENCH_ITERATIONS ?? 3);
  const streams = Number(values.streams ?? 50);
  const tokens = Number(values.tokens ?? 200);
  const delayMs = Number(values['delay-ms'] ?? 20);
  const server = await startModelServer(tokens, delayMs);
  const root = await mkdtemp(path.join(tmpdir(), 'lucid-bench-tokens-'));
  const driver = new LocalDriver({ root });
  const sandbox = await driver.create({
    labels: { 'lucid.bench': 'agent-tokens' },
    limits: { memoryBytes: 1024 * 1024 * 1024, cpus: 2, pids: 256 },
    network: 'none',
  });
  try {
    const model = resolveModel(
      { anthropic: { apiKey: API_KEY, baseUrl: `${server.url}/v1` } },
      MODEL_ID,
    );
    const list = consumers(server.url, model, sandbox);
    const samples = new Map<string, number[]>(list.map((c) => [c.name, []]));
    for (let round = 0; round <= iterations; round++) {
      for (const consumer of list) {
        await server.script(streams);
        const before = process.cpuUsage();
        const seen = await Promise.all(Array.from({ length: streams }, () => consumer.read()));
        const cpu = process.cpuUsage(before);
        for (const pieces of seen) {
          if (pieces !== undefined && pieces !== tokens) {
            throw new Error(`${consumer.name} read ${pieces} text pieces, not ${tokens}`);
          }
        }
        if (round > 0)
          samples.get(consumer.name)!.push((cpu.user + cpu.system) / (streams * tokens));
      }
    }
    const reference = summarize(samples.get(list[0]!.name)!).p50;
    const us = (value: number) => `${value.toFixed(0)} µs`;
    console.log(
      `CPU per streamed token in the consuming process: ${streams} concurrent answers of ${tokens} ` +
        `words from the fake model (Anthropic protocol, ${delayMs} ms between events, its own process), ${iterations} rounds after one warm-up.\n`,
    );
    console.log(
      table([
        ['consumer', 'p50', 'min', 'max', 'over the reference', '× reference'],
        ...list.map(({ name }) => {
          const s = summarize(samples.get(name)!);
          return [
            name,
            us(s.p50),
            us(s.min),
            us(s.max),
            us(s.p50 - reference),
            (s.p50 / reference).toFixed(2),
          ];
        }),
      ]),
    );
    return 0;
  } finally {
    await sandbox.remove().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    await server.stop();
  }
}
