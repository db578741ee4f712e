/**
 * @module agent/replay
 * Plays an exported run of the built-in agent back through the current agent loop: the model
 * answers step i with the recorded answer i, each tool call gets the recorded result of the call
 * with its id, and no sandbox is made. At each step the request the loop builds now is compared
 * with the recorded one; the first that differs (its system prompt, its tools or their order, a
 * message, a tool call's name or input, a setting) is reported in a short diff. A change of the
 * loop can so be checked against earlier runs without a model.
 */
import type { LanguageModel, Tool } from 'ai';
import type { ExportedExchange, RunExport } from '@lucid/contracts';
import type { Sandbox } from '../sandbox/driver.ts';
import { applyChange, requestOf, sameJson, type FullRequest } from './exchanges.ts';
import { LucidAgent, type LoopChanges } from './lucid-agent.ts';

type Model = Extract<LanguageModel, { specificationVersion: 'v3' }>;
type StreamPart =
  Awaited<ReturnType<Model['doStream']>>['stream'] extends ReadableStream<infer P> ? P : never;

const NO_USAGE = {
  inputTokens: {
    total: undefined,
    noCache: undefined,
    cacheRead: undefined,
    cacheWrite: undefined,
  },
  outputTokens: { total: undefined, text: undefined, reasoning: undefined },
};

/** Where the current loop first does otherwise than the recording. */
export interface Divergence {
  /** The model request (from 1) where it differs. */
  step: number;
  /** What differs, a line each, in words and short recorded/now pairs. */
  differences: string[];
}

export interface ReplayReport {
  /** Model requests the recording holds. */
  recorded: number;
  /** Model requests the current loop made that matched. */
  matched: number;
  divergence: Divergence | null;
}

/** Why a recording cannot be replayed (a CLI agent's run, a document of another format). */
export class ReplayRefusal extends Error {}

/** Ends the loop once it has diverged: the recording has no answer for what it asks now. */
class Diverged extends Error {}

/**
 * Replays `exported` through the current agent loop, changed by `loop` when given (a replay that
 * tries a change of the loop without editing it).
 *
 * @example
 * const report = await replayRun(JSON.parse(await readFile('run.json', 'utf8')));
 * if (report.divergence) console.log(formatReplay(report));
 */
export async function replayRun(
  exported: RunExport,
  options: { loop?: LoopChanges } = {},
): Promise<ReplayReport> {
  const exchanges = replayable(exported);
  const input = exchanges[0]!.input!;
  let calls = 0;
  let summarised = 0;
  let recordedFull: FullRequest | undefined;
  let divergence: Divergence | null = null;
  const diverge = (differences: string[]): never => {
    divergence = { step: calls, differences };
    throw new Diverged(differences.join('\n'));
  };

  const model: Model = {
    specificationVersion: 'v3',
    provider: input.model.provider,
    modelId: input.model.modelId,
    supportedUrls: {},
    doGenerate: () => {
      const text = exchanges[calls]?.summaries?.[summarised++];
      if (text === undefined) {
        return Promise.reject(new Error('The recording has no summary here.'));
      }
      return Promise.resolve({
        content: [{ type: 'text', text }],
        finishReason: { unified: 'stop', raw: undefined },
        usage: NO_USAGE,
        warnings: [],
      });
    },
    doStream: (call) => {
      calls += 1;
      const recorded = exchanges[calls - 1];
      if (!recorded) {
        return diverge([
          `The current loop asks the model a request ${calls}; the recording ends after ${exchanges.length}.`,
        ]);
      }
      summarised = 0;
      recordedFull = applyChange(recordedFull, recorded.request);
      const differences = compareRequests(recordedFull, requestOf(call));
      if (differences.length > 0) return diverge(differences);
      if (recorded.answer.error !== undefined) {
        return Promise.reject(new Error(recorded.answer.error));
      }
      return Promise.resolve({ stream: answerStream(recorded) });
    },
  };

  const answered = (name: string, tool: Tool): Tool => ({
    ...tool,
    execute: (_input: unknown, { toolCallId }: { toolCallId: string }) => {
      const result = exchanges[calls - 1]?.results.find((r) => r.toolCallId === toolCallId);
      if (!result) throw new Error(`No result of ${name} was recorded for this call.`);
      if (result.output.type === 'error-text') throw new Error(result.output.value);
      return result.output.value;
    },
  });
  const loop: LoopChanges = {
    ...options.loop,
    tools: (bound) => {
      const chosen = options.loop?.tools ? options.loop.tools(bound) : bound;
      return Object.fromEntries(
        Object.entries(chosen).map(([name, tool]) => [name, answered(name, tool)]),
      );
    },
  };
  let given = -1;
  const agent = new LucidAgent({
    model,
    modelName: input.model.name,
    maxRetries: 0,
    context: { ...input.context, summaryModel: model },
    loop,
  });
  await agent.run({
    prompt: input.prompt,
    history: input.history,
    repository: input.repository,
    inbox: () => {
      if (given === calls) return Promise.resolve([]);
      given = calls;
      return Promise.resolve(exchanges[calls]?.inbox ?? []);
    },
    sandbox: noSandbox(),
    shell: () => Promise.reject(new Error('A replay has no sandbox.')),
    emit: () => {},
    signal: new AbortController().signal,
    limits: { maxSteps: input.maxSteps },
    secrets: [],
  });
  const found = divergence as Divergence | null;
  if (found) return { recorded: exchanges.length, matched: found.step - 1, divergence: found };
  if (calls < exchanges.length) {
    return {
      recorded: exchanges.length,
      matched: calls,
      divergence: {
        step: calls + 1,
        differences: [
          `The current loop stops after ${calls} model request${calls === 1 ? '' : 's'}; the recording goes on to ${exchanges.length}.`,
        ],
      },
    };
  }
  return { recorded: exchanges.length, matched: calls, divergence: null };
}

