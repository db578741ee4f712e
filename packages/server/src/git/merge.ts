/**
 * @module git/merge
 * Merges one branch into another inside a bare repository, with git plumbing only: no working tree,
 * no index, nothing half-changed. A fast-forward when the target is an ancestor of the branch, else
 * `git merge-tree --write-tree` makes the merged tree, `commit-tree` the merge commit (author Lucid,
 * committer the person who approved), and `update-ref` moves the target only if it still points
 * where it did (a concurrent push makes the merge fail, not vanish).
 */
import { gitEnv, readFirstBytes, runGit } from './run-git.ts';
import { spawnProcess } from '../process/spawn.ts';

/** Who the merge commit names as its author. */
export const LUCID_AUTHOR = { name: 'Lucid', email: 'lucid@localhost' };

export type MergeResult =
  | { kind: 'merged'; sha: string; strategy: 'fast-forward' | 'merge-commit' }
  | { kind: 'conflict'; files: string[] }
  | { kind: 'missing'; ref: string }
  | { kind: 'moved' };

/**
 * Merges `branch` into `into` in the bare repository at `repoPath`.
 *
 * @example
 * const result = await mergeBranch(repoPath, {
 *   branch: 'lucid/fix-login-ab12', into: 'main',
 *   committer: { name: 'Ada', email: 'ada@example.com' },
 * });
 */
export async function mergeBranch(
  repoPath: string,
  {
    branch,
    into,
    committer,
  }: { branch: string; into: string; committer: { name: string; email: string } },
): Promise<MergeResult> {
  const head = await resolve(repoPath, `refs/heads/${branch}`);
  if (!head) return { kind: 'missing', ref: branch };
  const target = `refs/heads/${into}`;
  const base = await resolve(repoPath, target);
  if (!base) {
    // No target branch yet: the branch becomes it.
    return (await moveRef(repoPath, target, head, ''))
      ? { kind: 'merged', sha: head, strategy: 'fast-forward' }
      : { kind: 'moved' };
  }
  if (await isAncestor(repoPath, head, base)) {
    return { kind: 'merged', sha: base, strategy: 'fast-forward' };
  }
  if (await isAncestor(repoPath, base, head)) {
    return (await moveRef(repoPath, target, head, base))
      ? { kind: 'merged', sha: head, strategy: 'fast-forward' }
      : { kind: 'moved' };
  }
  const tree = await mergeTree(repoPath, base, head);
  if (tree.kind === 'conflict') return tree;
  const commit = (
    await runGit(
      [
        '-c',
        `author.name=${LUCID_AUTHOR.name}`,
        '-c',
        `author.email=${LUCID_AUTHOR.email}`,
        '-c',
        `committer.name=${identity(committer.name) || LUCID_AUTHOR.name}`,
        '-c',
        `committer.email=${identity(committer.email) || LUCID_AUTHOR.email}`,
        'commit-tree',
        tree.tree,
        '-p',
        base,
        '-p',
        head,
        '-m',
        `Merge branch '${branch}' into ${into}`,
      ],
      { cwd: repoPath },
    )
  ).trim();
  return (await moveRef(repoPath, target, commit, base))
    ? { kind: 'merged', sha: commit, strategy: 'merge-commit' }
    : { kind: 'moved' };
}

/** A name or email as git takes it in an ident: no angle brackets, no line breaks. */
function identity(value: string): string {
  return value.replace(/[<>\r\n]/g, '').trim();
}

async function resolve(repoPath: string, ref: string): Promise<string | null> {
  const { code, stdout } = await gitStatus(repoPath, ['rev-parse', '--verify', '--quiet', ref]);
  return code === 0 ? stdout.trim() : null;
}

async function isAncestor(repoPath: string, ancestor: string, of: string): Promise<boolean> {
  const { code } = await gitStatus(repoPath, ['merge-base', '--is-ancestor', ancestor, of]);
  return code === 0;
}

/** Moves `ref` to `sha` only if it still points at `old` ('' = does not exist yet). */
async function moveRef(repoPath: string, ref: string, sha: string, old: string): Promise<boolean> {
  const { code } = await gitStatus(repoPath, ['update-ref', ref, sha, old]);
  return code === 0;
}

async function mergeTree(
  repoPath: string,
  base: string,
  head: string,
): Promise<{ kind: 'clean'; tree: string } | { kind: 'conflict'; files: string[] }> {
  const args = ['merge-tree', '--write-tree', '--name-only', '--no-messages', base, head];
  const { code, stdout, stderr } = await gitStatus(repoPath, args);
  const lines = stdout.split('\n').filter((line) => line !== '');
  const [tree, ...files] = lines;
  if (code === 0 && tree) return { kind: 'clean', tree };
  if (code === 1) return { kind: 'conflict', files: [...new Set(files)].sort() };
  throw new Error(`git merge-tree failed (${code}): ${stderr.trim()}`);
}

/** Runs git and answers its exit code and output, whatever the code. */
async function gitStatus(
  cwd: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = await spawnProcess('git', args, { cwd, env: gitEnv() });
  child.stdin.end();
  const [stdout, stderr, { code }] = await Promise.all([
    readFirstBytes(child.stdout, 16 * 1024 * 1024),
    readFirstBytes(child.stderr, 64 * 1024),
    child.closed,
  ]);
  return { code, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') };
}
