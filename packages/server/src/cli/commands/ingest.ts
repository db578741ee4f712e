/**
 * @module cli/commands/ingest
 * `lucid ingest`: creates a repository on Lucid from a local git repository and pushes its
 * branch (or every branch and tag) into it with the real git.
 */
import { Command } from 'commander';
import { Repo, RepoName } from '@lucid/contracts';
import { ApiError, apiClient } from '../api-client.ts';
import { CliError } from '../cli-error.ts';
import { resolveConnection, withConnectionOptions } from '../connection.ts';
import { git, parsePushReport, pushFailure } from '../git.ts';
import { inspectLocalRepo, type LocalRepo } from '../local-repo.ts';

interface IngestOptions {
  name: string;
  branch?: string;
  allBranches?: boolean;
}

export function ingestCommand(): Command {
  return withConnectionOptions(
    new Command('ingest')
      .description('create a repository on Lucid from a local git repository, and push it')
      .argument('<path>', 'the top folder of the local repository')
      .requiredOption('--name <name>', 'the name of the new repository')
      .option('--branch <branch>', 'the branch to push, made the default (default: current branch)')
      .option('--all-branches', 'push every local branch and every tag'),
  ).action(async (given: string, options: IngestOptions, command: Command) => {
    if (options.branch !== undefined && options.allBranches) {
      throw new CliError('--branch and --all-branches cannot be used together');
    }
    const name = RepoName.safeParse(options.name);
    if (!name.success) {
      const reason = name.error.issues[0]?.message ?? 'not a valid name';
      throw new CliError(`--name "${options.name}" is not a valid repository name: ${reason}`);
    }
    const local = await inspectLocalRepo(given);
    const defaultBranch = chooseDefaultBranch(local, given, options);

    const connection = await resolveConnection(command);
    const repo = await apiClient(connection)
      .post('/repos/ingest', { name: name.data, defaultBranch }, Repo)
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.code === 'name_taken') {
          throw new CliError(
            `A repository named ${name.data} already exists; choose another --name`,
          );
        }
        throw error;
      });
    console.log(`Created repository ${repo.name} (${repo.id}).`);

    const refspecs = options.allBranches
      ? ['refs/heads/*:refs/heads/*', 'refs/tags/*:refs/tags/*']
      : [`refs/heads/${defaultBranch}:refs/heads/${defaultBranch}`];
    const push = await git(['push', '--porcelain', repo.cloneUrl, ...refspecs], {
      cwd: local.dir,
      auth: { url: repo.cloneUrl, token: connection.token },
    });
    if (push.code !== 0) {
      throw new CliError(
        `Repository ${repo.name} was created, but pushing to it failed: ${pushFailure(push)}. ` +
          `Fix that, then push again to ${repo.cloneUrl} (any user name, an API token as the password)`,
      );
    }

    const pushed = parsePushReport(push.stdout).filter((ref) => ref.flag !== '!');
    const branches = pushed.filter((ref) => ref.to.startsWith('refs/heads/')).length;
    const tags = pushed.filter((ref) => ref.to.startsWith('refs/tags/')).length;
    const sha = local.branches.get(defaultBranch)?.slice(0, 12);
    console.log(
      options.allBranches
        ? `Pushed ${plural(branches, 'branch', 'branches')} and ${plural(tags, 'tag', 'tags')}; the default branch is ${defaultBranch} (${sha}).`
        : `Pushed ${defaultBranch} (${sha}), the default branch.`,
    );
    console.log(`Clone URL: ${repo.cloneUrl}`);
  });
}

/** The branch to push and make the default, or why there is none. */
function chooseDefaultBranch(local: LocalRepo, given: string, options: IngestOptions): string {
  const available = [...local.branches.keys()];
  if (options.branch !== undefined) {
    if (!local.branches.has(options.branch)) {
      throw new CliError(
        `Branch ${options.branch} not found in ${given} (its branches: ${available.join(', ')})`,
      );
    }
    return options.branch;
  }
  const current = local.currentBranch;
  if (options.allBranches) {
    const preferred = [current, 'main', 'master'].find((b) => b && local.branches.has(b));
    return preferred ?? available.sort()[0] ?? 'main';
  }
  if (current === null) {
    throw new CliError(`${given} has a detached HEAD; choose a branch with --branch`);
  }
  if (!local.branches.has(current)) {
    throw new CliError(
      `The current branch of ${given}, ${current}, has no commits yet; choose a branch with --branch`,
    );
  }
  return current;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
