/**
 * @module agent/tools/search
 * Searches the workspace's files for a regular expression with ripgrep (grep where the sandbox
 * has no ripgrep). Matches over the size one call answers keep the first and last ones and say
 * how many were cut and how to see them; a very long matching line keeps its start.
 */
import { z } from 'zod';
import { defineTool } from '../tool.ts';
import { headAndTail } from './head-and-tail.ts';
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
    const options = { cwd: WORKSPACE, maxOutputBytes: 4 * 1024 * 1024, signal: ctx.signal };
    let result = await ctx.sandbox.exec(
      [
        'rg',
        '--line-number',
        '--with-filename',
        '--no-heading',
        '--color=never',
        '--',
        pattern,
        where,
      ],
      options,
    );
    if (result.exitCode === 127) {
      result = await ctx.sandbox.exec(
        ['grep', '-rnHE', '--exclude-dir=.git', '--', pattern, where],
        options,
      );
    }
    if (result.exitCode === 1) return { output: 'No matches.' };
    if (result.exitCode !== 0) {
      return { ok: false, output: `Error: the search failed: ${result.stderr.trim()}` };
    }
    const lines = result.stdout.split('\n');
    if (lines.at(-1) === '') lines.pop();
    // Beyond what the sandbox keeps, the cut lines cannot all be counted.
    const atLeast = result.truncated ? 'at least ' : '';
    return {
      output: headAndTail(
        lines,
        ({ count }) =>
          `[… ${atLeast}${count} matching lines cut here: search a narrower path or a more specific pattern, or read a file's lines with read_file …]`,
      ),
    };
  },
});
