/**
 * @module cli/program
 * Runs the `lucid` program with a set of commands, reporting a failure as one line on stderr with
 * an exit code. Lucid's checkout runs every command (`main.ts`); the package a server serves at
 * `/cli.tgz` runs the client commands and the runner (`package-main.ts`).
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { CliError } from './cli-error.ts';
import { LUCID_VERSION } from './version.ts';

/**
 * Parses `process.argv` and runs the command it names among `commands`.
 *
 * @example
 * await runLucid([loginCommand(), reposCommand()]);
 */
export async function runLucid(commands: Command[]): Promise<void> {
  const program = new Command('lucid')
    .description('Lucid: a self-hosted autonomous coding-agent platform')
    .version(LUCID_VERSION, '-V, --version', 'print the version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  for (const command of commands) program.addCommand(command.copyInheritedSettings(program));

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
}
