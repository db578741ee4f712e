/**
 * @module cli/commands/login
 * `lucid login`: checks an API token against a server, then saves both for later commands.
 */
import { Command } from 'commander';
import { Me } from '@lucid/contracts';
import { apiClient } from '../api-client.ts';
import { CliError } from '../cli-error.ts';
import { givenServer, givenToken, withConnectionOptions } from '../connection.ts';
import { loadCredentials, saveCredentials } from '../credentials.ts';

export function loginCommand(): Command {
  return withConnectionOptions(
    new Command('login')
      .description('sign in to a Lucid server with an API token, and remember it')
      .addHelpText(
        'after',
        '\nThe token may also come from LUCID_TOKEN or be piped on stdin:\n' +
          '  lucid login --server http://localhost:3000 < token.txt',
      ),
  ).action(async (_options: unknown, command: Command) => {
    const server = givenServer(command) ?? (await loadCredentials())?.server;
    if (!server) throw new CliError('Pass the server to sign in to with --server URL');
    const token = givenToken(command) ?? (await tokenFromStdin());
    if (!token) {
      throw new CliError('Pass an API token with --token, set LUCID_TOKEN, or pipe it on stdin');
    }
    const me = await apiClient({ server, token }).get('/me', Me);
    const file = await saveCredentials({
      server,
      token,
      user: { id: me.user.id, name: me.user.name, email: me.user.email },
      savedAt: new Date().toISOString(),
    });
    console.log(`Signed in to ${server} as ${me.user.name} <${me.user.email}>.`);
    console.log(`Credentials saved to ${file}.`);
  });
}

/** The first line piped on stdin; undefined when stdin is a terminal. */
async function tokenFromStdin(): Promise<string | undefined> {
  if (process.stdin.isTTY) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n')[0]?.trim() || undefined;
}
