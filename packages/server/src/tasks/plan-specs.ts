/**
 * @module tasks/plan-specs
 * The runs of the plan step: the planning run's spec and prompt (the rejection's note included),
 * and the coding run's prompt holding the approved plan as a checklist.
 */
import { readFileSync } from 'node:fs';
import type { Plan, PlanMode } from '@lucid/contracts';
import type { RunSpec } from '../db/schema.ts';
import type { TaskRow } from './runs.ts';

const INSTRUCTIONS = readFileSync(new URL('./prompts/plan-task.txt', import.meta.url), 'utf8');

/**
 * The planner's prompt: the instructions, the task, and the note a rejected plan was sent back
 * with, if any.
 */
export function planPrompt(task: Pick<TaskRow, 'prompt' | 'reviewNote'>): string {
  return [
    INSTRUCTIONS.trim(),
    '',
    'The task:',
    '',
    task.prompt,
    ...(task.reviewNote
      ? ['', 'An earlier plan for this task was rejected. The reviewer said:', '', task.reviewNote]
      : []),
  ].join('\n');
}

/**
 * The plan as a checklist in words, for a coding run's prompt.
 *
 * @example
 * planChecklist({ goal: 'Add a flag', files: [], steps: [{ title: 'Parse it', detail: '' }], testing: '', risks: '' });
 * // → 'Goal: Add a flag\n\nSteps:\n- [ ] 0. Parse it'
 */
export function planChecklist(plan: Plan): string {
  const lines = [`Goal: ${plan.goal}`];
  if (plan.files.length > 0) {
    lines.push('', 'Files:', ...plan.files.map((f) => `- ${f.path}${f.why ? `: ${f.why}` : ''}`));
  }
  lines.push(
    '',
    'Steps:',
    ...plan.steps.map((s, i) => `- [ ] ${i}. ${s.title}${s.detail ? `: ${s.detail}` : ''}`),
  );
  if (plan.testing) lines.push('', `Testing: ${plan.testing}`);
  if (plan.risks) lines.push('', `Risks: ${plan.risks}`);
  return lines.join('\n');
}

/** The coding run's prompt: the task, then the approved plan it follows. */
export function codingPrompt(prompt: string, plan: Plan): string {
  return [
    prompt,
    '',
    'Follow this approved plan, step by step. When a step is done, call plan_step_done with its',
    'number (the built-in agent) or tick it in your own words as you go.',
    '',
    planChecklist(plan),
  ].join('\n');
}

/**
 * The spec of a planning run: the built-in agent on the planner's prompt, whatever agent codes
 * (the claim gives it the plan model). `promptSeq` is the task's prompt message.
 */
export function planSpec(
  task: Pick<TaskRow, 'prompt' | 'reviewNote'>,
  promptSeq: number | undefined,
): RunSpec {
  return {
    commands: [],
    agent: 'lucid',
    prompt: planPrompt(task),
    kind: 'plan',
    ...(promptSeq !== undefined ? { promptSeq } : {}),
  };
}

/** Whether a task of this mode plans before it codes. */
export function plans(mode: PlanMode): boolean {
  return mode !== 'off';
}

/**
 * The spec a run queued again takes: a planning run plans again (the rejection's note in its
 * prompt); any other is the spec it was.
 */
export function againSpec(task: TaskRow, spec: RunSpec): RunSpec {
  return spec.kind === 'plan' ? planSpec(task, spec.promptSeq) : spec;
}