/**
 * The report in a few lines: "no divergence", or the first divergent step and what differs.
 *
 * @example
 * process.stdout.write(formatReplay(report));
 */
export function formatReplay(report: ReplayReport): string {
  const { divergence } = report;
  if (!divergence) {
    return `No divergence: the current agent loop made the ${report.recorded} recorded model requests alike.\n`;
  }
  return [
    `Divergence at step ${divergence.step} of ${report.recorded} (${report.matched} matched):`,
    ...divergence.differences.map((line) => `  ${line}`),
    '',
  ].join('\n');
}

/** The recorded exchanges of a document a replay can play, or why it cannot. */
function replayable(exported: RunExport): ExportedExchange[] {
  if ((exported as { format?: unknown }).format !== 'lucid.run-export') {
    throw new ReplayRefusal('This file is not a run exported by Lucid (lucid run export).');
  }
  if (exported.run.agent !== 'lucid') {
    const who = exported.run.agent ? `the ${exported.run.agent} agent` : 'commands, not an agent';
    throw new ReplayRefusal(
      `Only runs of the built-in agent can be replayed; this run was made by ${who}.`,
    );
  }
  const exchanges = [...exported.exchanges].sort((a, b) => a.step - b.step);
  if (!exported.replayable || !exchanges[0]?.input) {
    throw new ReplayRefusal(
      'This run has no recorded model exchanges to replay (it was made before Lucid kept them).',
    );
  }
  const missing = exchanges.findIndex((exchange, index) => exchange.step !== index + 1);
  if (missing >= 0) {
    throw new ReplayRefusal(
      `This run's recording misses its model exchange ${missing + 1}; it cannot be replayed.`,
    );
  }
  return exchanges;
}

/** The recorded answer as the provider's stream would give it. */
function answerStream(exchange: ExportedExchange): ReadableStream<StreamPart> {
  const parts: StreamPart[] = [{ type: 'stream-start', warnings: [] }];
  exchange.answer.parts.forEach((part, index) => {
    const providerMetadata = part.providerMetadata as
      Extract<StreamPart, { type: 'text-end' }>['providerMetadata'] | undefined;
    const meta = providerMetadata ? { providerMetadata } : {};
    if (part.type === 'tool-call') {
      const { toolCallId, toolName, input } = part;
      parts.push({ type: 'tool-call', toolCallId, toolName, input, ...meta });
      return;
    }
    const id = String(index);
    const kind = part.type;
    parts.push({ type: `${kind}-start`, id });
    parts.push({ type: `${kind}-delta`, id, delta: part.text });
    parts.push({ type: `${kind}-end`, id, ...meta });
  });
  const calls = exchange.answer.parts.some((part) => part.type === 'tool-call');
  parts.push({
    type: 'finish',
    usage: (exchange.answer.usage ?? NO_USAGE) as Extract<StreamPart, { type: 'finish' }>['usage'],
    finishReason: { unified: calls ? 'tool-calls' : 'stop', raw: undefined },
  });
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}

/** Stands where a sandbox would: a replay's tools answer from the recording and never reach it. */
function noSandbox(): Sandbox {
  return new Proxy({} as Sandbox, {
    get: (_target, key) =>
      key === 'then' ? undefined : () => Promise.reject(new Error('A replay has no sandbox.')),
  });
}

type Json = unknown;
type PromptMessage = { role?: string; content?: Json; providerOptions?: Json };

/**
 * What differs between the recorded request and the one the loop made now, a line each: the
 * system prompt, the tools (names and order, then each definition), the first message that
 * differs, the settings. Empty when they are alike.
 */
