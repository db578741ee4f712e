/**
 * @module quotas
 * A workspace's quotas: tasks a day, runs at once and a monthly model budget, each the server's
 * default unless the workspace's owner sets its own; 0 is no limit.
 */
import { z } from 'zod';

/** One quota: what applies, and whether it is the workspace's own or the server's default. */
export const QuotaValue = z
  .object({
    /** What applies; 0 is no limit. */
    limit: z.number().min(0),
    /** The server's default (`LUCID_WORKSPACE_*`), which applies when the workspace sets none. */
    default: z.number().min(0),
    /** True when the workspace's owner set this limit. */
    overridden: z.boolean(),
  })
  .meta({ id: 'QuotaValue' });
export type QuotaValue = z.infer<typeof QuotaValue>;

/** A workspace's quotas and what it has used of them. */
export const WorkspaceQuotas = z
  .object({
    workspaceId: z.string(),
    tasksPerDay: QuotaValue.extend({ used: z.number().int().min(0) }),
    concurrentRuns: QuotaValue.extend({ used: z.number().int().min(0) }),
    monthlyBudgetUsd: QuotaValue.extend({ used: z.number().min(0) }),
    /** Whether the caller may change them (the workspace's owner). */
    editable: z.boolean(),
  })
  .meta({ id: 'WorkspaceQuotas' });
export type WorkspaceQuotas = z.infer<typeof WorkspaceQuotas>;

/**
 * An owner's change: a number sets the workspace's own limit (0: no limit), null goes back to the
 * server's default, and a missing field is left as it is.
 *
 * @example
 * { "tasksPerDay": 20, "concurrentRuns": null }
 */
export const UpdateWorkspaceQuotas = z
  .object({
    tasksPerDay: z.number().int().min(0).max(100_000).nullable().optional(),
    concurrentRuns: z.number().int().min(0).max(1000).nullable().optional(),
    monthlyBudgetUsd: z.number().min(0).max(1_000_000).nullable().optional(),
  })
  .meta({ id: 'UpdateWorkspaceQuotas' });
export type UpdateWorkspaceQuotas = z.infer<typeof UpdateWorkspaceQuotas>;
