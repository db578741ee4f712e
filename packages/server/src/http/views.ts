/**
 * @module http/views
 * Rows as the API shows them: dates as ISO strings, internal columns left out.
 */
import type { Board, BoardCard, Run, RunPhase, RunPhases, Task } from '@lucid/contracts';
import { BoardColumnId, boardColumnOf } from '@lucid/contracts';
import type { BoardRows } from '../tasks/board.ts';
import type { RunRow, TaskRow } from '../tasks/runs.ts';

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
    attempts: row.attemptCount,
    keep: row.keepMode,
    keptAttemptId: row.keptAttemptId,
    attemptOf: row.attemptOf,
    planMode: row.planMode,
    plan: row.plan ?? null,
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
    phases: runPhases(row),
    ...(row.traceId ? { traceId: row.traceId } : {}),
  };
}

/** The run's phases in the order they happened, each timed from the one before. */
function runPhases(row: RunRow): RunPhases {
  const marks: Array<[RunPhase, number]> = [['queued', row.createdAt.getTime()]];
  if (row.startedAt) marks.push(['claimed', row.startedAt.getTime()]);
  for (const [phase, at] of Object.entries(row.spec.phases ?? {})) {
    if (at !== undefined) marks.push([phase as RunPhase, at]);
  }
  marks.sort((a, b) => a[1] - b[1]);
  return marks.map(([phase, at], index) => ({
    phase,
    at: new Date(at).toISOString(),
    ms: index === 0 ? 0 : at - marks[index - 1]![1],
  }));
}

/** A repository's board: its cards in the five columns, each column most recently updated first. */
export function toBoard(rows: BoardRows, now = Date.now()): Board {
  const columns = new Map<BoardColumnId, BoardCard[]>(BoardColumnId.options.map((id) => [id, []]));
  for (const { task, latestRun, diffStats, waiting, attempts } of rows.cards) {
    const started = latestRun?.startedAt?.getTime() ?? null;
    const ended = latestRun?.finishedAt?.getTime() ?? now;
    columns.get(boardColumnOf(task.status))?.push({
      ...toTask(task),
      repoName: rows.repoName,
      awaitingMerge: task.status === 'awaiting_merge',
      planReview: task.status === 'plan_review',
      noChanges: task.status === 'todo' && latestRun?.noChanges === true,
      ...(waiting ? { waiting } : {}),
      latestRun: latestRun
        ? {
            id: latestRun.id,
            status: latestRun.status,
            startedAt: latestRun.startedAt?.toISOString() ?? null,
            finishedAt: latestRun.finishedAt?.toISOString() ?? null,
            durationMs: started === null ? null : Math.max(0, ended - started),
          }
        : null,
      diffStats,
      attempts,
    });
  }
  return {
    repoId: rows.repoId,
    columns: [...columns].map(([id, cards]) => ({ id, cards })),
  };
}
