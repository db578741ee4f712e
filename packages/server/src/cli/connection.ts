/**
 * @module cli/connection
 * Which server a client command talks to, with which token. Highest first: the `--server` and
 * `--token` options, the `LUCID_SERVER` and `LUCID_TOKEN` environment variables, then the
 * credentials `lucid login` saved. A saved token is only ever sent to the server it was saved for.
 */
import { type Command, Option } from 'commander';
import { CliError } from './cli-error.ts';
import { credentialsPath, loadCredentials } from './credentials.ts';
import { parseServerUrl } from './server-url.ts';

export interface Connection {
  server: string;
  token: string;
}

interface ConnectionOptions {
  server?: string;
  token?: string;
}

/** Adds `--server` and `--token` (with their environment variables) to a command. */
export function withConnectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--server <url>', 'the Lucid server, such as http://localhost:3000').env(
        'LUCID_SERVER',
      ),
    )
    .addOption(
      new Option(
        '--token <token>',
        'an API token (arguments are visible to other local users: prefer LUCID_TOKEN or lucid login)',
      ).env('LUCID_TOKEN'),
    );
}

/** The server URL given by option or environment, checked; undefined when none was given. */
export function givenServer(command: Command): string | undefined {
  const { server } = command.opts<ConnectionOptions>();
  if (!server) return undefined;
  const source = command.getOptionValueSource('server') === 'env' ? 'LUCID_SERVER' : '--server';
  return parseServerUrl(server, source);
}

/** The token given by option or environment; undefined when none was given. */
export function givenToken(command: Command): string | undefined {
  return command.opts<ConnectionOptions>().token?.trim() || undefined;
}

/**
 * The server and token a client command uses.
 *
 * @example
 * const { server, token } = await resolveConnection(command);
 */
export async function resolveConnection(command: Command): Promise<Connection> {
  const saved = await loadCredentials();
  const server = givenServer(command) ?? saved?.server;
  if (!server) {
    throw new CliError(
      'No Lucid server: run "lucid login --server URL --token TOKEN", or pass --server or set LUCID_SERVER',
    );
  }
  const token = givenToken(command) ?? (saved?.server === server ? saved.token : undefined);
  if (!token) {
    throw new CliError(
      `No API token for ${server}: run "lucid login --server ${server} --token TOKEN", or set LUCID_TOKEN` +
        (saved ? ` (${credentialsPath()} holds a token for ${saved.server} only)` : ''),
    );
  }
  return { server, token };
}
