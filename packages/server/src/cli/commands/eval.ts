/**
 * @module cli/commands/eval
 * `lucid eval replay FILE`: plays a run exported by `lucid run export` back through this Lucid's
 * agent loop, the recorded answers standing in for the model and the recorded results for the
 * tools, and says whether the loop still makes the same requests: "no divergence" (exit 0), or
 * the first step that differs and how (exit 1). Needs no server, model or sandbox.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { RunExport } from '@lucid/contracts';
import { formatReplay, replayRun, ReplayRefusal } from '../../agent/replay.ts';
import { CliError } from '../cli-error.ts';

export function evalCommand(): Command {
  const evaluate = new Command('eval').description('check the agent loop against recorded runs');
  evaluate.addCommand(
    new Command('replay')
      .description(
        'replay an exported run through the current agent loop and report where it diverges',
      )
      .argument('<file>', 'a run exported with lucid run export')
      .action(async (file: string) => {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (error) {
          throw new CliError(`Could not read ${file}: ${(error as Error).message}`, 2);
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new CliError(`${file} is not JSON; export a run with lucid run export.`, 2);
        }
        const format = (parsed as { format?: unknown } | null)?.format;
        const document = RunExport.safeParse(parsed);
        if (format !== 'lucid.run-export' || !document.success) {
          throw new CliError(`${file} is not a run exported by lucid run export.`, 2);
        }
        try {
          const report = await replayRun(document.data);
          process.stdout.write(formatReplay(report));
          if (report.divergence) process.exitCode = 1;
        } catch (error) {
          if (error instanceof ReplayRefusal) throw new CliError(error.message, 2);
          throw error;
        }
      }),
  );
  return evaluate;
}
