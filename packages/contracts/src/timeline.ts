/**
 * @module timeline
 * A task's pipeline as one horizontal timeline: where it came from, its plan, the coding, the
 * tests, the safety checks, the pull request, the preview, the approval and production, each with
 * its status, its times, what its models cost, why it failed and the action that retries it.
 */
import { z } from 'zod';
import { Timestamp } from './common.ts';

/** The event types a stage moves on; the web refetches the timeline when one arrives. */
export const TIMELINE_EVENT_TYPES = [
  'plan.proposed',
  'plan.approved',
  'plan.rejected',
  'plan.step',
  'check.result',
  'safety.check',
  'safety.allowed',
  'pr.opened',
  'pr.updated',
  'pr.pending',
  'error',
  'review',
  'task.status',
  'deployment.state',
  'deployment.gate',
] as const;

/** The stages of a task's pipeline, in order. */
export const TimelineStageName = z.enum([
  'source',
  'plan',
  'coding',
  'tests',
  'safety',
  'pr',
  'preview',
  'approval',
  'production',
]);
export type TimelineStageName = z.infer<typeof TimelineStageName>;

/**
 * `pending`: not begun; `running`: under way; `waiting`: waiting for a person; `skipped`: it did not
 * happen for this task (nothing to do, or a later stage went on without it).
 */
export const TimelineStageStatus = z.enum([
  'pending',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'waiting',
]);
export type TimelineStageStatus = z.infer<typeof TimelineStageStatus>;

/** The existing action that retries a failed stage: a request the caller may send as it is. */
export const TimelineRetry = z.object({
  action: z
    .enum(['task.retry', 'deployment.redeploy', 'safety.allow'])
    .describe(
      '`task.retry`: run the task again (or push again when its push was refused); `deployment.redeploy`: deploy the failed preview again; `safety.allow`: allow the secret scan’s findings once and push again.',
    ),
  label: z.string().describe('What the button says.'),
  method: z.literal('POST'),
  path: z.string().describe('The API path to send it to.'),
  body: z.record(z.string(), z.unknown()).nullable().describe('The JSON body to send, if any.'),
});
export type TimelineRetry = z.infer<typeof TimelineRetry>;

export const TimelineStage = z.object({
  stage: TimelineStageName,
  label: z.string().describe('The stage’s name, as a person reads it.'),
  status: TimelineStageStatus,
  detail: z
    .string()
    .nullable()
    .describe('A short line on what happened: the source, the run, the checks, the request.'),
  url: z
    .string()
    .nullable()
    .describe('Where to see it: the Notion page, the request, the preview.'),
  startedAt: Timestamp.nullable(),
  endedAt: Timestamp.nullable(),
  durationMs: z.number().int().min(0).nullable(),
  costUsd: z
    .number()
    .min(0)
    .nullable()
    .describe('What its model calls cost; null for a stage that calls no model.'),
  reason: z.string().nullable().describe('Why it failed, in a sentence.'),
  retry: TimelineRetry.nullable(),
});
export type TimelineStage = z.infer<typeof TimelineStage>;

export const TaskTimeline = z
  .object({
    taskId: z.string(),
    stages: z.array(TimelineStage),
  })
  .meta({ id: 'TaskTimeline' });
export type TaskTimeline = z.infer<typeof TaskTimeline>;
