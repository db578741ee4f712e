/**
 * @module workspaces/quotas
 * A workspace's quotas: tasks a day, runs at once and a monthly model budget. Each is the
 * server's default (`LUCID_WORKSPACE_*`) unless the workspace's owner set its own
 * (`workspace_quotas`); 0 is no limit. Tasks check the first and last as one is created or started,
 * the queue's claim the second, and the LLM gateway the budget before each model call.
 */
import { and, eq, gte, inArray, sql } from 'drizzle-orm';
import type { UpdateWorkspaceQuotas, WorkspaceQuotas } from '@lucid/contracts';
import type { WorkspaceQuotaDefaults } from '../config.ts';
import type { Db } from '../db/client.ts';
import { runs, tasks, usage, workspaceQuotas } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { hasRole, requireRole } from './workspaces.ts';

/** The limits that apply to one workspace; 0 is no limit. */
export type QuotaLimits = WorkspaceQuotaDefaults;

/** The limits that apply to a workspace: its owner's, else the server's defaults. */
export async function quotaLimits(
  db: Db,
  workspaceId: string,
  defaults: WorkspaceQuotaDefaults,
): Promise<QuotaLimits> {
  const [own] = await db
    .select()
    .from(workspaceQuotas)
    .where(eq(workspaceQuotas.workspaceId, workspaceId));
  return {
    tasksPerDay: own?.tasksPerDay ?? defaults.tasksPerDay,
    concurrentRuns: own?.concurrentRuns ?? defaults.concurrentRuns,
    monthlyBudgetUsd: own?.monthlyBudgetUsd ?? defaults.monthlyBudgetUsd,
  };
}

/** Tasks the workspace created since midnight UTC. */
async function tasksToday(db: Db, workspaceId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(tasks)
    .where(
      and(
        eq(tasks.workspaceId, workspaceId),
        gte(tasks.createdAt, sql`date_trunc('day', now(), 'UTC')`),
      ),
    );
  return row?.n ?? 0;
}

/** Runs of the workspace's tasks running now. */
async function runsRunning(db: Db, workspaceId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(runs)
    .innerJoin(tasks, eq(tasks.id, runs.taskId))
    .where(and(eq(tasks.workspaceId, workspaceId), inArray(runs.status, ['running'])));
  return row?.n ?? 0;
}

/** What the workspace's model calls cost since the month began (UTC), in USD. */
export async function spentThisMonth(db: Db, workspaceId: string): Promise<number> {
  const [row] = await db
    .select({ total: sql<number>`coalesce(sum(${usage.costUsd}), 0)`.mapWith(Number) })
    .from(usage)
    .where(
      and(
        eq(usage.workspaceId, workspaceId),
        gte(usage.at, sql`date_trunc('month', now(), 'UTC')`),
      ),
    );
  return row?.total ?? 0;
}

const usd = (amount: number) => `$${amount.toFixed(2)}`;

/** Seconds until the next midnight UTC. */
function secondsToNextDay(now = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.ceil((next - now.getTime()) / 1000);
}

/** Seconds until the next month begins (UTC). */
function secondsToNextMonth(now = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.ceil((next - now.getTime()) / 1000);
}

/** "3 h", "25 min", "4 days": how long a wait is, roughly. */
function roughly(seconds: number): string {
  if (seconds >= 2 * 86_400) return `${Math.round(seconds / 86_400)} days`;
  if (seconds >= 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.max(1, Math.round(seconds / 60))} min`;
}

/**
 * Throws 429 `quota_exceeded` (with `Retry-After`) when the workspace spent its monthly model
 * budget: no new work may start until the month ends or the owner raises it.
 */
export async function assertBudgetLeft(
  db: Db,
  workspaceId: string,
  defaults: WorkspaceQuotaDefaults,
): Promise<void> {
  const { monthlyBudgetUsd } = await quotaLimits(db, workspaceId, defaults);
  if (monthlyBudgetUsd <= 0) return;
  const used = await spentThisMonth(db, workspaceId);
  if (used < monthlyBudgetUsd) return;
  const wait = secondsToNextMonth();
  throw new AppError(
    'quota_exceeded',
    `This workspace has used ${usd(used)} of its ${usd(monthlyBudgetUsd)} monthly model budget; ` +
      `new tasks can start in ${roughly(wait)}, or when its owner raises the budget.`,
    { quota: 'monthlyBudgetUsd', limit: monthlyBudgetUsd },
    wait,
  );
}

/**
 * Checks that the workspace may create one more task today, and its budget is not spent; else
 * 429 `quota_exceeded` with `Retry-After`. Call it in the transaction that stores the task, after
 * {@link lockWorkspaceQuota}, so two tasks created at once cannot both take the last place.
 *
 * @example
 * await assertTaskAllowed(tx, workspaceId, config.workspaceQuotas);
 */
export async function assertTaskAllowed(
  db: Db,
  workspaceId: string,
  defaults: WorkspaceQuotaDefaults,
): Promise<void> {
  const { tasksPerDay } = await quotaLimits(db, workspaceId, defaults);
  if (tasksPerDay > 0 && (await tasksToday(db, workspaceId)) >= tasksPerDay) {
    const wait = secondsToNextDay();
    throw new AppError(
      'quota_exceeded',
      `This workspace has created its ${tasksPerDay} ${tasksPerDay === 1 ? 'task' : 'tasks'} for ` +
        `today; the next can start in ${roughly(wait)}.`,
      { quota: 'tasksPerDay', limit: tasksPerDay },
      wait,
    );
  }
  await assertBudgetLeft(db, workspaceId, defaults);
}

/**
 * Serialises, until `tx` ends, the transactions that check a workspace's quotas (creating tasks,
 * claiming its runs): a transaction-scoped advisory lock on the workspace, taken after any task
 * row lock, never before one.
 */
export async function lockWorkspaceQuota(tx: Db, workspaceId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'quota:' + workspaceId}))`);
}

