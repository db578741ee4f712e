/**
 * @module tasks
 * Tasks: work on a repository, done in runs, recorded as events.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.ts';
import { TaskStatus } from './events.ts';
import { Run } from './runners.ts';

export const Task = z
  .object({
    id: Id,
    workspaceId: Id,
    repoId: Id,
    title: z.string(),
    prompt: z.string(),
    status: TaskStatus,
    branch: z.string(),
    baseBranch: z.string(),
    lastSeq: z.number().int(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Task' });
export type Task = z.infer<typeof Task>;

export const CreateTaskBody = z.object({
  repoId: Id,
  prompt: z.string().trim().min(1).max(100_000),
  title: z.string().trim().min(1).max(200).optional(),
  baseBranch: z.string().trim().min(1).max(200).optional(),
  commands: z
    .array(z.string().min(1).max(100_000))
    .max(100)
    .optional()
    .describe(
      'Shell commands the run executes in the task sandbox, in order. Without them the built-in agent works on the prompt.',
    ),
  model: z
    .string()
    .trim()
    .min(3)
    .max(200)
    .optional()
    .describe(
      'The model the agent uses, as provider/name (see GET /api/v1/models); the default otherwise.',
    ),
  start: z.boolean().default(true),
});
export type CreateTaskBody = z.infer<typeof CreateTaskBody>;

export const QueueRunBody = z.object({
  commands: z
    .array(z.string().min(1).max(100_000))
    .max(100)
    .default([])
    .describe('Shell commands the run executes in the task sandbox, in order.'),
});
export type QueueRunBody = z.infer<typeof QueueRunBody>;

export const CreatedTask = z.object({ task: Task, run: Run.nullable() });

export const RunList = z.object({ runs: z.array(Run) });

export const EventsQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
