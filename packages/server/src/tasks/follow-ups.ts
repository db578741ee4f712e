/**
 * @module tasks/follow-ups
 * The user's follow-ups to a task's agent. Each is stored at once as a `message.user` event, so
 * nothing is lost. While an agent run is queued or running, the agent reads it before its next
 * model step (the run's inbox, `tasks/conversation.ts`); otherwise it starts a new run of the same
 * agent and model on the task's branch, in its sandbox or restored from its snapshot, which is
 * given the conversation so far. A follow-up that would start a run while the workspace's monthly
 * model budget is spent is refused (429 `quota_exceeded`) before anything is stored: the message
 * stays with its writer (the web keeps it in the composer) to send again later.
 */
import { and, desc, eq, isNotNull, sql } from 'drizzle-orm';
import type { WorkspaceQuotaDefaults } from '../config.ts';
import type { Db } from '../db/client.ts';
import { runs, tasks, type RunSpec } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../principal.ts';
import { appendEvents } from './events.ts';
import { firstPromptSeq } from './first-prompt.ts';
import { pendingRun } from './manage.ts';
import { enqueueRun, type RunRow } from './runs.ts';
import { loadTask } from './tasks.ts';

export interface PostedFollowUp {
  seq: number;
  delivery: 'next_step' | 'new_run';
  run: RunRow | null;
}

/**
 * Posts a follow-up to the task's agent; `no_agent` for a task that runs shell commands only.
 *
 * @example
 * const { delivery, run } = await postMessage(db, { actor, taskId, text: 'Also add a test.', quotas });
 */
export async function postMessage(
  db: Db,
  {
    actor,
    taskId,
    text,
    quotas,
  }: { actor: Principal; taskId: string; text: string; quotas: WorkspaceQuotaDefaults },
): Promise<PostedFollowUp> {
  const task = await loadTask(db, actor.userId, taskId, 'member');
  if (!task.agent) {
    throw new AppError(
      'no_agent',
      `“${task.title}” runs shell commands only, so no agent reads messages; queue a run with commands instead.`,
    );
  }
  return db.transaction(async (tx) => {
    // One follow-up at a time per task, so two at once never start two runs.
    await tx.execute(sql`select id from ${tasks} where ${tasks.id} = ${task.id} for update`);
    const pending = await pendingRun(tx, task.id);
    // Before any run, the prompt is not stored yet: it opens the conversation.
    await firstPromptSeq(tx, task);
    const [message] = await appendEvents(tx, {
      taskId: task.id,
      runId: pending?.id ?? null,
      events: [{ type: 'message.user', text }],
    });
    if (!message) throw new AppError('internal', 'The message was not stored.');
    await recordAudit(tx, {
      actor,
      action: 'task.message',
      targetType: 'task',
      targetId: task.id,
      workspaceId: task.workspaceId,
      metadata: { seq: message.seq },
    });
    if (pending) return { seq: message.seq, delivery: 'next_step', run: null };
    const [previous] = await tx
      .select({ spec: runs.spec })
      .from(runs)
      .where(and(eq(runs.taskId, task.id), isNotNull(sql`${runs.spec} ->> 'agent'`)))
      .orderBy(desc(runs.createdAt))
      .limit(1);
    const spec: RunSpec = {
      commands: [],
      agent: 'lucid',
      ...(task.model ? { model: task.model } : {}),
      ...previous?.spec,
      prompt: text,
      promptSeq: message.seq,
    };
    const run = await enqueueRun(tx, { taskId: task.id, spec, quotas });
    return { seq: message.seq, delivery: 'new_run', run };
  });
}
