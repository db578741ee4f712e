/**
 * @module sandbox/workspace-reader
 * Reads a sandbox's `/workspace` as it is now, without changing it: a directory's entries, a
 * file's first bytes, and the diff of the work against a base branch (committed or not, new files
 * included, through a throwaway index so the workspace's own index is untouched). Each path is
 * resolved inside the sandbox and must stay inside the workspace and out of `.git`, so a symbolic
 * link cannot lead elsewhere.
 */
import type { Sandbox } from './driver.ts';

/** Why a path was refused. */
export type WorkspacePathProblem = 'missing' | 'outside' | 'git_dir' | 'wrong_type';

export class WorkspacePathError extends Error {
  constructor(readonly problem: WorkspacePathProblem) {
    super(`workspace path refused: ${problem}`);
    this.name = 'WorkspacePathError';
  }
}

const EXIT_PROBLEM: Record<number, WorkspacePathProblem> = {
  3: 'missing',
  4: 'outside',
  5: 'git_dir',
  6: 'wrong_type',
};

/** Resolves "./$1" to `$target` inside the workspace, or exits with a problem's code. */
const RESOLVE = `
cd /workspace || exit 3
root=$(pwd -P)
target=$(realpath -e -- "./$1" 2>/dev/null) || exit 3
case "$target" in "$root"|"$root"/*) ;; *) exit 4 ;; esac
case "$target/" in "$root"/.git/*) exit 5 ;; esac
`;

const LIST = `${RESOLVE}
[ -d "$target" ] || exit 6
find "$target" -mindepth 1 -maxdepth 1 ! -name .git -printf '%Y\\t%f\\0'
`;

const READ = `${RESOLVE}
[ -f "$target" ] || exit 6
stat -c %s -- "$target"
head -c "$2" -- "$target" | base64 -w0
`;

const DIFF = `
cd /workspace || exit 3
[ -d .git ] || exit 0
index=$(mktemp) && rm -f "$index"
trap 'rm -f "$index" "$index.lock"' EXIT
[ -f .git/index ] && cp .git/index "$index"
export GIT_INDEX_FILE="$index"
git add -A . >/dev/null 2>&1 || exit 7
base="refs/remotes/origin/$1"
from=$(git merge-base HEAD "$base" 2>/dev/null || git rev-parse --verify -q "$base^{commit}" || echo 4b825dc642cb6eb9a060e54bf8d69288fbee4904)
git diff --cached --no-color --no-ext-diff "$from" --
`;

async function script(
  sandbox: Sandbox,
  body: string,
  args: string[],
  maxOutputBytes: number,
): Promise<{ stdout: string; truncated: boolean }> {
  const result = await sandbox.exec(['sh', '-c', body, 'sh', ...args], {
    timeoutMs: 30_000,
    maxOutputBytes,
  });
  const problem = result.exitCode === null ? undefined : EXIT_PROBLEM[result.exitCode];
  if (problem) throw new WorkspacePathError(problem);
  if (result.exitCode !== 0) {
    throw new Error(`reading the workspace failed: ${result.stderr.trim().slice(0, 300)}`);
  }
  return { stdout: result.stdout, truncated: result.truncated };
}

/** A directory's entries (`''` for the workspace root), `.git` left out. */
export async function listWorkspaceDir(
  sandbox: Sandbox,
  path: string,
): Promise<{ name: string; type: 'file' | 'dir' }[]> {
  const { stdout } = await script(sandbox, LIST, [path], 16 * 1024 * 1024);
  return stdout
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      return { name: line.slice(tab + 1), type: line.slice(0, tab) === 'd' ? 'dir' : 'file' };
    });
}

/** A file's size and first `maxBytes` bytes. */
export async function readWorkspaceFile(
  sandbox: Sandbox,
  path: string,
  maxBytes: number,
): Promise<{ size: number; content: Buffer }> {
  const { stdout } = await script(sandbox, READ, [path, String(maxBytes)], maxBytes * 2);
  const newline = stdout.indexOf('\n');
  return {
    size: Number(stdout.slice(0, newline)),
    content: Buffer.from(stdout.slice(newline + 1).trim(), 'base64'),
  };
}

/** The work in the workspace against `origin/<baseBranch>`, as a unified diff. */
export async function workspaceDiff(
  sandbox: Sandbox,
  baseBranch: string,
  maxBytes: number,
): Promise<{ diff: string; truncated: boolean }> {
  const { stdout, truncated } = await script(sandbox, DIFF, [baseBranch], maxBytes);
  return { diff: stdout, truncated };
}
