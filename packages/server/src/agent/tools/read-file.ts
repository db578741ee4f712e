/**
 * @module agent/tools/read-file
 * Reads a text file of the workspace, with line numbers, a window at a time. A window over the
 * size one call answers keeps its first and last lines and names the lines cut, with the offset
 * and limit that read them.
 */
import { z } from 'zod';
import { defineTool } from '../tool.ts';
import { headAndTail } from './head-and-tail.ts';
import { inWorkspace } from './paths.ts';

const DEFAULT_LIMIT = 2000;

export const readFileTool = defineTool('read_file', {
  description:
    'Read a file of the repository. Lines come numbered; use offset (first line, from 1) and ' +
    `limit (number of lines, ${DEFAULT_LIMIT} by default) for long files.`,
  parameters: z.object({
    path: z.string().min(1, 'give a path relative to the repository root'),
    offset: z.number().int().min(1).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  }),
  execute: async ({ path, offset = 1, limit = DEFAULT_LIMIT }, ctx) => {
    const text = (await ctx.sandbox.readFile(inWorkspace(path))).toString('utf8');
    const lines = text.split('\n');
    if (text.endsWith('\n')) lines.pop();
    const window = lines.slice(offset - 1, offset - 1 + limit);
    const numbered = headAndTail(
      window.map((line, index) => `${offset + index}\t${line}`),
      ({ first, last, count }) =>
        `[… lines ${offset + first}–${offset + last} cut (${count} lines, too long for one answer): read them with offset ${offset + first} and limit ${count}, or a smaller range …]`,
    );
    const more =
      offset - 1 + limit < lines.length
        ? `\n[${lines.length - (offset - 1 + limit)} more lines: read on with offset ${offset + limit}]`
        : '';
    return { output: (numbered || '[no lines in this range]') + more };
  },
});
