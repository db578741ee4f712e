/**
 * @module safety/changes
 * What a push would carry, read with the real `git` from Lucid's bare repository: the files the
 * commits from `base` to `head` change, and the lines they add (with their line numbers in `head`).
 */
import { runGit } from '../git/run-git.ts';

/** Git's empty tree: the base of a branch whose base branch does not exist. */
const EMPTY_TREE = '4b825dc642cb6eb9a060ae85a5e0e27b8b2ad2f4';

/** A file the change touches: its path in `head` (and before, when it was renamed or deleted). */
export interface ChangedFile {
  path: string;
  previousPath?: string;
}

/** The lines a change adds to one file, each with its line number in `head`. */
export interface AddedLines {
  path: string;
  lines: { line: number; text: string }[];
}

/** The change from `base` to `head`: its files and added lines. */
export interface Change {
  /** The commit the change starts from (the merge base), or git's empty tree. */
  from: string;
  head: string;
  files: ChangedFile[];
  added: AddedLines[];
}

/** Where `head` leaves `baseRef`: their merge base; git's empty tree when there is none. */
async function startOf(repoPath: string, baseRef: string, head: string): Promise<string> {
  try {
    return (await runGit(['merge-base', baseRef, head], { cwd: repoPath })).trim();
  } catch {
    return EMPTY_TREE;
  }
}

/** Parses `git diff --name-status -z -M`. */
function parseNameStatus(out: string): ChangedFile[] {
  const parts = out.split('\0');
  const files: ChangedFile[] = [];
  for (let i = 0; i < parts.length;) {
    const status = parts[i++];
    if (!status) break;
    if (status.startsWith('R') || status.startsWith('C')) {
      const previousPath = parts[i++] ?? '';
      const path = parts[i++] ?? '';
      files.push(status.startsWith('R') ? { path, previousPath } : { path });
    } else {
      files.push({ path: parts[i++] ?? '' });
    }
  }
  return files;
}

/** Parses the added lines of `git diff -U0`, numbered as in the new file. */
function parseAdded(out: string): AddedLines[] {
  const files: AddedLines[] = [];
  let current: AddedLines | null = null;
  let next = 0;
  for (const line of out.split('\n')) {
    if (line.startsWith('+++ ')) {
      const name = line.slice(4);
      current = name === '/dev/null' ? null : { path: name.replace(/^b\//, ''), lines: [] };
      if (current) files.push(current);
    } else if (line.startsWith('@@ ')) {
      const match = /\+(\d+)(?:,\d+)? @@/.exec(line);
      next = match ? Number(match[1]) : 0;
    } else if (line.startsWith('+') && current) {
      current.lines.push({ line: next, text: line.slice(1) });
      next += 1;
    }
  }
  return files.filter((file) => file.lines.length > 0);
}

/**
 * The change `head` makes since it left `baseRef` (a branch of the bare repository at
 * `repoPath`): the files it touches and the lines it adds. Binary files add no lines.
 *
 * @example
 * const change = await changeBetween(repoPath, 'refs/heads/main', 'refs/heads/lucid/fix-login');
 */
export async function changeBetween(
  repoPath: string,
  baseRef: string,
  headRef: string,
): Promise<Change> {
  const head = (
    await runGit(['rev-parse', '--verify', `${headRef}^{commit}`], { cwd: repoPath })
  ).trim();
  const from = await startOf(repoPath, baseRef, head);
  const common = ['-c', 'core.quotePath=false', 'diff', '--no-color', '--no-ext-diff'];
  const [names, patch] = await Promise.all([
    runGit([...common, '--name-status', '-z', '-M', from, head], { cwd: repoPath }),
    runGit([...common, '-U0', '-M', from, head], { cwd: repoPath }),
  ]);
  return { from, head, files: parseNameStatus(names), added: parseAdded(patch) };
}
