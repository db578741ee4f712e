/**
 * @module cli/commands/runner
 * `lucid runner --server URL`: runs tasks for a Lucid server on this host, in sandboxes made here.
 * It joins with a runner token (made on the server's runners page or with
 * `POST /api/v1/runners/tokens`), given in `LUCID_RUNNER_TOKEN` or a file (`--token-file`), never
 * on the command line, where every user of the host could read it (`ps`). It reconnects by itself
 * when the server restarts. With LUCID_CLI_AGENTS it installs those CLI agents into its agent
 * cache first, like the server's own runner.
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadSandboxConfig, loadTracingConfig } from '../../config.ts';
import { CliError } from '../cli-error.ts';
import { parseServerUrl } from '../server-url.ts';

function slotsOption(value: string): number {
  const slots = Number(value);
  if (!Number.isInteger(slots) || slots < 1 || slots > 64) {
    throw new InvalidArgumentError('a whole number from 1 to 64');
  }
  return slots;
}

const log = {
  info: (details: object, message: string) => console.log(`${message} ${JSON.stringify(details)}`),
  warn: (details: object, message: string) => console.warn(`${message} ${JSON.stringify(details)}`),
  error: (details: object, message: string) =>
    console.error(`${message} ${JSON.stringify(details)}`),
};

/**
 * The runner token: from `--token-file` when given, else LUCID_RUNNER_TOKEN. A token on the
 * command line is refused, saying why.
 */
async function runnerToken(options: { token?: string; tokenFile?: string }): Promise<string> {
  if (options.token !== undefined) {
    throw new CliError(
      'lucid runner takes no --token: a command line is visible to every user of this host. ' +
        'Set LUCID_RUNNER_TOKEN, or put the token in a file readable only by you and pass --token-file',
    );
  }
  if (options.tokenFile !== undefined) {
    let text: string;
    try {
      text = await readFile(options.tokenFile, 'utf8');
    } catch (error) {
      throw new CliError(
        `Cannot read the runner token file ${options.tokenFile}: ${(error as Error).message}`,
      );
    }
    const token = text.split('\n')[0]?.trim();
    if (!token) throw new CliError(`The runner token file ${options.tokenFile} is empty`);
    return token;
  }
  const token = process.env.LUCID_RUNNER_TOKEN?.trim();
  // Programs this runner starts do not inherit it.
  delete process.env.LUCID_RUNNER_TOKEN;
  if (!token) {
    throw new CliError(
      'No runner token: set LUCID_RUNNER_TOKEN, or pass --token-file with a file holding it ' +
        '(make one on the Runners page or with POST /api/v1/runners/tokens)',
    );
  }
  return token;
}

interface RunnerOptions {
  server: string;
  token?: string;
  tokenFile?: string;
  slots: number;
}

export function runnerCommand(): Command {
  return new Command('runner')
    .description('run tasks for a Lucid server on this host')
    .requiredOption('--server <url>', 'the Lucid server to work for')
    .option('--token-file <path>', 'a file holding the runner token (else LUCID_RUNNER_TOKEN)')
    .addOption(new Option('--token <token>').hideHelp())
    .option('--slots <n>', 'runs at once', slotsOption, 2)
    .addHelpText(
      'after',
      '\nThe runner token comes from LUCID_RUNNER_TOKEN or --token-file, never the command line:\n' +
        '  LUCID_RUNNER_TOKEN=lucid_rnr_… lucid runner --server https://lucid.example.com',
    )
    .action(async (options: RunnerOptions) => {
      const server = parseServerUrl(options.server, '--server');
      const token = await runnerToken(options);
      let config;
      let tracingConfig;
      try {
        config = loadSandboxConfig(process.env);
        tracingConfig = loadTracingConfig(process.env);
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(error.message, 78);
        throw error;
      }
      // Loaded here, not at the top, so other commands start without the sandbox drivers.
      const [
        { HttpRunnerBackend },
        { Runner },
        { selectDriver },
        { lucidAgentRuntime },
        { CLI_AGENTS },
        { installCliAgents },
        { SANDBOX_AGENTS_DIR },
        { tunnelToLucid },
        { startTracing },
      ] = await Promise.all([
        import('../../runner/http-backend.ts'),
        import('../../runner/runner.ts'),
        import('../../sandbox/select-driver.ts'),
        import('../../agent/runtime.ts'),
        import('../../agent/cli/index.ts'),
        import('../../agent/cli/install.ts'),
        import('../../agent/cli/cli-agent.ts'),
        import('../../sandbox/local/lucid-tunnel.ts'),
        import('../../tracing/tracing.ts'),
      ]);
      // The runs' spans join the traces their claims carry, when a collector is named here too.
      const tracing = startTracing(tracingConfig);
      const backend = new HttpRunnerBackend(server, token);
      let onDismissed = () => {};
      const dismissed = new Promise<void>((resolve) => (onDismissed = resolve));
      let runnerId: string;
      try {
        ({ runnerId } = await backend.heartbeat(options.slots));
      } catch (error) {
        throw new CliError(
          `Cannot join ${server}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const { driver, warnings, refusal } = await selectDriver(config);
      if (refusal) throw new CliError(refusal, 78);
      for (const warning of warnings) console.warn(`warning: ${warning}`);
      // Local sandboxes reach the server through a tunnel to its address.
      const tunnel = driver.reachLucid ? await tunnelToLucid(server) : null;
      if (tunnel) driver.reachLucid?.(tunnel.endpoint);
      const { cli, cacheDir } = config.cliAgents;
      const agentCache =
        cli.length > 0
          ? await installCliAgents({
              cacheDir,
              agents: cli.map((name) => CLI_AGENTS[name]!),
              log: (message) => console.log(message),
            })
          : undefined;
      const runner = new Runner({
        backend,
        driver,
        runnerId,
        sandbox: {
          limits: config.sandbox.limits,
          network: config.sandbox.network,
          ...(agentCache
            ? { readOnlyMounts: [{ source: agentCache, target: SANDBOX_AGENTS_DIR }] }
            : {}),
        },
        slots: options.slots,
        idleMs: config.sandbox.idleMs,
        warmPool: config.sandbox.warmPool,
        log,
        agent: lucidAgentRuntime({ secrets: [], cliAgents: cli }),
        tracing,
        onDismissed: () => onDismissed(),
      });
      runner.start();
      console.log(
        `Runner working for ${server} with ${options.slots} slot(s); sandboxes: ${driver.kind} (${driver.isolation})`,
      );
      const ended = await new Promise<'signal' | 'dismissed'>((resolve) => {
        const stop = (signal: string) => {
          const graceMs = config.sandbox.shutdownGraceMs;
          console.log(
            `${signal}: stopping; runs in flight may finish within ${graceMs} ms, then the rest are handed back to the server`,
          );
          void runner
            .stop({ graceMs })
            .then(() => tunnel?.close())
            .then(() => tracing.shutdown())
            .then(() => resolve('signal'));
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
        void dismissed.then(async () => {
          const removed = await runner.dismiss();
          await tunnel?.close();
          await tracing.shutdown();
          console.error(`removed this runner's ${removed.length} sandbox(es)`);
          resolve('dismissed');
        });
      });
      // Stopped by a signal: the runs are handed back, so leave now rather than wait for the
      // sandbox driver's timers and the server connection's idle sockets to close.
      if (ended === 'signal') process.exit(0);
      if (ended === 'dismissed') {
        throw new CliError(
          `${server} no longer knows this runner (it was removed, or its token revoked): ` +
            'it stopped and removed its sandboxes; make a new runner token to join again',
        );
      }
    });
}
