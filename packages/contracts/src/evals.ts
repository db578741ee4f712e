/**
 * @module evals
 * Evaluation suites and their runs: a suite's file as it is written in a folder (`suite.json`, read
 * by `lucid eval run`), the suite as the API takes it (its repositories already in Lucid), an
 * eval (one suite run by one agent and model) and its results per case attempt.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.ts';
import { AgentName } from './tasks.ts';

const CaseId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a case id is 1–64 lowercase letters, digits, . _ or -');

/** A path inside the workspace: relative, no `..`. */
const WorkspacePath = z
  .string()
  .min(1)
  .max(500)
  .refine(
    (value) => !value.startsWith('/') && !value.split('/').includes('..'),
    'a hidden file’s path is relative to the repository and has no ..',
  );

/** One case of a suite's file: its repository is a folder of the suite, or a repository in Lucid by name. */
export const SuiteFileCase = z.strictObject({
  id: CaseId,
  /** A folder inside the suite (`repos/calc`), or the name of a repository already in Lucid. */
  repository: z.string().min(1),
  /** The commit to start from; the folder's own content (or the repository's default branch) when left out. */
  commit: z
    .string()
    .regex(/^[0-9a-f]{40}$/, 'a commit is its full 40-digit id')
    .optional(),
  prompt: z.string().min(1),
  /** The shell command that decides success: exit 0 passes. */
  check: z.string().min(1),
  /** Files written into the workspace for the check only: path in the repository → file of the suite. */
  hidden: z.record(WorkspacePath, z.string().min(1)).default({}),
});
export type SuiteFileCase = z.infer<typeof SuiteFileCase>;

/** A suite's `suite.json`. */
export const SuiteFile = z.strictObject({
  name: z.string().min(1).max(100),
  description: z.string().optional(),
  cases: z.array(SuiteFileCase).min(1).max(200),
});
export type SuiteFile = z.infer<typeof SuiteFile>;

/** A hidden file as the API takes it: its content inline. */
export const EvalHiddenFile = z.object({ path: WorkspacePath, content: z.string().max(1_000_000) });

/** One case as the API takes it: its repository is in Lucid. */
export const EvalCaseInput = z.object({
  id: CaseId,
  repoId: Id,
  /** The commit to start from; the repository's default branch as it is now when left out. */
  commit: z
    .string()
    .regex(/^[0-9a-f]{40}$/)
    .optional(),
  prompt: z.string().min(1).max(100_000),
  check: z.string().min(1).max(10_000),
  hidden: z.array(EvalHiddenFile).max(50).default([]),
});
export type EvalCaseInput = z.infer<typeof EvalCaseInput>;

export const CreateEval = z.object({
  /** The workspace it runs in (the caller's personal one when left out); its cases' repositories are in it. */
  workspaceId: Id.optional(),
  suite: z.object({
    name: z.string().min(1).max(100),
    cases: z
      .array(EvalCaseInput)
      .min(1)
      .max(200)
      .refine(
        (cases) => new Set(cases.map((c) => c.id)).size === cases.length,
        'each case has an id of its own',
      ),
  }),
  agent: AgentName.default('lucid'),
  model: z.string().min(1).describe('The model, `provider/name`.'),
  attempts: z.number().int().min(1).max(10).default(1),
  concurrency: z.number().int().min(1).max(20).default(2),
});
export type CreateEval = z.input<typeof CreateEval>;

export const EvalStatus = z.enum(['running', 'done', 'cancelled']);
export type EvalStatus = z.infer<typeof EvalStatus>;
export const EvalResultStatus = z.enum([
  'pending',
  'running',
  'checking',
  'passed',
  'failed',
  'cancelled',
]);
export type EvalResultStatus = z.infer<typeof EvalResultStatus>;

/** An eval's figures over its finished attempts. */
export const EvalSummary = z.object({
  attempts: z.number().int(),
  finished: z.number().int(),
  passed: z.number().int(),
  /** Passed over finished attempts (cancelled ones left out), 0–1; null before any finished. */
  successRate: z.number().nullable(),
  /** The median of the agent's time on a finished attempt, in ms. */
  medianMs: z.number().nullable(),
  costUsd: z.number(),
  /** Dollars per finished attempt, and per passed one. */
  usdPerTask: z.number().nullable(),
  usdPerSuccess: z.number().nullable(),
});
export type EvalSummary = z.infer<typeof EvalSummary>;

export const Eval = z.object({
  id: Id,
  workspaceId: Id,
  suite: z.string(),
  agent: z.string(),
  model: z.string(),
  attempts: z.number().int(),
  concurrency: z.number().int(),
  status: EvalStatus,
  createdAt: Timestamp,
  finishedAt: Timestamp.nullable(),
  summary: EvalSummary,
});
export type Eval = z.infer<typeof Eval>;

export const EvalResult = z.object({
  id: Id,
  caseId: z.string(),
  attempt: z.number().int(),
  status: EvalResultStatus,
  taskId: Id.nullable(),
  agentRunId: Id.nullable(),
  /** Where the agent's trajectory is exported (`GET`), once its run has finished. */
  trajectoryUrl: z.string().nullable(),
  durationMs: z.number().nullable(),
  steps: z.number().int().nullable(),
  inputTokens: z.number().int().nullable(),
  outputTokens: z.number().int().nullable(),
  costUsd: z.number().nullable(),
  diff: z
    .object({
      filesChanged: z.number().int(),
      insertions: z.number().int(),
      deletions: z.number().int(),
      patch: z.string(),
    })
    .nullable(),
  /** The end of the check's output, or why the attempt failed before it. */
  output: z.string().nullable(),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
});
export type EvalResult = z.infer<typeof EvalResult>;

export const EvalDetail = Eval.extend({ results: z.array(EvalResult) });
export type EvalDetail = z.infer<typeof EvalDetail>;

export const EvalList = z.object({ evals: z.array(Eval) });
export type EvalList = z.infer<typeof EvalList>;

export const EvalListQuery = z.object({ workspaceId: Id.optional() });
