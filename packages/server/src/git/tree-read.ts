/**
 * @module git/tree-read
 * Reads a commit of a bare repository without a working tree: a directory's entries, a file's
 * first bytes, and the diff between two commits. Paths are looked up in git's trees, so a symbolic
 * link is never followed.
 */
import type { Readable } from 'node:stream';
import { spawnProcess } from '../process/spawn.ts';
import { GitError, gitEnv, readFirstBytes, runGit } from './run-git.ts';

/** git's empty tree: the base of a diff when there is nothing to compare with. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export interface TreeEntry {
  name: string;
  type: 'file' | 'dir';
}

/** The commit a revision names, or null when it names none. */
export async function resolveCommit(repoPath: string, rev: string): Promise<string | null> {
  try {
    const out = await runGit(
      ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`],
      {
        cwd: repoPath,
      },
    );
    return out.trim() || null;
  } catch (error) {
    if (error instanceof GitError) return null;
    throw error;
  }
}

/** What `path` is in the commit's tree: a directory, a file (a symbolic link counts), or absent. */
export async function pathType(
  repoPath: string,
  commit: string,
  path: string,
): Promise<'dir' | 'file' | null> {
  if (path === '') return 'dir';
  const out = await runGit(['ls-tree', '-z', '--end-of-options', commit, '--', path], {
    cwd: repoPath,
  });
  const entry = out.split('\0').find((line) => line.endsWith(`\t${path}`));
  if (!entry) return null;
  const [, type] = entry.split(/[ \t]/);
  return type === 'tree' ? 'dir' : type === 'blob' ? 'file' : null;
}

/** The entries of a directory of the commit (`''` for its root). */
export async function listTree(
  repoPath: string,
  commit: string,
  path: string,
): Promise<TreeEntry[]> {
  const out = await runGit(['ls-tree', '-z', '--end-of-options', `${commit}:${path}`], {
    cwd: repoPath,
  });
  return out
    .split('\0')
    .filter(Boolean)
    .flatMap((line): TreeEntry[] => {
      const tab = line.indexOf('\t');
      const [, type] = line.slice(0, tab).split(' ');
      const name = line.slice(tab + 1);
      if (type === 'tree') return [{ name, type: 'dir' }];
      if (type === 'blob') return [{ name, type: 'file' }];
      return [];
    });
}

/** A file of the commit: its size and its first `maxBytes` bytes. */
export async function readBlob(
  repoPath: string,
  commit: string,
  path: string,
  maxBytes: number,
): Promise<{ size: number; content: Buffer }> {
  const object = `${commit}:${path}`;
  const size = Number((await runGit(['cat-file', '-s', object], { cwd: repoPath })).trim());
  const child = await spawnProcess('git', ['cat-file', 'blob', object], {
    cwd: repoPath,
    env: gitEnv(),
  });
  child.stdin.end();
  const [content] = await Promise.all([
    readFirstBytes(child.stdout, maxBytes),
    drain(child.stderr),
    child.closed,
  ]);
  return { size, content };
}

/** The unified diff from one commit (or tree) to another, new files included. */
export async function diffCommits(repoPath: string, from: string, to: string): Promise<string> {
  return runGit(['diff', '--no-color', '--no-ext-diff', '--end-of-options', from, to, '--'], {
    cwd: repoPath,
  });
}

/**
 * The commits from `from` (excluded; null: from the root) to `to` as `git format-patch --stdout`
 * writes them, binary changes included, so `git am` or `git apply` can take the whole.
 */
export async function formatPatch(
  repoPath: string,
  from: string | null,
  to: string,
): Promise<string> {
  const range = from === null ? ['--root', to] : [`${from}..${to}`];
  return runGit(
    ['format-patch', '--stdout', '--binary', '--no-color', '--no-signature', ...range],
    { cwd: repoPath },
  );
}

/** Where `to` forked from `base`: their merge base, else `base` itself. */
export async function forkPoint(repoPath: string, base: string, to: string): Promise<string> {
  try {
    return (await runGit(['merge-base', base, to], { cwd: repoPath })).trim() || base;
  } catch {
    return base;
  }
}

async function drain(stream: Readable): Promise<void> {
  for await (const _ of stream) {
    // stderr is not needed; read it so git never blocks on it
  }
}
