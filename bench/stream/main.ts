/**
 * @module bench/stream
 * How fast an agent's answer reaches the people watching its task. The fake LLM streams an answer
 * to each of N concurrent agent tasks (50 by default) at about 50 tokens a second; Lucid (in a
 * process of its own, on its embedded database, with its own runner on the local driver) runs the
 * built-in agent on each task, and two viewers per task read the task's live stream over real
 * HTTP (`GET /api/v1/tasks/{id}/stream`). Every token carries a unique marker: its latency is from
 * the fake writing it to a viewer receiving it. The fake holds the agents' model calls until every
 * task has made its own, so the answers stream together, with every sandbox ready:
 * only the streaming is measured. A warm-up round of the same load goes first, unmeasured (`--warmups`,
 * 1 by default): what is measured is a server that has answered before, its code compiled by V8,
 * not one running the agent's code for the first time. The reference, measured in the same run, is the same load read
 * straight from the fake's own SSE (N concurrent clients, no Lucid in between). Prints p50/p99 for
 * both, their ratio, and the server's CPU time while the answers streamed.
 *
 * Usage: npm run bench -- stream [--tasks N] [--viewers N] [--tokens N] [--warmups N]
 */
import { spawn } from 'node:child_process';
import { Server, ServerResponse, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startFakeLlm, type ScriptStep } from '../../packages/server/test/fakes/llm/index.ts';
import { table } from '../lib/stats.ts';

const MARKER = /q(\d+)z/g;
const TOKEN_DELAY_MS = 20;
/** Tokens written this soon after the model calls are answered count as the answers' start. */
const START_MS = 250;

/** When the fake wrote each marker: its responses' writes are watched, the fake itself unchanged. */
const emitted = new Map<number, number>();
const write = ServerResponse.prototype.write;
ServerResponse.prototype.write = function (
  this: ServerResponse,
  chunk: unknown,
  ...rest: unknown[]
) {
  if (typeof chunk === 'string') {
    const now = performance.now();
    for (const match of chunk.matchAll(MARKER)) {
      const id = Number(match[1]);
      if (!emitted.has(id)) emitted.set(id, now);
    }
  }
  return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
} as typeof write;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Answers whose every token is a unique marker; `base` keeps markers apart between phases. */
function answers(count: number, tokens: number, base: number): ScriptStep[] {
  return Array.from({ length: count }, (_, step) => ({
    text: Array.from({ length: tokens }, (_, i) => `q${base + step * tokens + i}z`).join(' '),
    delayMs: TOKEN_DELAY_MS,
  }));
}

/**
 * Holds the fake's model calls (POSTs): each `next(count)` holds the coming ones until `count` of
 * them wait, then lets them all on at once; between rounds, requests go on at once. The fake is
 * unchanged: its server's `request` events are held back, their bodies unread until they go on.
 */
function gateModelCalls(url: string): { next(count: number): Promise<void>; close(): void } {
  const port = Number(new URL(url).port);
  const held: (() => void)[] = [];
  let round: { count: number; opened: () => void } | null = null;
  const emit = Server.prototype.emit as (this: Server, ...args: unknown[]) => boolean;
  Server.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
    const [req] = args as [IncomingMessage];
    const address = this.address();
    const ours = typeof address === 'object' && address?.port === port;
    if (event !== 'request' || !round || !ours || req.method !== 'POST') {
      return emit.call(this, event, ...args);
    }
    held.push(() => emit.call(this, event, ...args));
    if (held.length >= round.count) {
      round.opened();
      round = null;
      for (const release of held.splice(0)) release();
    }
    return true;
  } as typeof Server.prototype.emit;
  return {
    next: (count) => new Promise<void>((opened) => (round = { count, opened })),
    close: () => {
      Server.prototype.emit = emit as typeof Server.prototype.emit;
    },
  };
}

