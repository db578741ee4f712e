/**
 * @module forges/upstream-git
 * Git between Lucid's bare repository and a forge: pushes a task's branch to the upstream, fetches
 * one of the upstream's branches. The forge's credentials reach git only through its environment
 * (`GIT_CONFIG_*` setting `http.<url>.extraHeader` for that URL alone): never in the URL, the
 * command line or the repository's config, so nothing that logs or inspects git sees them.
 */
import { gitEnv, readFirstBytes } from '../git/run-git.ts';
import { spawnProcess } from '../process/spawn.ts';

/** Where a repository lives on its forge, and the basic credentials that read and push it. */
export interface UpstreamRemote {
  url: string;
  username: string;
  password: string;
}

/** Git refused to update the upstream's branch: it holds commits the pushed one lacks. */
export class PushRejectedError extends Error {
  constructor(
    readonly branch: string,
    readonly detail: string,
  ) {
    super(`The upstream refused the push of ${branch}: ${detail}`);
    this.name = 'PushRejectedError';
  }
}

/** The forge refused the credentials (revoked, expired, or without access to the repository). */
export class UpstreamAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamAuthError';
  }
}

/** The forge took the credentials but refused them this repository (no write access): 403. */
export class UpstreamForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamForbiddenError';
  }
}

/** Any other failure of git against the forge; its text never holds the credentials. */
export class UpstreamGitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamGitError';
  }
}

interface GitResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment that gives git the remote's credentials for its URL only. */
function credentialEnv(remote: UpstreamRemote): NodeJS.ProcessEnv {
  const basic = Buffer.from(`${remote.username}:${remote.password}`).toString('base64');
  return gitEnv({
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${remote.url}.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    GIT_ASKPASS: 'true',
    // A forge that stops answering ends the command rather than holding it open.
    GIT_HTTP_LOW_SPEED_LIMIT: '1000',
    GIT_HTTP_LOW_SPEED_TIME: '60',
  });
}

function masked(text: string, remote: UpstreamRemote): string {
  let out = text;
  for (const secret of [
    remote.password,
    Buffer.from(`${remote.username}:${remote.password}`).toString('base64'),
  ]) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out.trim();
}

async function gitWith(remote: UpstreamRemote, args: string[], cwd: string): Promise<GitResult> {
  const child = await spawnProcess('git', args, { cwd, env: credentialEnv(remote) });
  child.stdin.end();
  const [stdout, stderr, { code }] = await Promise.all([
    readFirstBytes(child.stdout, 1024 * 1024),
    readFirstBytes(child.stderr, 64 * 1024),
    child.closed,
  ]);
  return {
    code,
    stdout: masked(stdout.toString('utf8'), remote),
    stderr: masked(stderr.toString('utf8'), remote),
  };
}

const AUTH_FAILURE =
  /Authentication failed|could not read Username|could not read Password|HTTP Basic: Access denied|The requested URL returned error: 401|Invalid username or password/i;
const FORBIDDEN =
  /The requested URL returned error: 403|Permission to .* denied|not allowed to push/i;

function failure(result: GitResult, what: string): Error {
  const detail = result.stderr || result.stdout || `git exited with ${result.code}`;
  if (AUTH_FAILURE.test(detail)) return new UpstreamAuthError(`${what}: ${detail}`);
  if (FORBIDDEN.test(detail)) return new UpstreamForbiddenError(`${what}: ${detail}`);
  return new UpstreamGitError(`${what}: ${detail}`);
}

/**
 * Pushes `branch` of the bare repository at `repoPath` to the same branch upstream, never forced.
 * Answers the pushed sha and whether the upstream already had it; a non-fast-forward is
 * {@link PushRejectedError}, refused credentials {@link UpstreamAuthError}.
 *
 * @example
 * const { sha } = await pushBranch({ repoPath, remote: forge.gitRemote(token, 'octo/app'), branch: 'lucid/fix-1' });
 */
export async function pushBranch({
  repoPath,
  remote,
  branch,
}: {
  repoPath: string;
  remote: UpstreamRemote;
  branch: string;
}): Promise<{ sha: string; upToDate: boolean }> {
  const ref = `refs/heads/${branch}`;
  const head = await gitWith(
    remote,
    ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`],
    repoPath,
  );
  if (head.code !== 0) throw new UpstreamGitError(`Lucid's repository has no branch ${branch}.`);
  const sha = head.stdout;
  const pushed = await gitWith(
    remote,
    ['push', '--porcelain', '--no-verify', remote.url, `${ref}:${ref}`],
    repoPath,
  );
  const line = pushed.stdout.split('\n').find((l) => l.includes(`${ref}:${ref}`));
  const flag = line?.[0];
  if (
    flag === '!' ||
    (pushed.code !== 0 &&
      /non-fast-forward|fetch first|\[rejected\]/.test(pushed.stderr + pushed.stdout))
  ) {
    const reason = /\(([^)]+)\)\s*$/.exec(line ?? '')?.[1] ?? 'non-fast-forward';
    if (/non-fast-forward|fetch first|rejected/.test(reason + pushed.stderr)) {
      throw new PushRejectedError(branch, reason);
    }
  }
  if (pushed.code !== 0) throw failure(pushed, `Pushing ${branch} failed`);
  return { sha, upToDate: flag === '=' };
}

/**
 * Fetches the upstream's `branch` into `intoRef` of the bare repository (forced: the ref is
 * Lucid's copy of what the upstream holds). Answers its sha, or null when the upstream has no
 * such branch.
 */
export async function fetchBranch({
  repoPath,
  remote,
  branch,
  intoRef,
}: {
  repoPath: string;
  remote: UpstreamRemote;
  branch: string;
  intoRef: string;
}): Promise<string | null> {
  const listed = await gitWith(
    remote,
    ['ls-remote', '--heads', remote.url, `refs/heads/${branch}`],
    repoPath,
  );
  if (listed.code !== 0) throw failure(listed, `Reading the upstream's branches failed`);
  if (!listed.stdout) return null;
  const fetched = await gitWith(
    remote,
    ['fetch', '--quiet', '--no-tags', remote.url, `+refs/heads/${branch}:${intoRef}`],
    repoPath,
  );
  if (fetched.code !== 0) throw failure(fetched, `Fetching ${branch} from the upstream failed`);
  return listed.stdout.split(/\s/)[0] ?? null;
}
