/**
 * @module tasks/manage
 * What a member does to a task besides working on it: rename it (or change its prompt, agent and
 * model before it first runs), delete it (stopping what runs is `tasks/cancel.ts`).
 * Each change is audited in the same transaction.
 *
 * Deleting a task removes its runs and events (by cascade) but not its sandbox: the runner that
 * made it finds no task using it and removes it as an orphan (`Reaper`).
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { AgentName } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { runs, tasks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { recordAudit } from '../audit/audit.ts';
import { llmConfigFor, type ProviderKeyContext } from '../llm/provider-keys.ts';
import type { Principal } from '../principal.ts';
import { chooseAgent, type AvailableAgents } from './agent-choice.ts';
import { notifyBoard } from './live-channel.ts';
import type { RunRow, TaskRow } from './runs.ts';
import { loadTask } from './tasks.ts';

/** The task's queued or running run, if it has one. */
export async function pendingRun(db: Db, taskId: string): Promise<RunRow | null> {
  const [run] = await db
    .select()
    .from(runs)
    .where(and(eq(runs.taskId, taskId), inArray(runs.status, ['queued', 'running'])))
    .limit(1);
  return run ?? null;
}

/** What a member may change of a task: its title; its prompt, agent and model before it runs. */
export interface TaskChanges {
  title?: string | undefined;
  prompt?: string | undefined;
  agent?: AgentName | undefined;
  model?: string | undefined;
}

/**
 * Changes a task: renames it at any time; changes its prompt, agent or model only while it is to
 * do and has never run (`invalid_transition` otherwise), the agent and model checked as at
 * creation (`agent_unavailable`, `model_unavailable`).
 *
 * @example
 * const task = await updateTask(db, { actor, taskId, changes: { title: 'Fix the login page' }, providers });
 */
export async function updateTask(
  db: Db,
  {
    actor,
    taskId,
    changes,
    providers,
    agents = {},
  }: {
    actor: Principal;
    taskId: string;
    changes: TaskChanges;
    providers: ProviderKeyContext;
    /** CLI agents this server's runners run, each with the model providers it speaks. */
    agents?: AvailableAgents;
  },
): Promise<TaskRow> {
  const task = await loadTask(db, actor.userId, taskId, 'member');
  const { title, prompt } = changes;
  const choosing = changes.agent !== undefined || changes.model !== undefined;
  const choice = choosing
    ? await chooseAgent(
        await llmConfigFor(providers, {
          userId: actor.userId,
          workspaceId: task.workspaceId,
        }),
        agents,
        {
          agent: changes.agent ?? (task.agent as AgentName | null) ?? 'lucid',
          model: changes.model ?? task.model ?? undefined,
        },
      )
    : null;
  return db.transaction(async (tx) => {
    if (prompt !== undefined || choice) {
      const [locked] = await tx.select().from(tasks).where(eq(tasks.id, task.id)).for('update');
      const [run] = await tx
        .select({ id: runs.id })
        .from(runs)
        .where(eq(runs.taskId, task.id))
        .limit(1);
      if (locked?.status !== 'todo' || run) {
        throw new AppError(
          'invalid_transition',
          `“${task.title}” has already run: its description, agent and model can only be changed before it first runs.`,
        );
      }
    }
    const [updated] = await tx
      .update(tasks)
      .set({
        ...(title !== undefined ? { title } : {}),
        ...(prompt !== undefined ? { prompt } : {}),
        ...(choice ?? {}),
        updatedAt: new Date(),
      })
      .where(eq(tasks.id, task.id))
      .returning();
    if (!updated) throw new AppError('task_not_found', 'This task no longer exists.');
    await notifyBoard(tx, { repoId: updated.repoId, taskId: updated.id, status: updated.status });
    await recordAudit(tx, {
      actor,
      action: 'task.update',
      targetType: 'task',
      targetId: task.id,
      workspaceId: task.workspaceId,
      metadata: {
        ...(title !== undefined ? { title } : {}),
        ...(prompt !== undefined ? { prompt: true } : {}),
        ...(choice ?? {}),
      },
    });
    return updated;
  });
}

/**
 * Deletes a task with its runs and events; refused with `conflict` while a run is queued or
 * running (stop it first).
 */
export async function deleteTask(
  db: Db,
  { actor, taskId }: { actor: Principal; taskId: string },
): Promise<void> {
  const task = await loadTask(db, actor.userId, taskId, 'member');
  await db.transaction(async (tx) => {
    await tx.select({ id: tasks.id }).from(tasks).where(eq(tasks.id, task.id)).for('update');
    const pending = await pendingRun(tx, task.id);
    if (pending) {
      throw new AppError(
        'conflict',
        `“${task.title}” has a run ${pending.status === 'queued' ? 'waiting to start' : 'working'}; stop it before deleting the task.`,
      );
    }
    await tx.delete(tasks).where(eq(tasks.id, task.id));
    await notifyBoard(tx, { repoId: task.repoId, taskId: task.id, status: null });
    await recordAudit(tx, {
      actor,
      action: 'task.delete',
      targetType: 'task',
      targetId: task.id,
      workspaceId: task.workspaceId,
      metadata: { title: task.title },
    });
  });
}
