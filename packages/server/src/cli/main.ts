/**
 * @module cli/main
 * The `lucid` command line of Lucid's checkout (`bin/lucid.js`): `serve` runs the server; the
 * other commands talk to a server over its REST API and its git endpoint, or run tasks for it.
 */
import { clientCommands } from './client-commands.ts';
import { backupCommand } from './commands/backup.ts';
import { serveCommand } from './commands/serve.ts';
import { runLucid } from './program.ts';

await runLucid([serveCommand(), backupCommand(), ...clientCommands()]);
