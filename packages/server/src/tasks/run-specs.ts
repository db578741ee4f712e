/**
 * @module tasks/run-specs
 * The spec of the run a board move queues: the first run of a task on its prompt, a run on a new
 * user message (a review note) with the agent and model of the last run, or the last run again.
 */
import { desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { runs, type RunSpec } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { appendEvents } from './events.ts';
import { firstPromptSeq } from './first-prompt.ts';
import { planSpec, plans } from './plan-specs.ts';
import type { TaskRow } from './runs.ts';

/** The spec of the task's newest run, if it has one. */
export async function lastSpec(tx: Db, taskId: string): Promise<RunSpec | null> {
  const [run] = await tx
    .select({ spec: runs.spec })
    .from(runs)
    .where(eq(runs.taskId, taskId))
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(1);
  return run?.spec ?? null;
}

/** The text of the message that gives a run the reason its task's work was sent back. */
export function reviewPrompt(note: string): string {
  return [
    'Your previous work on this task was reviewed and sent back. The reviewer said:',
    '',
    note,
    '',
    'Change the work on this branch to address it.',
  ].join('\n');
}

function agentOf(task: TaskRow): NonNullable<RunSpec['agent']> {
  return (task.agent ?? 'lucid') as NonNullable<RunSpec['agent']>;
}

/**
 * The first run of a task that never ran: its agent on its prompt, the conversation's first
 * message; a task that plans first plans.
 */
export async function firstSpec(tx: Db, task: TaskRow): Promise<RunSpec> {
  if (!task.agent) {
    throw new AppError(
      'no_agent',
      `“${task.title}” runs shell commands only; queue a run with its commands instead.`,
    );
  }
  const promptSeq = await firstPromptSeq(tx, task);
  if (plans(task.planMode)) return planSpec(task, promptSeq);
  return {
    commands: [],
    agent: agentOf(task),
    prompt: task.prompt,
    ...(task.model ? { model: task.model } : {}),
    ...(promptSeq !== undefined ? { promptSeq } : {}),
  };
}

/**
 * An agent run's spec on a new user message `text`, stored as the conversation's next
 * `message.user`, with the agent and model of the last run.
 */
export async function agentSpec(
  tx: Db,
  task: TaskRow,
  previous: RunSpec | null,
  text: string,
): Promise<RunSpec> {
  const [stored] = await appendEvents(tx, {
    taskId: task.id,
    runId: null,
    events: [{ type: 'message.user', text }],
  });
  return {
    commands: [],
    agent: agentOf(task),
    ...(task.model ? { model: task.model } : {}),
    ...previous,
    prompt: text,
    ...(stored ? { promptSeq: stored.seq } : {}),
  };
}
