/**
 * @module agent/tools/plan
 * The plan step's tools: `submit_plan`, the planner's answer (which ends its run), and
 * `plan_step_done`, with which a coding run following an approved plan ticks its steps.
 */
import { PlanFields } from '@lucid/contracts';
import { z } from 'zod';
import { defineTool } from '../tool.ts';

export const submitPlanTool = defineTool('submit_plan', {
  description:
    'Submit your plan for the task, once you have read enough of the repository: the goal, the ' +
    'files to touch (each with why), the steps in order, how the work will be tested, and the ' +
    'risks. Nothing runs after it.',
  parameters: PlanFields,
  execute: (plan, ctx) => {
    if (!ctx.submitPlan) return Promise.resolve({ output: 'This run does not plan.', ok: false });
    ctx.submitPlan(plan);
    return Promise.resolve({ output: 'Plan submitted.' });
  },
});

export const planStepDoneTool = defineTool('plan_step_done', {
  description:
    'Tick a step of the approved plan once it is done: its number in the checklist (from 0).',
  parameters: z.object({ index: z.number().int().min(0) }),
  execute: ({ index }, ctx) => {
    const steps = ctx.planSteps ?? 0;
    if (index >= steps) {
      return Promise.resolve({
        output: `The plan has ${steps} steps, numbered 0 to ${steps - 1}.`,
        ok: false,
      });
    }
    ctx.emit({ type: 'plan.step', index, done: true });
    return Promise.resolve({ output: `Step ${index} ticked.` });
  },
});