/** Reads a streamed body, calling `onMarker` at the first receipt of each marker after `since`. */
async function readMarkers(
  body: ReadableStream<Uint8Array>,
  since: number,
  onMarker: (latencyMs: number, emittedAt: number) => void,
  until: (text: string) => boolean,
): Promise<void> {
  const seen = new Set<number>();
  const decoder = new TextDecoder();
  let tail = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    const now = performance.now();
    const text = tail + decoder.decode(chunk, { stream: true });
    for (const match of text.matchAll(MARKER)) {
      const id = Number(match[1]);
      const at = emitted.get(id);
      if (seen.has(id) || at === undefined || at < since) continue;
      seen.add(id);
      onMarker(now - at, at);
    }
    tail = text.slice(-32);
    if (until(text)) return;
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      tasks: { type: 'string', default: '50' },
      viewers: { type: 'string', default: '2' },
      tokens: { type: 'string', default: '50' },
      warmups: { type: 'string', default: '1' },
    },
  });
  const tasks = Number(values.tasks);
  const viewers = Number(values.viewers);
  const tokens = Number(values.tokens);
  const warmups = Number(values.warmups);
  const llm = await startFakeLlm();

  // Reference: the fake's own SSE, read straight by as many concurrent clients.
  llm.script(answers(tasks, tokens, 0));
  const reference: number[] = [];
  await Promise.all(
    Array.from({ length: tasks }, async () => {
      const started = performance.now();
      const response = await fetch(`${llm.url}/v1/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': 'sk-ant-bench',
          'anthropic-version': '2023-06-01',
        },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          max_tokens: 4096,
          stream: true,
          messages: [{ role: 'user', content: 'go' }],
        }),
      });
      if (!response.body) throw new Error('the fake answered no body');
      await readMarkers(
        response.body,
        started,
        (ms) => reference.push(ms),
        () => false,
      );
    }),
  );

  // Lucid: the built-in agent on each task, two viewers per task on its live stream.
  llm.reset();
  const gate = gateModelCalls(llm.url);
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(new URL('./server.ts', import.meta.url)),
      llm.url,
      String(tasks),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => {
    const line = await lines.next();
    if (line.done) throw new Error('the Lucid server process ended');
    return JSON.parse(line.value) as T;
  };
  const lucid = await next<{ url: string; token: string; repoId: string }>();
  const cpu = async () => {
    child.stdin.write('cpu\n');
    const { user, system } = await next<{ user: number; system: number }>();
    return { ms: user + system, at: performance.now() };
  };

  /**
   * One round: `tasks` new tasks, their model calls answered together, `viewers` viewers on each.
   * `record` takes each token's latency and whether it was written while the answers started.
   */
  const round = async (
    base: number,
    record: (ms: number, starting: boolean) => void,
  ): Promise<{ opened: Promise<{ ms: number; at: number }> }> => {
    llm.script(answers(tasks, tokens, base));
    let releasedAt = Infinity;
    const opened = gate.next(tasks).then(() => {
      releasedAt = performance.now();
      return cpu();
    });
    await Promise.all(
      Array.from({ length: tasks }, async (_, i) => {
        const created = await fetch(`${lucid.url}/api/v1/tasks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${lucid.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ repoId: lucid.repoId, prompt: `Answer ${i}` }),
        });
        if (created.status !== 201) throw new Error(`creating a task: ${await created.text()}`);
        const { task } = (await created.json()) as { task: { id: string } };
        await Promise.all(
          Array.from({ length: viewers }, async () => {
            const started = performance.now();
            const response = await fetch(`${lucid.url}/api/v1/tasks/${task.id}/stream`, {
              headers: { authorization: `Bearer ${lucid.token}` },
            });
            if (!response.body) throw new Error('the stream answered no body');
            await readMarkers(
              response.body,
              started,
              (ms, at) => record(ms, at < releasedAt + START_MS),
              (text) => text.includes('"type":"message.assistant"'),
            );
            await response.body.cancel().catch(() => {});
          }),
        );
      }),
    );
    return { opened };
  };

  // Warm-up: the same load, unmeasured, so the measured round meets a server whose code V8 has
  // compiled, as a server that has answered before would be.
  for (let warm = 0; warm < warmups; warm++) {
    const { opened } = await round(10_000_000 * (warm + 1), () => {});
    await opened;
  }

  const latencies: number[] = [];
  // Apart: tokens written while the answers start (all model calls answered at once) and after.
  const starting: number[] = [];
  const steady: number[] = [];
  child.stdin.write('profile\n');
  const { opened: streaming } = await round(10_000_000 * (warmups + 1), (ms, start) => {
    latencies.push(ms);
    (start ? starting : steady).push(ms);
  });
  const cpuBefore = await streaming;
  const cpuAfter = await cpu();
  child.stdin.write('stop\n');
  await new Promise((resolve) => child.once('close', resolve));
  gate.close();
  await llm.close();

  const expected = tasks * viewers * tokens;
  const wallMs = cpuAfter.at - cpuBefore.at;
  const serverCpuMs = cpuAfter.ms - cpuBefore.ms;
  const fmt = (ms: number) => ms.toFixed(1);
  console.log(
    `${tasks} tasks × ${tokens} tokens at ${1000 / TOKEN_DELAY_MS} tokens/s, ${viewers} viewers per task\n`,
  );
  console.log(
    table([
      ['token → reader (ms)', 'p50', 'p99', 'max', 'tokens'],
      [
        "reference: the fake's SSE",
        fmt(percentile(reference, 50)),
        fmt(percentile(reference, 99)),
        fmt(Math.max(...reference)),
        String(reference.length),
      ],
      [
        'Lucid: task stream',
        fmt(percentile(latencies, 50)),
        fmt(percentile(latencies, 99)),
        fmt(Math.max(...latencies)),
        `${latencies.length} of ${expected}`,
      ],
      ...(
        [
          [`  written in the first ${START_MS} ms`, starting],
          ['  written after', steady],
        ] as const
      ).map(([label, samples]) => [
        label,
        fmt(percentile(samples, 50)),
        fmt(percentile(samples, 99)),
        fmt(Math.max(...samples)),
        String(samples.length),
      ]),
    ]),
  );
  const p99 = percentile(latencies, 99);
  console.log(
    `\nLucid p99 − reference p99: ${fmt(p99 - percentile(reference, 99))} ms ` +
      `(ratio ${(p99 / percentile(reference, 99)).toFixed(1)}×; target: Lucid p99 ≤ 20 ms)`,
  );
  console.log(
    `server CPU: ${fmt(serverCpuMs)} ms over ${fmt(wallMs)} ms ` +
      `(${((100 * serverCpuMs) / wallMs).toFixed(0)}% of one core, from the first token to the last)`,
  );
  return 0;
}
