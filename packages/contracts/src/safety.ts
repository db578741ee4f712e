/**
 * @module safety
 * The checks Lucid runs on a task's work before any push leaves it (the secret scan, the
 * workspace's safety policy), their results as the task's `safety.check` events, and the policy's
 * REST bodies.
 */
import { z } from 'zod';

/** The checks run before a push: the secret scan, the protected paths, the most files changed. */
export const SafetyCheckName = z.enum(['secrets', 'protected_paths', 'max_files']);
export type SafetyCheckName = z.infer<typeof SafetyCheckName>;

/** A secret found on an added line: where, by which rule, masked, and its fingerprint. */
export const SafetyFinding = z.object({
  file: z.string(),
  line: z.number().int().positive(),
  /** The rule that found it: a secretlint rule id, or `lucid/known-secret`, `lucid/run-token`. */
  rule: z.string(),
  /** What the rule says it is, in words. */
  message: z.string(),
  /** Its first characters and an ellipsis; never the whole secret. */
  masked: z.string(),
  /** A hash of rule, file and secret: names the finding without holding the secret. */
  fingerprint: z.string(),
  /** Allowed once as a false positive on this task. */
  allowed: z.boolean().optional(),
});
export type SafetyFinding = z.infer<typeof SafetyFinding>;

/** One check's result, as a `safety.check` event holds it. */
export const SafetyCheckBody = z.object({
  type: z.literal('safety.check'),
  check: SafetyCheckName,
  result: z.enum(['passed', 'blocked']),
  /** What was checked and what was found, in a sentence. */
  summary: z.string(),
  /** The commit checked (the branch's head). */
  head: z.string(),
  findings: z.array(SafetyFinding).optional(),
  /** The paths breaching the policy (protected paths). */
  paths: z.array(z.string()).optional(),
});
export type SafetyCheck = z.infer<typeof SafetyCheckBody>;

/** Findings a member allowed once as false positives (by fingerprint). */
export const SafetyAllowedBody = z.object({
  type: z.literal('safety.allowed'),
  fingerprints: z.array(z.string()).min(1),
  by: z.string(),
});

/** A workspace's safety policy: what the agent's work may not do. */
export const SafetyPolicy = z.object({
  /** Globs of paths a change may not touch (`.github/workflows/**`, `infra/`); none by default. */
  protectedPaths: z.array(z.string().trim().min(1).max(300)).max(100),
  /** The most files one change may touch; null: no limit. */
  maxFilesChanged: z.number().int().positive().max(100_000).nullable(),
  /** Patterns of shell commands the built-in agent refuses (globs on the command, `*` any text). */
  refusedCommands: z.array(z.string().trim().min(1).max(300)).max(100),
});
export type SafetyPolicy = z.infer<typeof SafetyPolicy>;

/** `GET /api/v1/workspaces/{id}/safety-policy`: the policy, and whether the caller may change it. */
export const SafetyPolicyView = SafetyPolicy.extend({
  canEdit: z.boolean(),
}).meta({ id: 'SafetyPolicyView' });
export type SafetyPolicyView = z.infer<typeof SafetyPolicyView>;

/** `POST /api/v1/tasks/{id}/safety/allow`: the findings to let through once. */
export const AllowFindingsBody = z.object({
  fingerprints: z.array(z.string().min(1).max(128)).min(1).max(100),
});
export type AllowFindingsBody = z.infer<typeof AllowFindingsBody>;
