/**
 * @module cli/package-main
 * The `lucid` command as installed from a server (`npm install -g $LUCID_URL/cli.tgz`): every
 * command but `serve`, which needs Lucid's checkout and says so.
 */
import { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { clientCommands } from './client-commands.ts';
import { runLucid } from './program.ts';

const serveElsewhere = new Command('serve')
  .description("run the Lucid server (only from Lucid's own checkout)")
  .action(() => {
    throw new CliError(
      "This lucid was installed from a server and runs no server itself: run the server from Lucid's checkout (npm start)",
    );
  });

await runLucid([...clientCommands(), serveElsewhere]);
