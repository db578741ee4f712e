/**
 * @module agent/tools/write-file
 * Writes a whole file of the workspace (made with its folders when new).
 */
import { z } from 'zod';
import { defineTool } from '../tool.ts';
import { exists } from './exists.ts';
import { inWorkspace, relative } from './paths.ts';

export const writeFileTool = defineTool('write_file', {
  description:
    'Write a file of the repository with the given content, replacing it if it exists. ' +
    'Prefer edit_file for changing part of a file.',
  parameters: z.object({
    path: z.string().min(1, 'give a path relative to the repository root'),
    content: z.string(),
  }),
  execute: async ({ path, content }, ctx) => {
    const target = inWorkspace(path);
    const existed = await exists(ctx.sandbox, target);
    await ctx.sandbox.writeFile(target, content);
    ctx.emit({
      type: 'file.changed',
      path: relative(target),
      change: existed ? 'modified' : 'added',
    });
    return { output: `Wrote ${content.length} characters to ${relative(target)}.` };
  },
});
