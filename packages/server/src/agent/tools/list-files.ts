/**
 * @module agent/tools/list-files
 * Lists the files below a folder of the workspace, leaving out `.git`. A listing over the size one
 * call answers keeps its first and last entries and says how many were cut.
 */
import path from 'node:path';
import { z } from 'zod';
import { defineTool } from '../tool.ts';
import { headAndTail } from './head-and-tail.ts';
import { inWorkspace, relative } from './paths.ts';

const MAX_ENTRIES = 2000;

export const listFilesTool = defineTool('list_files', {
  description:
    'List the files below a folder of the repository (the root by default), recursively.',
  parameters: z.object({ path: z.string().optional() }),
  execute: async ({ path: folder = '.' }, ctx) => {
    const root = inWorkspace(folder);
    const entries = await ctx.sandbox.listFiles(root, { maxEntries: MAX_ENTRIES + 1 });
    const shown = entries
      .filter((entry) => entry.path !== '.git' && !entry.path.startsWith('.git/'))
      .map((entry) => {
        const name = relative(path.posix.join(root, entry.path));
        return entry.type === 'directory' ? `${name}/` : name;
      })
      .sort();
    const more =
      entries.length > MAX_ENTRIES ? `\n[more than ${MAX_ENTRIES} entries: list a subfolder]` : '';
    const listed = headAndTail(
      shown,
      ({ count }) => `[… ${count} entries cut here: list a subfolder with path to see them …]`,
    );
    return { output: (listed || '[empty]') + more };
  },
});
