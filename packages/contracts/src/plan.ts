/**
 * @module plan
 * A task's plan: what the agent means to do before it codes (goal, files to touch, steps, how it
 * will test, risks), written by the planning model and, in review mode, approved, edited or
 * rejected by a person. A task's plan mode says whether it plans at all, and whether a person must
 * approve the plan before the coding run starts.
 */
import { z } from 'zod';

/** `review`: a person approves the plan; `auto`: coding starts at once; `off`: no plan step. */
export const PlanMode = z.enum(['review', 'auto', 'off']);
export type PlanMode = z.infer<typeof PlanMode>;

/**
 * A plan's fields, as the planner's `submit_plan` tool declares them: a JSON schema with the object
 * at its root, as model providers require (a named schema would be a reference there).
 */
export const PlanFields = z.object({
  goal: z.string().trim().min(1).max(2_000),
  files: z
    .array(
      z.object({
        path: z.string().trim().min(1).max(500),
        why: z.string().trim().max(1_000).default(''),
      }),
    )
    .max(100)
    .default([]),
  steps: z
    .array(
      z.object({
        title: z.string().trim().min(1).max(300),
        detail: z.string().trim().max(4_000).default(''),
      }),
    )
    .min(1)
    .max(50),
  testing: z.string().trim().max(4_000).default(''),
  risks: z.string().trim().max(4_000).default(''),
});

/** A plan as the planner submits it and a person may edit it. */
export const Plan = PlanFields.meta({ id: 'Plan' });
export type Plan = z.infer<typeof Plan>;

/** `POST /api/v1/tasks/{id}/plan/approve`: the plan as proposed, or as the person edited it. */
export const ApprovePlanBody = z.object({
  /** The plan as edited; the proposed plan when left out. */
  plan: Plan.optional(),
});
export type ApprovePlanBody = z.infer<typeof ApprovePlanBody>;

/** `POST /api/v1/tasks/{id}/plan/reject`: why, told to the planner when the task is retried. */
export const RejectPlanBody = z.object({ note: z.string().trim().min(1).max(10_000) });
export type RejectPlanBody = z.infer<typeof RejectPlanBody>;

/** What the model calls of a task cost, by what they were for. */
export const UsagePhase = z.enum(['plan', 'code', 'title', 'summary']);
export type UsagePhase = z.infer<typeof UsagePhase>;
