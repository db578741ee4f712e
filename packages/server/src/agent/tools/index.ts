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

/** Name of the tool that ends the work. */
export const FINISH = finishTool.name;

export function bindTools(ctx: ToolContext): Record<string, Tool> {
  return Object.fromEntries(ALL.map((defined) => [defined.name, defined.bind(ctx)]));
}
