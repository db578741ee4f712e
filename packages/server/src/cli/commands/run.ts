/**
 * @module cli/commands/run
 * `lucid run export RUN [-o FILE]`: a finished run as a JSON document (what its agent was given,
 * its model exchanges, its events), for `lucid eval replay`.
 */
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { RunExport } from '@lucid/contracts';
import { apiClient } from '../api-client.ts';
import { CliError } from '../cli-error.ts';
import { resolveConnection, withConnectionOptions } from '../connection.ts';

export function runCommand(): Command {
  const run = new Command('run').description('work with a task’s runs');
  run.addCommand(
    withConnectionOptions(
      new Command('export')
        .description('write a finished run as JSON: its prompt, model exchanges and events')
        .argument('<run>', 'the run’s id (run_…)')
        .option('-o, --output <file>', 'write to this file instead of standard output'),
    ).action(async (runId: string, options: { output?: string }, command: Command) => {
      const api = apiClient(await resolveConnection(command));
      const document = await api.get(`/runs/${encodeURIComponent(runId)}/export`, RunExport);
      const text = `${JSON.stringify(document, null, 2)}\n`;
      if (!options.output) {
        process.stdout.write(text);
        return;
      }
      try {
        await writeFile(options.output, text, { mode: 0o600 });
      } catch (error) {
        throw new CliError(`Could not write ${options.output}: ${(error as Error).message}`);
      }
      const count = document.exchanges.length;
      console.log(
        `Wrote the run of “${document.task.title}” to ${options.output}` +
          ` (${count} model exchange${count === 1 ? '' : 's'}).`,
      );
    }),
  );
  return run;
}
