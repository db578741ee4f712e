/**
 * @module tasks/trajectory
 * What a task's agent runs leave for the runs after them. The built-in agent's steps are stored
 * as its model saw them (`trajectory_steps`: the assistant's text and tool calls, the tool results,
 * masked and cut to size when recorded); a CLI agent's session id is stored on its run. A run is
 * given the task before its prompt: user messages, answers, and earlier steps in the order they
 * happened, bounded with the oldest dropped first and whole steps only; a CLI agent also gets the
 * session to resume and a recap of each earlier run (tools run, files changed, how it ended).
 */
import { and, asc, desc, eq, gt, inArray, isNotNull, lt, sql } from 'drizzle-orm';
import type {
  AgentStepTurn,
  HistoryItem,
  RunMemoryBody,
  RunRecap,
  StepMessage,
} from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { events, modelExchanges, runs, trajectorySteps } from '../db/schema.ts';
import { HISTORY_MAX_CHARS, HISTORY_MAX_TURNS } from './conversation.ts';

/** The most stored steps a run's history is built from (the latest ones). */
export const HISTORY_MAX_STEPS = 500;
/** The most message events it is built from (the latest ones). */
const HISTORY_MAX_EVENTS = 3 * HISTORY_MAX_TURNS;
/** The most earlier runs a CLI agent's recap tells of (the latest ones), and calls per run. */
export const RECAP_MAX_RUNS = 10;
export const RECAP_MAX_CALLS = 40;
const RECAP_DETAIL_CHARS = 200;

/**
 * Stores what a run keeps: a step or a model exchange (each stored once: a repeated report is
 * ignored), or the CLI session id it reported.
 *
 * @example
 * await rememberRun(db, { runId, taskId, memory: { kind: 'session', id: 'a1b2…' } });
 */
export async function rememberRun(
  db: Db,
  { runId, taskId, memory }: { runId: string; taskId: string; memory: RunMemoryBody },
): Promise<void> {
  if (memory.kind === 'session') {
    await db.update(runs).set({ agentSession: memory.id }).where(eq(runs.id, runId));
    return;
  }
  if (memory.kind === 'exchange') {
    const { step, afterSeq, exchange } = memory;
    await db
      .insert(modelExchanges)
      .values({ runId, taskId, step, afterSeq, exchange })
      .onConflictDoNothing();
    return;
  }
  await db
    .insert(trajectorySteps)
    .values({
      runId,
      taskId,
      step: memory.step,
      afterSeq: memory.afterSeq,
      messages: memory.messages,
      chars: stepChars(memory.messages),
    })
    .onConflictDoNothing();
}

/** What a run is given of its task: its history, and for CLI agents a session and a recap. */
export interface TaskMemory {
  history: HistoryItem[];
  session?: string;
  /** The user's messages the session's run never read (a CLI reads none while it works). */
  unseen: string[];
  earlierRuns: RunRecap[];
}

/**
 * What the task holds before sequence number `beforeSeq` (the run's prompt), for an agent run.
 *
 * @example
 * const memory = await agentMemory(db, { taskId, beforeSeq: spec.promptSeq, agent: 'lucid' });
 */
export async function agentMemory(
  db: Db,
  { taskId, beforeSeq, agent }: { taskId: string; beforeSeq: number; agent: string },
): Promise<TaskMemory> {
  const history = await historyBefore(db, { taskId, beforeSeq });
  if (agent === 'lucid') return { history, unseen: [], earlierRuns: [] };
  const earlier = await db
    .select({
      id: runs.id,
      spec: runs.spec,
      status: runs.status,
      errorMessage: runs.errorMessage,
      agentSession: runs.agentSession,
    })
    .from(runs)
    .where(
      and(
        eq(runs.taskId, taskId),
        isNotNull(sql`${runs.spec}->>'agent'`),
        lt(sql`coalesce((${runs.spec}->>'promptSeq')::int, 0)`, beforeSeq),
      ),
    )
    .orderBy(desc(runs.createdAt))
    .limit(RECAP_MAX_RUNS);
  const resumed = earlier.find((run) => run.spec.agent === agent && run.agentSession);
  return {
    history,
    ...(resumed?.agentSession ? { session: resumed.agentSession } : {}),
    unseen: resumed
      ? await userMessagesBetween(db, {
          taskId,
          after: resumed.spec.promptSeq ?? 0,
          before: beforeSeq,
        })
      : [],
    earlierRuns: await recaps(db, taskId, earlier.reverse()),
  };
}

