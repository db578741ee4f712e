/**
 * @module gateway/gateway-metering
 * What runs may spend on models: the budgets are checked before a call goes out: a run's
 * (LUCID_RUN_BUDGET_USD), a user's for the calendar month (LUCID_USER_MONTHLY_BUDGET_USD) and the
 * workspace's monthly budget (its owner's, else LUCID_WORKSPACE_MONTHLY_BUDGET_USD). Each call's
 * usage is recorded by tasks/usage.ts.
 */
import { and, eq, gte, sql } from 'drizzle-orm';
import type { LlmBudgets, WorkspaceQuotaDefaults } from '../config.ts';
import type { Db } from '../db/client.ts';
import { usage as usageTable } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { quotaLimits, spentThisMonth } from '../workspaces/quotas.ts';

/** The run a gateway call is made for, and who pays for it. */
export interface RunCaller {
  runId: string;
  taskId: string;
  workspaceId: string;
  /** The user who created the task; null when that user is gone. */
  userId: string | null;
}

const usd = (amount: number) => `$${amount.toFixed(2)}`;

async function spent(db: Db, where: ReturnType<typeof and>): Promise<number> {
  const [row] = await db
    .select({ total: sql<number>`coalesce(sum(${usageTable.costUsd}), 0)`.mapWith(Number) })
    .from(usageTable)
    .where(where);
  return row?.total ?? 0;
}

/**
 * Throws `budget_exceeded` when the run, its user this month or its workspace this month has spent
 * its budget already.
 *
 * @example
 * await checkBudgets(db, { caller, budgets: config.budgets, quotas: config.workspaceQuotas });
 */
export async function checkBudgets(
  db: Db,
  {
    caller,
    budgets,
    quotas,
  }: { caller: RunCaller; budgets: LlmBudgets; quotas?: WorkspaceQuotaDefaults | undefined },
): Promise<void> {
  if (budgets.runUsd > 0) {
    const used = await spent(db, and(eq(usageTable.runId, caller.runId)));
    if (used >= budgets.runUsd) {
      throw new AppError(
        'budget_exceeded',
        `This run has used ${usd(used)} of its ${usd(budgets.runUsd)} budget (LUCID_RUN_BUDGET_USD). ` +
          'To go on, raise LUCID_RUN_BUDGET_USD on the Lucid server (0 removes the limit) and start a new run.',
      );
    }
  }
  if (budgets.userMonthlyUsd > 0 && caller.userId) {
    const used = await spent(
      db,
      and(
        eq(usageTable.userId, caller.userId),
        gte(usageTable.at, sql`date_trunc('month', now(), 'UTC')`),
      ),
    );
    if (used >= budgets.userMonthlyUsd) {
      throw new AppError(
        'budget_exceeded',
        `The task's owner has used ${usd(used)} of their ${usd(budgets.userMonthlyUsd)} monthly budget ` +
          '(LUCID_USER_MONTHLY_BUDGET_USD). To go on, raise LUCID_USER_MONTHLY_BUDGET_USD on the Lucid ' +
          'server (0 removes the limit), or wait for the next month (UTC).',
      );
    }
  }
  if (quotas) {
    const { monthlyBudgetUsd } = await quotaLimits(db, caller.workspaceId, quotas);
    const used = monthlyBudgetUsd > 0 ? await spentThisMonth(db, caller.workspaceId) : 0;
    if (monthlyBudgetUsd > 0 && used >= monthlyBudgetUsd) {
      throw new AppError(
        'budget_exceeded',
        `The workspace has used ${usd(used)} of its ${usd(monthlyBudgetUsd)} monthly model budget. ` +
          "To go on, ask the workspace's owner to raise it in Settings, or wait for the next month (UTC).",
      );
    }
  }
}
