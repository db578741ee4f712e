/**
 * @module tasks/board
 * The board's read model: a repository's tasks with their newest run, filtered by text, status and
 * agent, for the five columns of contracts' board.ts. Visible to the members of the repository's
 * workspace; to anyone else the repository does not exist.
 */
import { and, desc, eq, ilike, inArray, isNull, ne, or, type SQL } from 'drizzle-orm';
import type { AgentName, DiffStats, TaskStatus } from '@lucid/contracts';
import { runs, tasks } from '../db/schema.ts';
import { bareRepoPath, listBranches } from '../git/bare-repo.ts';
import { diffStats } from '../git/diff-stats.ts';
import { loadRepo, type RepoContext } from '../repos/repos.ts';
import type { RunRow, TaskRow } from './runs.ts';
import { attemptTallies } from './attempts.ts';
import type { WorkspaceQuotaDefaults } from '../config.ts';
import { concurrentRunsFull } from '../workspaces/quotas.ts';

/** The most cards a board shows, most recently updated first. */
export const BOARD_MAX_CARDS = 500;

export interface BoardFilter {
  /** Matches the title or the prompt, case-insensitively. */
  q?: string | undefined;
  status?: TaskStatus | undefined;
  agent?: AgentName | undefined;
}

export interface BoardRows {
  repoId: string;
  repoName: string;
  cards: {
    task: TaskRow;
    latestRun: RunRow | null;
    diffStats: DiffStats | null;
    /** Why a queued task waits: its workspace runs all the runs at once it may. */
    waiting?: string | undefined;
    /** A best-of-N task's attempts, and how many passed the check command. */
    attempts: { total: number; green: number } | null;
  }[];
}

/**
 * A repository's tasks for its board, each with its newest run.
 *
 * @example
 * const { cards } = await readBoard(ctx, { userId, repoId, filter: { agent: 'lucid' } });
 */
export async function readBoard(
  ctx: RepoContext,
  {
    userId,
    repoId,
    filter,
    quotas,
  }: {
    userId: string;
    repoId: string;
    filter: BoardFilter;
    /** The server's default quotas: queued cards of a workspace at its limit say they wait. */
    quotas?: WorkspaceQuotaDefaults | undefined;
  },
): Promise<BoardRows> {
  const repo = await loadRepo(ctx, userId, repoId);
  // Attempts stand behind their best-of-N task's card; an eval's tasks are measured, not reviewed.
  const conditions: (SQL | undefined)[] = [
    eq(tasks.repoId, repo.id),
    isNull(tasks.attemptOf),
    ne(tasks.source, 'eval'),
  ];
  if (filter.status) conditions.push(eq(tasks.status, filter.status));
  if (filter.agent) conditions.push(eq(tasks.agent, filter.agent));
  if (filter.q) {
    const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(or(ilike(tasks.title, pattern), ilike(tasks.prompt, pattern)));
  }
  const rows = await ctx.db
    .select()
    .from(tasks)
    .where(and(...conditions))
    .orderBy(desc(tasks.updatedAt), desc(tasks.id))
    .limit(BOARD_MAX_CARDS);
  const latest = new Map<string, RunRow>();
  if (rows.length > 0) {
    const newest = await ctx.db
      .selectDistinctOn([runs.taskId])
      .from(runs)
      .where(
        inArray(
          runs.taskId,
          rows.map((row) => row.id),
        ),
      )
      .orderBy(runs.taskId, desc(runs.createdAt), desc(runs.id));
    for (const run of newest) latest.set(run.taskId, run);
  }
  const stats = await branchStats(bareRepoPath(ctx.gitRoot, repo.id), rows);
  const tallies = await attemptTallies(
    ctx.db,
    rows.filter((row) => row.attemptCount !== null).map((row) => row.id),
  );
  const full =
    quotas && rows.some((row) => row.status === 'queued')
      ? await concurrentRunsFull(ctx.db, repo.workspaceId, quotas)
      : null;
  const waiting =
    full === null
      ? undefined
      : `Waiting: the workspace runs ${full} ${full === 1 ? 'task' : 'tasks'} at once`;
  return {
    repoId: repo.id,
    repoName: repo.name,
    cards: rows.map((task, index) => ({
      task,
      latestRun: latest.get(task.id) ?? null,
      diffStats: stats[index] ?? null,
      attempts: tallies.get(task.id) ?? null,
      ...(task.status === 'queued' && waiting ? { waiting } : {}),
    })),
  };
}

/** Each task's branch against its base branch, in order; null where either branch is missing. */
async function branchStats(repoPath: string, rows: TaskRow[]): Promise<(DiffStats | null)[]> {
  if (rows.length === 0) return [];
  const tips = new Map((await listBranches(repoPath)).map((branch) => [branch.name, branch.sha]));
  const wanted: { index: number; base: string; tip: string }[] = [];
  rows.forEach((task, index) => {
    const tip = tips.get(task.branch);
    const base = tips.get(task.baseBranch);
    if (tip && base) wanted.push({ index, base, tip });
  });
  const answers = await diffStats(repoPath, wanted);
  const stats: (DiffStats | null)[] = rows.map(() => null);
  wanted.forEach(({ index }, at) => {
    stats[index] = answers[at] ?? null;
  });
  return stats;
}
