/**
 * @module agent/tools/finish
 * Ends the agent's work with a summary of what it did.
 */
import { z } from 'zod';
import { defineTool } from '../tool.ts';

export const finishTool = defineTool('finish', {
  description:
    'Call this once the task is done (tests run, work committed), with a short summary of what ' +
    'you changed and why. Nothing runs after it.',
  parameters: z.object({ summary: z.string().min(1, 'say what you did') }),
  execute: ({ summary }, ctx) => {
    ctx.finish(summary);
    return Promise.resolve({ output: 'Finished.' });
  },
});
