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

/**
 * How the pipeline did for the tasks created in the range: its success metrics, measured from
 * what Lucid recorded.
 */
export const PipelineMetrics = z.object({
  tasks: z.number().int().describe('Tasks created in the range.'),
  previewReadyMedianMs: z
    .number()
    .nullable()
    .describe(
      'Median time from a task’s start (its first run started) to its first preview ready; null without one.',
    ),
  previewReadyP90Ms: z.number().nullable().describe('The 90th percentile of that time.'),
  previewsReady: z.number().int().describe('Tasks that reached a ready preview.'),
  finishedTasks: z.number().int().describe('Tasks done, failed or cancelled.'),
  testedTasks: z
    .number()
    .int()
    .describe('Finished tasks with at least one `check.result` recorded.'),
  testsPassed: z.number().int().describe('Of those, tasks whose last check passed.'),
  testsPassShare: z
    .number()
    .nullable()
    .describe('testsPassed / testedTasks (0 to 1); null when no finished task had a check.'),
  costPerTaskUsd: z
    .number()
    .nullable()
    .describe('What the models cost, per task created in the range; null without a task.'),
  secretsBlocked: z.number().int().describe('Pushes the secret scan blocked.'),
  unauthorizedDeployments: z
    .number()
    .int()
    .describe('Production deployments with no recorded approval: must be 0.'),
});
export type PipelineMetrics = z.infer<typeof PipelineMetrics>;

export const UsageReport = z
  .object({
    workspaceId: Id,
    from: z.iso.datetime(),
    to: z.iso.datetime().describe('The end of the range, excluded.'),
    groupBy: UsageGroupBy,
    totals: UsageFigures,
    groups: z.array(UsageGroup),
    pipeline: PipelineMetrics,
  })
  .meta({ id: 'UsageReport' });
export type UsageReport = z.infer<typeof UsageReport>;
