/**
 * @module cli/commands/repos
 * `lucid repos`: the repositories you can see, as a table or as JSON.
 */
import { Command } from 'commander';
import { RepoList } from '@lucid/contracts';
import { apiClient } from '../api-client.ts';
import { resolveConnection, withConnectionOptions } from '../connection.ts';
import { formatTable } from '../table.ts';

export function reposCommand(): Command {
  return withConnectionOptions(
    new Command('repos')
      .description('list the repositories you can see')
      .option('--json', 'print the repositories as a JSON array'),
  ).action(async (options: { json?: boolean }, command: Command) => {
    const api = apiClient(await resolveConnection(command));
    const { repos } = await api.get('/repos', RepoList);
    if (options.json) {
      console.log(JSON.stringify(repos, null, 2));
    } else if (repos.length === 0) {
      console.log('No repositories yet. Add one with: lucid ingest PATH --name NAME');
    } else {
      console.log(
        formatTable(
          ['NAME', 'ID', 'DEFAULT BRANCH', 'CLONE URL'],
          repos.map((repo) => [repo.name, repo.id, repo.defaultBranch, repo.cloneUrl]),
        ),
      );
    }
  });
}
