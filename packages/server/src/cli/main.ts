/**
 * @module cli/main
 * The `lucid` command line: `serve` runs the server; the other commands talk to a server over its
 * REST API and its git endpoint.
 */
import { Command, CommanderError } from 'commander';
import { doctorCommand } from './commands/doctor.ts';
import { ingestCommand } from './commands/ingest.ts';
import { landCommand } from './commands/land.ts';
import { loginCommand } from './commands/login.ts';
import { reposCommand } from './commands/repos.ts';
import { runnerCommand } from './commands/runner.ts';
import { sandboxCommand } from './commands/sandbox.ts';
import { serveCommand } from './commands/serve.ts';
import { ConfigError } from '../config.ts';
import { CliError } from './cli-error.ts';

const program = new Command('lucid')
  .description('Lucid: a self-hosted autonomous coding-agent platform')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

for (const command of [
  serveCommand(),
  loginCommand(),
  reposCommand(),
  ingestCommand(),
  landCommand(),
  runnerCommand(),
  sandboxCommand(),
  doctorCommand(),
]) {
  program.addCommand(command.copyInheritedSettings(program));
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else if (error instanceof CliError) {
    process.stderr.write(`lucid: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else if (error instanceof ConfigError) {
    process.stderr.write(`lucid: ${error.message}\n`);
    process.exitCode = 78;
  } else {
    throw error;
  }
}
