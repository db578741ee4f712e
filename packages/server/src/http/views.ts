/**
 * @module http/views
 * Rows as the API shows them: dates as ISO strings, internal columns left out.
 */
import type { Run, Task } from '@lucid/contracts';
import type { RunRow, TaskRow } from '../tasks/queue.ts';

export function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    repoId: row.repoId,
    title: row.title,
    prompt: row.prompt,
    status: row.status,
    branch: row.branch,
    baseBranch: row.baseBranch,
    lastSeq: row.lastSeq,
    agent: row.agent,
    model: row.model,
    prUrl: row.prUrl,
    prNumber: row.prNumber,
    source: row.source,
    reviewNote: row.reviewNote,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    taskId: row.taskId,
    status: row.status,
    attempt: row.attempt,
    runnerId: row.runnerId,
    sandboxId: row.sandboxId,
    exitCode: row.exitCode,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}
