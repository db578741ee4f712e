/**
 * @module agent/tools/search
 * Searches the workspace's files for a regular expression with ripgrep (grep where the sandbox
 * has no ripgrep).
 */
import { z } from 'zod';
import { defineTool } from '../tool.ts';
import { inWorkspace, relative, WORKSPACE } from './paths.ts';

export const searchTool = defineTool('search', {
  description:
    'Search the repository for a regular expression; answers file:line:text for each match. ' +
    'Limit it to a folder or file with path.',
  parameters: z.object({
    pattern: z.string().min(1, 'give a regular expression to search for'),
    path: z.string().optional(),
  }),
  execute: async ({ pattern, path = '.' }, ctx) => {
    const where = relative(inWorkspace(path));
    const options = { cwd: WORKSPACE, maxOutputBytes: 256 * 1024, signal: ctx.signal };
    let result = await ctx.sandbox.exec(
      ['rg', '--line-number', '--no-heading', '--color=never', '--', pattern, where],
      options,
    );
    if (result.exitCode === 127) {
      result = await ctx.sandbox.exec(
        ['grep', '-rnE', '--exclude-dir=.git', '--', pattern, where],
        options,
      );
    }
    if (result.exitCode === 1) return { output: 'No matches.' };
    if (result.exitCode !== 0) {
      return { ok: false, output: `Error: the search failed: ${result.stderr.trim()}` };
    }
    return { output: result.stdout };
  },
});
