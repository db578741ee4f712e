/**
 * @module runners
 * Runners execute runs. These are the shapes of the runner API (what `lucid runner` on another host
 * speaks) and of the runners list.
 */
import { z } from 'zod';
import { EventBody, RunStatus } from './events.ts';
import { Id, Timestamp } from './common.ts';

/** What a runner gets when it claims a run: everything it needs, and nothing secret but the run token. */
export const ClaimedRun = z.object({
  run: z.object({
    id: Id,
    taskId: Id,
    attempt: z.number().int(),
    commands: z.array(z.string()),
  }),
  task: z.object({
    id: Id,
    repoId: Id,
    branch: z.string(),
    baseBranch: z.string(),
    sandboxId: z.string().nullable(),
  }),
  git: z.object({
    /** Clone URL as the sandbox reaches Lucid. */
    cloneUrl: z.string(),
    /** Reads this repository, pushes only to the task's branch; expires with the run. */
    token: z.string(),
  }),
  /** The server's terms: renew the lease well within `leaseMs`; stop after `maxRuntimeMs`. */
  limits: z.object({
    leaseMs: z.number().int().positive(),
    maxRuntimeMs: z.number().int().positive(),
  }),
});
export type ClaimedRun = z.infer<typeof ClaimedRun>;

export const LeaseAnswer = z.object({ lost: z.boolean(), cancelRequested: z.boolean() });
export type LeaseAnswer = z.infer<typeof LeaseAnswer>;

export const AppendEventsBody = z.object({ events: z.array(EventBody).min(1).max(500) });

export const AttachSandboxBody = z.object({ sandboxId: z.string().min(1).max(200) });

export const FinishRunBody = z.object({
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  exitCode: z.number().int().nullable().optional(),
  errorCode: z.string().max(100).optional(),
  errorMessage: z.string().max(4000).optional(),
});
export type FinishRunBody = z.infer<typeof FinishRunBody>;

export const RunnerHeartbeatBody = z.object({
  capacity: z.number().int().min(0).max(1000),
});

export const Runner = z
  .object({
    id: Id,
    name: z.string(),
    kind: z.enum(['in_process', 'remote']),
    status: z.enum(['idle', 'busy', 'offline']),
    capacity: z.number().int(),
    currentRuns: z.array(Id),
    lastHeartbeatAt: Timestamp.nullable(),
  })
  .meta({ id: 'Runner' });
export type Runner = z.infer<typeof Runner>;

export const RunnerList = z.object({ runners: z.array(Runner) });

export const ScaleRunnerBody = z.object({ slots: z.number().int().min(0).max(64) });

export const CreateRunnerTokenBody = z.object({ name: z.string().trim().min(1).max(100) });
export const CreatedRunnerToken = z.object({ id: Id, name: z.string(), token: z.string() });

export const Run = z
  .object({
    id: Id,
    taskId: Id,
    status: RunStatus,
    attempt: z.number().int(),
    runnerId: z.string().nullable(),
    sandboxId: z.string().nullable(),
    exitCode: z.number().int().nullable(),
    errorCode: z.string().nullable(),
    errorMessage: z.string().nullable(),
    createdAt: Timestamp,
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
  })
  .meta({ id: 'Run' });
export type Run = z.infer<typeof Run>;
