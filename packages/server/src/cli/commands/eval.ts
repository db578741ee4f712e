/**
 * @module cli/commands/eval
 * `lucid eval run SUITE_DIR --agent A --model M [--attempts K] [--concurrency C]`: pushes the
 * suite's repositories into Lucid (or reuses them), starts the eval, follows it and prints a table
 * per case attempt and the summary; exit 0 once it ran, whatever passed. `lucid eval list` and
 * `lucid eval show ID` read evals back.
 *
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
import { EvalDetail, EvalList } from '@lucid/contracts';
import { apiClient } from '../api-client.ts';
import { resolveConnection, withConnectionOptions } from '../connection.ts';
import { evalsTable, placeRepositories, resultsTable, summaryLines } from '../eval-run.ts';
import { loadSuite } from '../suite-file.ts';

/** How often a followed eval is read again. */
const FOLLOW_MS = 500;

interface RunOptions {
  agent: string;
  model: string;
  attempts: string;
  concurrency: string;
}

function count(value: string, name: string, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
    throw new CliError(`--${name} is a whole number from 1 to ${max}; “${value}” is not.`, 2);
  }
  return parsed;
}

export function evalCommand(): Command {
  const evaluate = new Command('eval').description(
    'run evaluation suites, and check the agent loop against recorded runs',
  );
  evaluate.addCommand(
    withConnectionOptions(
      new Command('run')
        .description('run a suite’s cases with one agent and model, and print the results')
        .argument('<suite>', 'the suite’s folder (holding suite.json)')
        .option('--agent <agent>', 'the agent', 'lucid')
        .requiredOption('--model <model>', 'the model, provider/name')
        .option('--attempts <k>', 'attempts per case', '1')
        .option('--concurrency <c>', 'attempts at once', '2'),
    ).action(async (dir: string, options: RunOptions, command: Command) => {
      const attempts = count(options.attempts, 'attempts', 10);
      const concurrency = count(options.concurrency, 'concurrency', 20);
      const suite = await loadSuite(dir);
      const connection = await resolveConnection(command);
      const api = apiClient(connection);
      const placed = await placeRepositories(api, connection.token, suite, (line) =>
        console.log(line),
      );
      const started = await api.post(
        '/evals',
        {
          suite: {
            name: suite.name,
            cases: suite.cases.map((testCase) => ({
              id: testCase.id,
              repoId: placed.get(testCase.id)?.repoId,
              ...(placed.get(testCase.id)?.commit
                ? { commit: placed.get(testCase.id)?.commit }
                : {}),
              prompt: testCase.prompt,
              check: testCase.check,
              hidden: testCase.hidden,
            })),
          },
          agent: options.agent,
          model: options.model,
          attempts,
          concurrency,
        },
        EvalDetail,
      );
      console.log(
        `Started eval ${started.id}: ${suite.cases.length} case${suite.cases.length === 1 ? '' : 's'} × ${attempts} with ${started.agent} on ${started.model}.`,
      );
      const told = new Set<string>();
      let detail = started;
      for (;;) {
        for (const result of detail.results) {
          const over = ['passed', 'failed', 'cancelled'].includes(result.status);
          if (over && !told.has(result.id)) {
            told.add(result.id);
            console.log(`${result.caseId} #${result.attempt}: ${result.status}`);
          }
        }
        if (detail.status !== 'running') break;
        await new Promise((resolve) => setTimeout(resolve, FOLLOW_MS));
        detail = await api.get(`/evals/${encodeURIComponent(started.id)}`, EvalDetail);
      }
      console.log('');
      console.log(resultsTable(detail));
      console.log('');
      console.log(summaryLines(detail));
    }),
  );
  evaluate.addCommand(
    withConnectionOptions(
      new Command('list').description('the evals of your workspaces, side by side'),
    ).action(async (_options: unknown, command: Command) => {
      const api = apiClient(await resolveConnection(command));
      const { evals } = await api.get('/evals', EvalList);
      console.log(evals.length === 0 ? 'No evals yet.' : evalsTable(evals));
    }),
  );
  evaluate.addCommand(
    withConnectionOptions(
      new Command('show')
        .description('an eval’s results, case by case, and its summary')
        .argument('<id>', 'the eval’s id (eval_…)'),
    ).action(async (id: string, _options: unknown, command: Command) => {
      const api = apiClient(await resolveConnection(command));
      const detail = await api.get(`/evals/${encodeURIComponent(id)}`, EvalDetail);
      console.log(resultsTable(detail));
      console.log('');
      console.log(summaryLines(detail));
    }),
  );
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
