/**
 * @module attempts
 * Best-of-N: a task's attempts, each its own task (`attemptOf` names the best-of-N one) on its own
 * branch and in its own sandbox, ranked once all have finished (checks passed first, then the
 * smaller diff, then the lower cost), compared two by two, and one kept.
 */
import { z } from 'zod';
import { Id } from './common.ts';
import { TaskStatus } from './events.ts';
import { DiffStats } from './board.ts';
import { KeepMode, Task } from './tasks.ts';

/** The check command's outcome on an attempt's last run. */
export const AttemptCheck = z.object({
  command: z.string(),
  passed: z.boolean(),
  exitCode: z.number().int().nullable(),
  durationMs: z.number().int().min(0),
});
export type AttemptCheck = z.infer<typeof AttemptCheck>;

/** One attempt as the attempts view shows it. */
export const Attempt = z
  .object({
    /** The attempt's own task id (its runs, events and workspace are read through it). */
    id: Id,
    /** 1 to N, in the order they were made. */
    number: z.number().int().min(1),
    status: TaskStatus,
    agent: z.string().nullable(),
    model: z.string().nullable(),
    branch: z.string(),
    /** Null while no check ran (the repository has no check command, or the run failed first). */
    check: AttemptCheck.nullable(),
    /** Its branch against the base branch; null when it has no branch (gone, or no changes). */
    diffStats: DiffStats.nullable(),
    costUsd: z.number().min(0),
    /** 1 is the best; null until every attempt has finished. */
    rank: z.number().int().min(1).nullable(),
    kept: z.boolean(),
    /** Another attempt was kept: its sandbox and branch are gone. */
    discarded: z.boolean(),
  })
  .meta({ id: 'Attempt' });
export type Attempt = z.infer<typeof Attempt>;

/** A best-of-N task's attempts, by number. */
export const AttemptList = z
  .object({
    keep: KeepMode,
    /** True once every attempt has finished and they are ranked. */
    ranked: z.boolean(),
    keptAttemptId: Id.nullable(),
    attempts: z.array(Attempt),
  })
  .meta({ id: 'AttemptList' });
export type AttemptList = z.infer<typeof AttemptList>;

export const AttemptParams = z.object({ id: Id, attemptId: Id });

export const AttemptDiffQuery = z.object({
  a: Id.describe('One attempt (its id).'),
  b: Id.describe('The other attempt: the diff goes from a to b.'),
});
export type AttemptDiffQuery = z.infer<typeof AttemptDiffQuery>;

/** What attempt b changes against attempt a: `git diff` of their branches' heads. */
export const AttemptDiff = z
  .object({
    a: Id,
    b: Id,
    diff: z.string(),
    /** True when the diff was cut at its limit. */
    truncated: z.boolean(),
  })
  .meta({ id: 'AttemptDiff' });
export type AttemptDiff = z.infer<typeof AttemptDiff>;

/** What keeping an attempt did: the best-of-N task, its branch now the kept attempt's. */
export const KeptAttempt = z.object({ task: Task });
export type KeptAttempt = z.infer<typeof KeptAttempt>;
