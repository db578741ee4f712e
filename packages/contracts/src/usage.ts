/**
 * @module usage
 * What a workspace spends on models, and how its runs ended, over a date range, grouped by day,
 * user, model or task.
 */
import { z } from 'zod';
import { Id } from './common.ts';
import { RunStatus } from './events.ts';

export const UsageGroupBy = z.enum(['day', 'user', 'model', 'task']);
export type UsageGroupBy = z.infer<typeof UsageGroupBy>;

export const UsageQuery = z.object({
  workspaceId: Id.optional().describe('The workspace; by default the caller’s personal one.'),
  from: z
    .string()
    .optional()
    .describe(
      'The first day (`YYYY-MM-DD`, UTC) or instant (ISO 8601); by default 29 days before `to`.',
    ),
  to: z
    .string()
    .optional()
    .describe(
      'The last day, included (`YYYY-MM-DD`, UTC), or an instant (ISO 8601); by default today.',
    ),
  groupBy: UsageGroupBy.default('day'),
  format: z
    .enum(['json', 'csv'])
    .optional()
    .describe('`csv` answers a CSV file; so does `Accept: text/csv`.'),
});
export type UsageQuery = z.infer<typeof UsageQuery>;

/** The figures of a group (or of the whole range). */
export const UsageFigures = z.object({
  calls: z.number().int().describe('Model calls recorded.'),
  inputTokens: z.number().int().describe('All input tokens, cached ones included.'),
  cachedInputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number(),
  runs: z.number().int().describe('Runs created in the range.'),
  outcomes: z
    .record(RunStatus, z.number().int())
    .describe('Those runs by status: succeeded, failed, cancelled, interrupted, or still going.'),
});
export type UsageFigures = z.infer<typeof UsageFigures>;

export const UsageGroup = UsageFigures.extend({
  key: z
    .string()
    .describe(
      'The day (`YYYY-MM-DD`), user id, model (`provider/name`) or task id; empty for none.',
    ),
  label: z.string().describe('The day, the user’s name and email, the model, or the task’s title.'),
});
export type UsageGroup = z.infer<typeof UsageGroup>;

export const UsageReport = z
  .object({
    workspaceId: Id,
    from: z.iso.datetime(),
    to: z.iso.datetime().describe('The end of the range, excluded.'),
    groupBy: UsageGroupBy,
    totals: UsageFigures,
    groups: z.array(UsageGroup),
  })
  .meta({ id: 'UsageReport' });
export type UsageReport = z.infer<typeof UsageReport>;
