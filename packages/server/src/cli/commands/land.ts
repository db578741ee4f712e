/**
 * @module cli/commands/land
 * `lucid land`: pushes a branch from Lucid's copy of a repository to another git remote, such as
 * the upstream the work is meant for. With `--remote`, the branch is fetched from Lucid (with the
 * API token, sent to Lucid alone) into a temporary bare repository, then pushed with the user's
 * own git credentials. Without it, for a repository added from GitHub or GitLab, the server pushes
 * it to the upstream with the linked forge account (`POST /api/v1/repos/{id}/land`), and with
 * `--pr` opens its pull or merge request.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { BranchList, LandResult, RepoList, type Repo } from '@lucid/contracts';
import { apiClient, type ApiClient } from '../api-client.ts';
import { CliError } from '../cli-error.ts';
import { resolveConnection, withConnectionOptions } from '../connection.ts';
import { git, gitMessage, gitOutput, parsePushReport, pushFailure } from '../git.ts';

interface LandOptions {
  branch: string;
  remote?: string;
  pr?: boolean;
}

export function landCommand(): Command {
  return withConnectionOptions(
    new Command('land')
      .description('push a branch from Lucid to another git remote, such as the upstream')
      .argument('<repo>', 'the repository on Lucid: its name or id')
      .requiredOption('--branch <branch>', 'the branch to push')
      .option(
        '--remote <url>',
        "where to push it: a git URL or a local path (your own git credentials apply); by default the repository's upstream on GitHub or GitLab",
      )
      .option('--pr', 'open (or refresh) its pull or merge request on the upstream'),
  ).action(async (repoRef: string, options: LandOptions, command: Command) => {
    if (options.remote !== undefined && options.pr) {
      throw new CliError(
        "--pr opens the request on the repository's upstream: leave out --remote to land there",
      );
    }
    const connection = await resolveConnection(command);
    const api = apiClient(connection);
    const repo = await findRepo(api, repoRef);
    if (options.remote === undefined) {
      await landUpstream(api, repo, { branch: options.branch, pr: options.pr ?? false });
      return;
    }
    const remote = remoteLocation(options.remote);
    const shown = displayRemote(remote);
    const { branches } = await api.get(`/repos/${repo.id}/branches`, BranchList);
    if (!branches.some((b) => b.name === options.branch)) {
      const known = branches.map((b) => b.name).join(', ');
      throw new CliError(
        `Branch ${options.branch} is not on Lucid in ${repo.name} (${known ? `its branches: ${known}` : 'it has no branches yet'})`,
      );
    }

    const ref = `refs/heads/${options.branch}`;
    const work = await mkdtemp(path.join(tmpdir(), 'lucid-land-'));
    try {
      await gitOutput(['init', '--quiet', '--bare'], { cwd: work });
      const fetched = await git(
        ['fetch', '--quiet', '--no-tags', repo.cloneUrl, `+${ref}:${ref}`],
        {
          cwd: work,
          auth: { url: repo.cloneUrl, token: connection.token },
        },
      );
      if (fetched.code !== 0) {
        throw new CliError(
          `Cannot fetch ${options.branch} from Lucid: ${gitMessage(fetched.stderr)}`,
        );
      }
      const sha = (await gitOutput(['rev-parse', ref], { cwd: work })).trim();

      const pushed = await git(['push', '--porcelain', remote, `${ref}:${ref}`], { cwd: work });
      if (pushed.code !== 0) {
        throw new CliError(`Pushing ${options.branch} to ${shown} failed: ${pushFailure(pushed)}`);
      }
      const upToDate = parsePushReport(pushed.stdout).some((r) => r.to === ref && r.flag === '=');
      console.log(
        upToDate
          ? `${shown} already has ${options.branch} at ${sha}.`
          : `Pushed ${options.branch} at ${sha} from ${repo.name} to ${shown}.`,
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}

/** Has the server push the branch to the repository's upstream, and open its request with `pr`. */
async function landUpstream(
  api: ApiClient,
  repo: Repo,
  { branch, pr }: { branch: string; pr: boolean },
): Promise<void> {
  if (!repo.upstream) {
    throw new CliError(
      `${repo.name} has no upstream on GitHub or GitLab; pass --remote <url> to push it elsewhere`,
    );
  }
  const landed = await api.post(`/repos/${repo.id}/land`, { branch, pr }, LandResult);
  console.log(`Pushed ${branch} at ${landed.sha} from ${repo.name} to ${repo.upstream.url}.`);
  const request = landed.pullRequest;
  if (request) {
    const noun = repo.upstream.provider === 'gitlab' ? 'Merge request' : 'Pull request';
    console.log(`${noun} ${request.created ? 'opened' : 'updated'}: ${request.url}`);
  }
}

/** The repository named `nameOrId` (or with that id) among those the user can see. */
async function findRepo(api: ApiClient, nameOrId: string): Promise<Repo> {
  const { repos } = await api.get('/repos', RepoList);
  const byId = repos.find((repo) => repo.id === nameOrId);
  if (byId) return byId;
  const named = repos.filter((repo) => repo.name === nameOrId);
  const [only] = named;
  if (only && named.length === 1) return only;
  if (named.length > 1) {
    throw new CliError(
      `Several repositories are named ${nameOrId} (${named.map((r) => r.id).join(', ')}); pass the id`,
    );
  }
  throw new CliError(
    `No repository named ${nameOrId} on ${api.server}; "lucid repos" lists those you can see`,
  );
}

/**
 * The remote as git should get it from a temporary folder: URLs and `host:path` addresses as they
 * are, local paths made absolute.
 */
function remoteLocation(raw: string): string {
  if (raw.trim() === '' || raw.startsWith('-')) {
    throw new CliError(`--remote must be a git URL or a path, not "${raw}"`);
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(raw)) return raw;
  if (/^[^/]+:/.test(raw)) return raw;
  return path.resolve(raw);
}

/** The remote for messages, without a password it may carry. */
function displayRemote(remote: string): string {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(remote) || !URL.canParse(remote)) return remote;
  const url = new URL(remote);
  if (!url.password) return remote;
  url.password = '***';
  return url.toString();
}