export function compareRequests(recorded: FullRequest, now: FullRequest): string[] {
  const differences: string[] = [];
  const systemOf = (request: FullRequest) =>
    (request.messages as PromptMessage[])
      .filter((message) => message.role === 'system')
      .map((message) => String(message.content))
      .join('\n');
  const recordedSystem = systemOf(recorded);
  const nowSystem = systemOf(now);
  if (recordedSystem !== nowSystem) {
    differences.push('The system prompt differs:', ...lineDiff(recordedSystem, nowSystem));
  }

  const names = (request: FullRequest) =>
    request.tools.map((tool) => String((tool as { name?: unknown }).name));
  const recordedNames = names(recorded);
  const nowNames = names(now);
  if (same(recordedNames, nowNames)) {
    recorded.tools.forEach((tool, index) => {
      const other = now.tools[index];
      if (same(tool, other)) return;
      const fields = Object.keys({ ...(tool as object), ...(other as object) }).filter(
        (key) => !same((tool as Record<string, Json>)[key], (other as Record<string, Json>)[key]),
      );
      differences.push(
        `The tool ${recordedNames[index]} is defined otherwise (${fields.join(', ')}).`,
      );
    });
  } else {
    differences.push(
      'The tools differ:',
      `- recorded: ${recordedNames.join(', ')}`,
      `+ now:      ${nowNames.join(', ')}`,
    );
  }

  const conversation = (request: FullRequest) =>
    (request.messages as PromptMessage[]).filter((message) => message.role !== 'system');
  const recordedMessages = conversation(recorded);
  const nowMessages = conversation(now);
  const length = Math.max(recordedMessages.length, nowMessages.length);
  for (let index = 0; index < length; index++) {
    const was = recordedMessages[index];
    const is = nowMessages[index];
    if (same(was, is)) continue;
    differences.push(...messageDiff(index + 1, was, is));
    break;
  }

  const keys = Object.keys({ ...recorded.settings, ...now.settings }).filter(
    (key) => !same(recorded.settings[key], now.settings[key]),
  );
  for (const key of keys) {
    differences.push(
      `The setting ${key} differs: recorded ${brief(recorded.settings[key])}, now ${brief(now.settings[key])}.`,
    );
  }
  return differences;
}

/** How message `at` differs: missing or new, its role, a tool call's name or input, its text. */
function messageDiff(
  at: number,
  was: PromptMessage | undefined,
  is: PromptMessage | undefined,
): string[] {
  if (!is) return [`Message ${at} (${was?.role}) of the recording is not in the request now.`];
  if (!was) return [`Message ${at} (${is.role}) is new: ${brief(is.content)}`];
  if (was.role !== is.role) {
    return [`Message ${at} differs: recorded a ${was.role} message, now a ${is.role} message.`];
  }
  const head = `Message ${at} (${was.role}) differs:`;
  const wasParts = partsOf(was.content);
  const isParts = partsOf(is.content);
  for (let index = 0; index < Math.max(wasParts.length, isParts.length); index++) {
    const a = wasParts[index];
    const b = isParts[index];
    if (same(a, b)) continue;
    if (a?.type === 'tool-call' && b?.type === 'tool-call') {
      if (a.toolName !== b.toolName) {
        return [
          head,
          `- recorded tool call: ${String(a.toolName)} ${brief(a.input)}`,
          `+ now:                ${String(b.toolName)} ${brief(b.input)}`,
        ];
      }
      if (!same(a.input, b.input)) {
        return [
          head,
          `- recorded ${String(a.toolName)} input: ${brief(a.input)}`,
          `+ now ${String(b.toolName)} input:      ${brief(b.input)}`,
        ];
      }
    }
    if (a?.type === 'text' && b?.type === 'text' && a.text !== b.text) {
      return [head, ...lineDiff(String(a.text), String(b.text))];
    }
    return [head, `- recorded: ${brief(a)}`, `+ now:      ${brief(b)}`];
  }
  return [
    head,
    `- recorded options: ${brief(was.providerOptions)}`,
    `+ now options:      ${brief(is.providerOptions)}`,
  ];
}

function partsOf(content: Json): Array<Record<string, Json>> {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? (content as Array<Record<string, Json>>) : [];
}

/** The first line where two texts differ, recorded and now. */
function lineDiff(recorded: string, now: string): string[] {
  const a = recorded.split('\n');
  const b = now.split('\n');
  let line = 0;
  while (line < a.length && line < b.length && a[line] === b[line]) line += 1;
  const show = (text: string | undefined) => (text === undefined ? '(no line)' : clip(text));
  return [
    `- recorded, line ${line + 1}: ${show(a[line])}`,
    `+ now, line ${line + 1}:      ${show(b[line])}`,
  ];
}

const same = sameJson;

function brief(value: Json): string {
  return clip(value === undefined ? '(none)' : JSON.stringify(value));
}

function clip(text: string, max = 160): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