/** The user's messages between two sequence numbers, oldest first: those a CLI session missed. */
async function userMessagesBetween(
  db: Db,
  { taskId, after, before }: { taskId: string; after: number; before: number },
): Promise<string[]> {
  const rows = await db
    .select({ payload: events.payload })
    .from(events)
    .where(
      and(
        eq(events.taskId, taskId),
        gt(events.seq, after),
        lt(events.seq, before),
        eq(events.type, 'message.user'),
      ),
    )
    .orderBy(asc(events.seq))
    .limit(HISTORY_MAX_TURNS);
  return rows.map((row) => String(row.payload.text ?? ''));
}

interface Placed {
  /** Where it stands: an event's seq, or the seq a step came after. */
  at: number;
  /** Among items at one place: the event first, then steps by their run's start and number. */
  order: [number, number];
  chars: number;
  item: HistoryItem;
}

/**
 * The task before `beforeSeq`, oldest first: `message.user` events, the built-in agent's steps
 * in place of its answers, and other agents' answers; the latest that fit
 * {@link HISTORY_MAX_CHARS}, starting with a user message.
 */
export async function historyBefore(
  db: Db,
  { taskId, beforeSeq }: { taskId: string; beforeSeq: number },
): Promise<HistoryItem[]> {
  if (beforeSeq <= 1) return [];
  const steps = await db
    .select({
      runId: trajectorySteps.runId,
      step: trajectorySteps.step,
      afterSeq: trajectorySteps.afterSeq,
      messages: trajectorySteps.messages,
      chars: trajectorySteps.chars,
      runCreatedAt: runs.createdAt,
    })
    .from(trajectorySteps)
    .innerJoin(runs, eq(runs.id, trajectorySteps.runId))
    .where(and(eq(trajectorySteps.taskId, taskId), lt(trajectorySteps.afterSeq, beforeSeq)))
    .orderBy(desc(trajectorySteps.afterSeq), desc(runs.createdAt), desc(trajectorySteps.step))
    .limit(HISTORY_MAX_STEPS);
  const stepRuns = [...new Set(steps.map((step) => step.runId))];
  const messages = await db
    .select({ seq: events.seq, type: events.type, runId: events.runId, payload: events.payload })
    .from(events)
    .where(
      and(
        eq(events.taskId, taskId),
        lt(events.seq, beforeSeq),
        inArray(events.type, ['message.user', 'message.assistant']),
      ),
    )
    .orderBy(desc(events.seq))
    .limit(HISTORY_MAX_EVENTS);

  // Runs whose steps are stored are told by them; their answers are in the steps.
  const stepped = new Set(stepRuns);
  const placed: Placed[] = [];
  for (const row of messages) {
    if (row.type === 'message.assistant' && row.runId && stepped.has(row.runId)) continue;
    const text = String(row.payload.text ?? '');
    const role = row.type === 'message.user' ? 'user' : 'assistant';
    placed.push({ at: row.seq, order: [0, 0], chars: text.length, item: { role, text } });
  }
  for (const step of steps) {
    const turn: AgentStepTurn = { role: 'step', messages: step.messages };
    const order: [number, number] = [step.runCreatedAt.getTime(), step.step];
    placed.push({ at: step.afterSeq, order, chars: step.chars, item: turn });
  }
  // Where a list was cut by its limit, older items of the other are left out too: they would
  // stand without what happened between them. Steps cut at one place may have more there.
  const floor = Math.max(
    steps.length === HISTORY_MAX_STEPS ? (steps.at(-1)?.afterSeq ?? 0) + 1 : 0,
    messages.length === HISTORY_MAX_EVENTS ? (messages.at(-1)?.seq ?? 0) : 0,
  );
  placed.sort((a, b) => b.at - a.at || b.order[0] - a.order[0] || b.order[1] - a.order[1]);

  const kept: HistoryItem[] = [];
  let chars = 0;
  for (const { at, chars: size, item } of placed) {
    if (at < floor || chars + size > HISTORY_MAX_CHARS) break;
    chars += size;
    kept.unshift(item);
  }
  while (kept.length > 0 && kept[0]?.role !== 'user') kept.shift();
  return kept;
}

