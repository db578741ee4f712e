/**
 * @module git/bare-repo
 * The bare repositories of Lucid's git server: where they live, creating and removing them, and
 * reading their branches and history.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Branch, Commit } from '@lucid/contracts';
import { AppError } from '../errors.ts';
import { spawnProcess } from '../process/spawn.ts';
import { gitEnv, GitError, readFirstBytes, runGit } from './run-git.ts';

/** Where the bare repo of a repository lives, below the git root. */
export function bareRepoPath(gitRoot: string, repoId: string): string {
  if (!/^[a-z0-9_]+$/.test(repoId)) throw new AppError('bad_request', 'Not a repository id.');
  return path.join(gitRoot, `${repoId}.git`);
}

export async function initBareRepo(repoPath: string, defaultBranch: string): Promise<void> {
  await runGit(['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, repoPath]);
  // Pushes over HTTP are allowed for authenticated users; history may not be rewritten on the
  // server without an explicit force push, and unreachable objects are kept for safety.
  await runGit(['config', 'http.receivepack', 'true'], { cwd: repoPath });
  await runGit(['config', 'receive.denyDeleteCurrent', 'true'], { cwd: repoPath });
  await runGit(['config', 'gc.auto', '0'], { cwd: repoPath });
  await runGit(['config', 'uploadpack.allowFilter', 'true'], { cwd: repoPath });
  await runGit(['config', 'uploadpack.allowAnySHA1InWant', 'true'], { cwd: repoPath });
}

export async function setDefaultBranch(repoPath: string, branch: string): Promise<void> {
  await runGit(['symbolic-ref', 'HEAD', `refs/heads/${branch}`], { cwd: repoPath });
}

export async function removeBareRepo(repoPath: string): Promise<void> {
  await rm(repoPath, { recursive: true, force: true });
}

// Field and record separators, as `git log` and `git for-each-ref` spell them in a format.
const FIELD = '%x1f';
const RECORD = '%x1e';
const REF_FIELD = '%1f';
const REF_RECORD = '%1e';

export async function listBranches(repoPath: string): Promise<Branch[]> {
  const out = await runGit(
    [
      'for-each-ref',
      '--sort=-committerdate',
      `--format=%(refname:strip=2)${REF_FIELD}%(objectname)${REF_FIELD}%(committerdate:iso-strict)${REF_RECORD}`,
      'refs/heads',
    ],
    { cwd: repoPath },
  );
  return records(out).map(([name = '', sha = '', updated = '']) => ({
    name,
    sha,
    updated: new Date(updated).toISOString(),
  }));
}

/** The most commits of branches not merged into the default branch that are told apart. */
const UNMERGED_MAX = 5000;

/**
 * Commits reachable from `ref`, or from every branch when no ref is given, newest first in
 * topological order, each with its parents so a client can draw the graph, and the branch it is
 * on: `defaultBranch` when that branch holds it, else a branch not merged into it that does.
 */
export async function listCommits(
  repoPath: string,
  options: { ref?: string | undefined; limit: number; defaultBranch: string },
): Promise<Commit[]> {
  if (options.ref?.startsWith('-')) {
    throw new AppError('ref_not_found', `No ref ${options.ref} exists.`);
  }
  const revisions = options.ref ? ['--end-of-options', options.ref] : ['--branches'];
  const branches = await listBranches(repoPath);
  if (!options.ref && branches.length === 0) return [];
  let out: string;
  try {
    out = await runGit(
      [
        'log',
        '--topo-order',
        `--max-count=${options.limit}`,
        `--format=%H${FIELD}%P${FIELD}%an${FIELD}%ae${FIELD}%aI${FIELD}%s${RECORD}`,
        ...revisions,
        '--',
      ],
      { cwd: repoPath },
    );
  } catch (error) {
    if (error instanceof GitError && /unknown revision|bad revision|ambiguous/.test(error.stderr)) {
      throw new AppError('ref_not_found', `No ref ${options.ref ?? ''} exists in this repository.`);
    }
    throw error;
  }
  const hasDefault = branches.some((branch) => branch.name === options.defaultBranch);
  const unmerged = await unmergedBranchOf(repoPath, hasDefault ? options.defaultBranch : null);
  return records(out).map(
    ([sha = '', parents = '', name = '', email = '', date = '', subject = '']) => {
      const other = unmerged.get(sha);
      const onDefaultBranch = hasDefault && other === undefined;
      return {
        sha,
        parents: parents === '' ? [] : parents.split(' '),
        author: { name, email },
        date: new Date(date).toISOString(),
        subject,
        branch: onDefaultBranch ? options.defaultBranch : (other ?? null),
        onDefaultBranch,
      };
    },
  );
}

/**
 * The commits of branches that the default branch does not hold (every branch's when there is no
 * default branch), each with one branch that holds it; at most `UNMERGED_MAX` of them.
 */
async function unmergedBranchOf(
  repoPath: string,
  defaultBranch: string | null,
): Promise<Map<string, string>> {
  const out = await runGit(
    [
      'log',
      '--source',
      `--max-count=${UNMERGED_MAX}`,
      `--format=%H${FIELD}%S${RECORD}`,
      '--branches',
      ...(defaultBranch ? ['--not', `refs/heads/${defaultBranch}`] : []),
      '--',
    ],
    { cwd: repoPath },
  );
  return new Map(
    records(out).map(([sha = '', ref = '']) => [sha, ref.replace(/^refs\/heads\//, '')]),
  );
}

/**
 * The commit each of `branches` points at, null for a branch the repository does not have; in one
 * process.
 *
 * @example
 * const [branch, base] = await branchHeads(repoPath, [task.branch, task.baseBranch]);
 */
export async function branchHeads(
  repoPath: string,
  branches: readonly string[],
): Promise<(string | null)[]> {
  const out = await runGit(
    [
      'for-each-ref',
      `--format=%(refname)${REF_FIELD}%(objectname)${REF_RECORD}`,
      ...branches.map((branch) => `refs/heads/${branch}`),
    ],
    { cwd: repoPath },
  );
  const heads = new Map(records(out).map(([ref = '', sha = '']) => [ref, sha]));
  return branches.map((branch) => heads.get(`refs/heads/${branch}`) ?? null);
}

/**
 * The files among `paths` that `commit` holds, each its first `maxBytes` bytes, in one `git
 * cat-file` process. A symbolic link inside the repository is followed, as a checkout's reader
 * would; a path that is missing, a folder, or a link leading out of the repository is left out. A
 * large file is read through and dropped past its first bytes, never held whole.
 *
 * @example
 * const files = await readFilesAt(repoPath, sha, ['AGENTS.md', 'README.md'], 80_000);
 */
export async function readFilesAt(
  repoPath: string,
  commit: string,
  paths: readonly string[],
  maxBytes: number,
): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  if (paths.length === 0) return files;
  const child = await spawnProcess('git', ['cat-file', '--batch', '--follow-symlinks'], {
    cwd: repoPath,
    env: gitEnv(),
  });
  child.stdin.end(paths.map((name) => `${commit}:${name}\n`).join(''));
  const errors = readFirstBytes(child.stderr, 64 * 1024);
  let index = 0;
  let pending: Buffer = Buffer.alloc(0);
  /** The object being read: bytes of content (and its closing newline) still to come. */
  let object: { blob: boolean; remaining: number; kept: Buffer[]; size: number } | null = null;
  for await (const chunk of child.stdout) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    for (;;) {
      if (!object) {
        const end = pending.indexOf(10);
        if (end < 0) break;
        const header = pending.subarray(0, end).toString('utf8');
        pending = pending.subarray(end + 1);
        const found = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
        const other = /^(?:symlink|dangling|loop|notdir) (\d+)$/.exec(header);
        const size = Number(found?.[2] ?? other?.[1] ?? -1);
        if (size < 0) index += 1;
        else object = { blob: found?.[1] === 'blob', remaining: size + 1, kept: [], size };
        continue;
      }
      const taken = pending.subarray(0, object.remaining);
      pending = pending.subarray(taken.length);
      const read = object.size + 1 - object.remaining;
      if (read < maxBytes) object.kept.push(taken.subarray(0, maxBytes - read));
      object.remaining -= taken.length;
      if (object.remaining > 0) break;
      const content = Buffer.concat(object.kept).subarray(0, Math.min(object.size, maxBytes));
      if (object.blob) files.set(paths[index]!, content);
      index += 1;
      object = null;
    }
  }
  const { code } = await child.closed;
  if (code !== 0) {
    const args = ['cat-file', '--batch', '--follow-symlinks'];
    throw new GitError(args, code, (await errors).toString('utf8'));
  }
  return files;
}

function records(out: string): string[][] {
  return out
    .split('\x1e')
    .map((record) => record.replace(/^\n/, ''))
    .filter((record) => record !== '')
    .map((record) => record.split('\x1f'));
}
