/**
 * @module agent/tools/edit-file
 * Replaces one exact piece of text in a file: refused, with a message saying what to do, when the
 * text is not there or is there more than once.
 */
import { z } from 'zod';
import { defineTool } from '../tool.ts';
import { inWorkspace, relative } from './paths.ts';

export const editFileTool = defineTool('edit_file', {
  description:
    'Replace the exact text `old` by `new` in a file. `old` must appear exactly once: include ' +
    'enough surrounding lines to make it unique. Read the file first.',
  parameters: z.object({
    path: z.string().min(1, 'give a path relative to the repository root'),
    old: z.string().min(1, 'give the exact text to replace'),
    new: z.string(),
  }),
  execute: async ({ path, old, new: replacement }, ctx) => {
    const target = inWorkspace(path);
    const text = (await ctx.sandbox.readFile(target)).toString('utf8');
    const count = text.split(old).length - 1;
    if (count === 0) {
      return {
        ok: false,
        output: `Error: the text to replace was not found in ${relative(target)}. Read the file and copy the text exactly, whitespace included.`,
      };
    }
    if (count > 1) {
      return {
        ok: false,
        output: `Error: the text to replace appears ${count} times in ${relative(target)}. Include more surrounding lines so it matches once.`,
      };
    }
    const at = text.indexOf(old);
    await ctx.sandbox.writeFile(
      target,
      text.slice(0, at) + replacement + text.slice(at + old.length),
    );
    ctx.emit({ type: 'file.changed', path: relative(target), change: 'modified' });
    return { output: `Edited ${relative(target)}.` };
  },
});
