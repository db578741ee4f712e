/**
 * @module runner/workspace-snapshot
 * Saves a sandbox's workspace as a commit in the task's repository, and puts it back exactly in a
 * new sandbox: the branch where it was (local commits included), the index as it was (staged
 * changes stay staged), and every other file as it was (modified or untracked). Ignored files
 * are not kept.
 *
 * The snapshot is built like `git stash` without touching the working tree, the index or HEAD:
 * an index commit I (the index's tree, parent HEAD) and the workspace commit W (every file but
 * ignored ones, through a private index; parents HEAD and I). On an unborn branch, HEAD is no
 * parent: W's only parent is I.
 */
import type { SnapshotGrant } from '@lucid/contracts';
import type { Sandbox } from '../sandbox/driver.ts';

const WORKSPACE = '/workspace';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Lucid',
  GIT_AUTHOR_EMAIL: 'lucid@localhost',
  GIT_COMMITTER_NAME: 'Lucid',
  GIT_COMMITTER_EMAIL: 'lucid@localhost',
};

/** Exit code of the save script when the workspace holds no repository. */
const NO_REPOSITORY = 3;

const SAVE_SCRIPT = `set -e
[ -d .git ] || exit ${NO_REPOSITORY}
dir=$(mktemp -d)
[ ! -f .git/index ] || cp .git/index "$dir/index"
GIT_INDEX_FILE="$dir/index" git add -A
work=$(GIT_INDEX_FILE="$dir/index" git write-tree)
rm -rf "$dir"
index=$(git write-tree 2>/dev/null || echo "$work")
if head=$(git rev-parse -q --verify HEAD^{commit}); then
  i=$(echo "lucid: index" | git commit-tree "$index" -p "$head")
  echo "lucid: workspace snapshot" | git commit-tree "$work" -p "$head" -p "$i"
else
  i=$(echo "lucid: index" | git commit-tree "$index")
  echo "lucid: workspace snapshot" | git commit-tree "$work" -p "$i"
fi`;

const RESTORE_SCRIPT = `set -e
snapshot="$1"; branch="$2"
set -- $(git rev-list --parents -n 1 "$snapshot")
if [ $# -eq 3 ]; then head="$2"; index="$3"; else head=""; index="$2"; fi
git checkout --quiet --force -B "$branch" "$snapshot"
if [ -n "$head" ]; then
  git reset --quiet --soft "$head"
else
  git update-ref -d "refs/heads/$branch"
fi
git read-tree "$index^{tree}"
git update-index -q --refresh || true`;

/** Git's HTTP settings for one command: only this token's header, none kept in the repo. */
function authEnv(cloneUrl: string, token: string): Record<string, string> {
  const key = `http.${cloneUrl}.extraHeader`;
  return {
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: key,
    GIT_CONFIG_VALUE_0: '',
    GIT_CONFIG_KEY_1: key,
    GIT_CONFIG_VALUE_1: `Authorization: Basic ${Buffer.from(`lucid:${token}`).toString('base64')}`,
  };
}

async function run(
  sandbox: Sandbox,
  argv: string[],
  what: string,
  env: Record<string, string> = {},
  allowed: (number | null)[] = [0],
): Promise<{ exitCode: number | null; stdout: string }> {
  const result = await sandbox.exec(argv, { cwd: WORKSPACE, env: { ...IDENTITY, ...env } });
  if (!allowed.includes(result.exitCode)) {
    throw new Error(
      `${what} failed in the sandbox: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result;
}

/**
 * Commits the workspace (without changing it) and pushes the commit to the grant's ref; returns
 * the commit, or null when the workspace holds no repository.
 *
 * @example
 * const sha = await saveWorkspace(sandbox, await backend.snapshotGrant(taskId, sandbox.id));
 */
export async function saveWorkspace(
  sandbox: Sandbox,
  grant: SnapshotGrant,
): Promise<string | null> {
  const saved = await run(sandbox, ['sh', '-c', SAVE_SCRIPT], 'saving the workspace', {}, [
    0,
    NO_REPOSITORY,
  ]);
  if (saved.exitCode === NO_REPOSITORY) return null;
  const sha = saved.stdout.trim();
  await run(
    sandbox,
    ['git', 'push', '--quiet', '--force', grant.cloneUrl, `${sha}:${grant.ref}`],
    'pushing the workspace snapshot',
    authEnv(grant.cloneUrl, grant.token),
  );
  return sha;
}

/**
 * Puts a snapshot back into a workspace freshly cloned from the task's repository, on `branch`.
 *
 * @example
 * await restoreWorkspace(sandbox, { snapshot: claim.task.snapshot, branch, cloneUrl, token });
 */
export async function restoreWorkspace(
  sandbox: Sandbox,
  options: { snapshot: string; branch: string; cloneUrl: string; token: string },
): Promise<void> {
  const { snapshot, branch, cloneUrl, token } = options;
  await run(
    sandbox,
    ['git', 'fetch', '--quiet', cloneUrl, snapshot],
    'fetching the workspace snapshot',
    authEnv(cloneUrl, token),
  );
  await run(
    sandbox,
    ['sh', '-c', RESTORE_SCRIPT, 'restore', snapshot, branch],
    'restoring the workspace snapshot',
  );
}
