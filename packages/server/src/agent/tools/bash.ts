/**
 * @module agent/tools/bash
 * Runs a command in the sandbox's persistent shell (`cd` and `export` persist), streaming its
 * output as `tool.output` events.
 */
import { z } from 'zod';
import { refusedBy } from './refused-commands.ts';
import { StreamMasker } from '../../secrets/masking.ts';
import { defineTool } from '../tool.ts';

const DEFAULT_TIMEOUT_SECONDS = 300;

export const bashTool = defineTool('bash', {
  description:
    'Run a shell command in the repository (bash, working directory persists between calls). ' +
    'Returns stdout, stderr and the exit code. Use it to build, run tests, use git, and so on.',
  parameters: z.object({
    command: z.string().min(1, 'give the command to run'),
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .optional()
      .describe(`Kill the command after this long; ${DEFAULT_TIMEOUT_SECONDS} by default.`),
  }),
  execute: async ({ command, timeoutSeconds }, ctx) => {
    const refused = refusedBy(command, ctx.refusedCommands ?? []);
    if (refused) {
      return {
        output:
          `Error: this workspace's safety policy refuses commands matching \`${refused}\`, so ` +
          'the command was not run. Do the work another way, or say in your summary that it needs a person.',
        ok: false,
      };
    }
    const maskers = {
      stdout: new StreamMasker(ctx.secrets),
      stderr: new StreamMasker(ctx.secrets),
    };
    const shell = await ctx.shell();
    const result = await shell.run(command, {
      signal: ctx.signal,
      timeoutMs: (timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
      maxOutputBytes: 256 * 1024,
      onOutput: (stream, chunk) => {
        const safe = maskers[stream].push(chunk);
        if (safe) ctx.emit({ type: 'tool.output', stream, chunk: safe });
      },
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = maskers[stream].end();
      if (rest) ctx.emit({ type: 'tool.output', stream, chunk: rest });
    }
    const parts = [result.stdout];
    if (result.stderr) parts.push(`[stderr]\n${result.stderr}`);
    if (result.timedOut)
      parts.push(`[the command was killed after ${timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS} s]`);
    parts.push(`[exit code ${result.exitCode ?? 'none: killed'}]`);
    return {
      output: parts.filter(Boolean).join('\n'),
      ok: result.exitCode === 0,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
    };
  },
});