/**
 * The workspace's quotas and what it used of them, for a member.
 *
 * @example
 * const quotas = await getWorkspaceQuotas(db, { userId, workspaceId, defaults });
 */
export async function getWorkspaceQuotas(
  db: Db,
  {
    userId,
    workspaceId,
    defaults,
  }: { userId: string; workspaceId: string; defaults: WorkspaceQuotaDefaults },
): Promise<WorkspaceQuotas> {
  const role = await requireRole(db, workspaceId, userId, 'viewer');
  const [own] = await db
    .select()
    .from(workspaceQuotas)
    .where(eq(workspaceQuotas.workspaceId, workspaceId));
  const value = (set: number | null | undefined, fallback: number) => ({
    limit: set ?? fallback,
    default: fallback,
    overridden: set !== null && set !== undefined,
  });
  return {
    workspaceId,
    tasksPerDay: {
      ...value(own?.tasksPerDay, defaults.tasksPerDay),
      used: await tasksToday(db, workspaceId),
    },
    concurrentRuns: {
      ...value(own?.concurrentRuns, defaults.concurrentRuns),
      used: await runsRunning(db, workspaceId),
    },
    monthlyBudgetUsd: {
      ...value(own?.monthlyBudgetUsd, defaults.monthlyBudgetUsd),
      used: await spentThisMonth(db, workspaceId),
    },
    editable: hasRole(role, 'owner'),
  };
}

/**
 * Sets the workspace's own quotas (owner only): a number is its limit, null the server's default.
 * `audit` writes the change's audit entry in the same transaction (the audit log sits beside
 * workspaces in the layer order, so the caller brings it).
 *
 * @example
 * await updateWorkspaceQuotas(db, { userId, workspaceId, defaults, change: { tasksPerDay: 20 }, audit });
 */
export async function updateWorkspaceQuotas(
  db: Db,
  {
    userId,
    workspaceId,
    defaults,
    change,
    audit,
  }: {
    userId: string;
    workspaceId: string;
    defaults: WorkspaceQuotaDefaults;
    change: UpdateWorkspaceQuotas;
    audit: (tx: Db, change: UpdateWorkspaceQuotas) => Promise<void>;
  },
): Promise<WorkspaceQuotas> {
  await requireRole(db, workspaceId, userId, 'owner');
  const set = Object.fromEntries(
    Object.entries(change).filter(([, v]) => v !== undefined),
  ) as Partial<typeof workspaceQuotas.$inferInsert>;
  await db.transaction(async (tx) => {
    await tx
      .insert(workspaceQuotas)
      .values({ workspaceId, ...set })
      .onConflictDoUpdate({
        target: workspaceQuotas.workspaceId,
        set: { ...set, updatedAt: new Date() },
      });
    await audit(tx, set);
  });
  return getWorkspaceQuotas(db, { userId, workspaceId, defaults });
}

/** The workspace's limit of runs at once when it runs that many now; else null. */
export async function concurrentRunsFull(
  db: Db,
  workspaceId: string,
  defaults: WorkspaceQuotaDefaults,
): Promise<number | null> {
  const { concurrentRuns } = await quotaLimits(db, workspaceId, defaults);
  if (concurrentRuns <= 0) return null;
  return (await runsRunning(db, workspaceId)) >= concurrentRuns ? concurrentRuns : null;
}

/**
 * An SQL condition on `tasks.workspace_id`: the workspace runs fewer runs than its limit of runs
 * at once (the claim passes over the others).
 */
export function belowConcurrentRuns(defaults: WorkspaceQuotaDefaults) {
  return sql`(
    select coalesce(q.concurrent_runs, ${defaults.concurrentRuns}) = 0
      or (select count(*) from ${runs} r join ${tasks} t on t.id = r.task_id
          where t.workspace_id = ${tasks.workspaceId} and r.status = 'running')
         < coalesce(q.concurrent_runs, ${defaults.concurrentRuns})
    from (select 1) one
    left join ${workspaceQuotas} q on q.workspace_id = ${tasks.workspaceId}
  )`;
}