/** Characters of a step's text, tool inputs and results. */
export function stepChars(messages: StepMessage[]): number {
  let chars = 0;
  for (const message of messages) {
    for (const part of message.content) {
      if (part.type === 'text') chars += part.text.length;
      else if (part.type === 'tool-call') chars += JSON.stringify(part.input ?? null).length;
      else {
        const { output } = part;
        chars +=
          output.type === 'json'
            ? JSON.stringify(output.value ?? null).length
            : output.value.length;
      }
    }
  }
  return chars;
}

/** Each earlier run told in brief from its events: the tools it ran, the files, how it ended. */
async function recaps(
  db: Db,
  taskId: string,
  earlier: Array<{
    id: string;
    spec: { agent?: string | undefined };
    status: RunRecap['status'];
    errorMessage: string | null;
  }>,
): Promise<RunRecap[]> {
  if (earlier.length === 0) return [];
  const rows = await db
    .select({ runId: events.runId, type: events.type, payload: events.payload })
    .from(events)
    .where(
      and(
        eq(events.taskId, taskId),
        inArray(
          events.runId,
          earlier.map((run) => run.id),
        ),
        inArray(events.type, ['tool.call', 'tool.result', 'file.changed', 'message.assistant']),
      ),
    )
    .orderBy(asc(events.seq));
  return earlier.map((run) => {
    const calls: RunRecap['calls'] = [];
    const files = new Set<string>();
    let answer = '';
    for (const row of rows) {
      if (row.runId !== run.id) continue;
      const payload = row.payload;
      if (row.type === 'tool.call') {
        const input = (payload.input ?? {}) as Record<string, unknown>;
        const tool = String(payload.tool);
        calls.push({ tool, detail: callDetail(input), ok: null });
        if (WRITES.test(tool)) for (const file of pathsIn(input)) files.add(file);
      } else if (row.type === 'tool.result') {
        const open = calls.findLast((call) => call.ok === null);
        if (open) open.ok = payload.ok === true;
      } else if (row.type === 'file.changed') {
        files.add(String(payload.path));
      } else {
        answer = String(payload.text ?? '').trim() || answer;
      }
    }
    const failed = run.status !== 'succeeded' && run.errorMessage;
    return {
      agent: run.spec.agent ?? 'lucid',
      status: run.status,
      calls: calls.slice(-RECAP_MAX_CALLS),
      files: [...files].sort(),
      result: clip(
        failed ? `${run.errorMessage}${answer ? ` Last answer: ${answer}` : ''}` : answer,
        2_000,
      ),
    };
  });
}

/** A tool call's input in a line: its command when it has one, else its JSON. */
function callDetail(input: Record<string, unknown>): string {
  const command = input.command ?? input.cmd;
  return clip(typeof command === 'string' ? command : JSON.stringify(input), RECAP_DETAIL_CHARS);
}

/** Tools that change files, by their names across agents (Write, edit_file, apply_patch…). */
const WRITES = /write|edit|patch|replace|create/i;

/** The workspace paths a tool call's input names. */
function pathsIn(input: Record<string, unknown>): string[] {
  const found: string[] = [];
  for (const key of ['file_path', 'filePath', 'path', 'absolute_path']) {
    const value = input[key];
    if (typeof value === 'string') found.push(value);
  }
  if (Array.isArray(input.changes)) {
    for (const change of input.changes as unknown[]) {
      const value = (change as { path?: unknown } | null)?.path;
      if (typeof value === 'string') found.push(value);
    }
  }
  return found.map((value) => value.replace(/^\/workspace\//, ''));
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
