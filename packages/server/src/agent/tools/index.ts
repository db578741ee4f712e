/**
 * @module agent/tools
 * The built-in agent's tools, bound to one run.
 */
import type { Tool } from 'ai';
import type { DefinedTool, ToolContext } from '../tool.ts';
import { bashTool } from './bash.ts';
import { editFileTool } from './edit-file.ts';
import { finishTool } from './finish.ts';
import { listFilesTool } from './list-files.ts';
import { planStepDoneTool, submitPlanTool } from './plan.ts';
import { readFileTool } from './read-file.ts';
import { searchTool } from './search.ts';
import { writeFileTool } from './write-file.ts';

const ALL: DefinedTool[] = [
  bashTool,
  readFileTool,
  writeFileTool,
  editFileTool,
  listFilesTool,
  searchTool,
  finishTool,
];

/** A planning run's tools: it reads, lists and searches the repository, then submits its plan. */
const PLANNING: DefinedTool[] = [readFileTool, listFilesTool, searchTool, submitPlanTool];

/** Names of the tools that end the work: `finish`, and a planner's `submit_plan`. */
export const ENDING: ReadonlySet<string> = new Set([finishTool.name, submitPlanTool.name]);

/**
 * The tools of one run: a planning run's read-only ones (`ctx.submitPlan` set), else all of them,
 * with `plan_step_done` when the run follows an approved plan (`ctx.planSteps`).
 */
export function bindTools(ctx: ToolContext): Record<string, Tool> {
  const defined = ctx.submitPlan
    ? PLANNING
    : ctx.planSteps
      ? [...ALL.slice(0, -1), planStepDoneTool, finishTool]
      : ALL;
  return Object.fromEntries(defined.map((tool) => [tool.name, tool.bind(ctx)]));
}
