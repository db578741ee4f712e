/**
 * @module cli/client-commands
 * The commands every `lucid` has, in Lucid's checkout and installed from a server's `/cli.tgz`:
 * those that talk to a server, the runner, and the sandbox checks.
 */
import type { Command } from 'commander';
import { doctorCommand } from './commands/doctor.ts';
import { evalCommand } from './commands/eval.ts';
import { ingestCommand } from './commands/ingest.ts';
import { landCommand } from './commands/land.ts';
import { loginCommand } from './commands/login.ts';
import { reposCommand } from './commands/repos.ts';
import { runCommand } from './commands/run.ts';
import { runnerCommand } from './commands/runner.ts';
import { sandboxCommand } from './commands/sandbox.ts';

/** A fresh instance of each client command, in the order `lucid --help` lists them. */
export function clientCommands(): Command[] {
  return [
    loginCommand(),
    reposCommand(),
    ingestCommand(),
    landCommand(),
    runCommand(),
    evalCommand(),
    runnerCommand(),
    sandboxCommand(),
    doctorCommand(),
  ];
}
