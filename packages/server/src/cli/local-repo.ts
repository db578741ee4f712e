/**
 * @module cli/local-repo
 * What `lucid ingest` needs to know about a local repository before pushing it: that it is the top
 * of a git work tree with complete history, its branches, its current branch, and its tags.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from './cli-error.ts';
import { git, gitMessage, gitOutput } from './git.ts';

export interface LocalRepo {
  /** The top folder of the work tree. */
  dir: string;
  /** Local branches with commits, by name, to their sha. */
  branches: Map<string, string>;
  /** The checked-out branch, or null when HEAD is detached. */
  currentBranch: string | null;
  tagCount: number;
}

/**
 * Inspects the repository at `given` (as the user typed it, for messages), or explains in one line
 * why it cannot be ingested.
 *
 * @example
 * const local = await inspectLocalRepo('.');
 * local.branches.get('main'); // '3f1c…'
 */
export async function inspectLocalRepo(given: string): Promise<LocalRepo> {
  const absolute = path.resolve(given);
  const info = await stat(absolute).catch(() => null);
  if (!info) throw new CliError(`${given} does not exist`);
  if (!info.isDirectory()) throw new CliError(`${given} is not a folder`);
  const dir = await realpath(absolute);

  const bare = await git(['rev-parse', '--is-bare-repository'], { cwd: dir, plain: true });
  if (bare.code !== 0) {
    if (/not a git repository/i.test(bare.stderr)) {
      throw new CliError(`${given} is not a git repository`);
    }
    throw new CliError(`${given}: ${gitMessage(bare.stderr)}`);
  }
  if (bare.stdout.trim() === 'true') {
    throw new CliError(`${given} is a bare repository; ingest a clone that has a work tree`);
  }

  const [top = '', shallow = ''] = (
    await gitOutput(['rev-parse', '--show-toplevel', '--is-shallow-repository'], { cwd: dir })
  )
    .trim()
    .split('\n');
  if (top !== dir) {
    throw new CliError(
      `${given} is inside the git repository at ${top}; pass that folder to ingest the repository`,
    );
  }
  if (shallow === 'true') {
    throw new CliError(
      `${given} is a shallow clone, which cannot be pushed whole; run "git fetch --unshallow" in it first`,
    );
  }

  const refs = await gitOutput(
    ['for-each-ref', '--format=%(refname:strip=2)%00%(objectname)', 'refs/heads'],
    { cwd: dir },
  );
  const branches = new Map<string, string>();
  for (const line of refs.split('\n')) {
    const [name, sha] = line.split('\0');
    if (name && sha) branches.set(name, sha);
  }
  if (branches.size === 0) throw new CliError(`${given} has no commits yet`);

  const head = await git(['symbolic-ref', '--quiet', 'HEAD'], { cwd: dir });
  const currentBranch =
    head.code === 0 ? head.stdout.trim().replace(/^refs\/heads\//, '') || null : null;

  const tags = await gitOutput(['for-each-ref', '--format=%(refname)', 'refs/tags'], {
    cwd: dir,
  });
  const tagCount = tags.split('\n').filter(Boolean).length;

  return { dir, branches, currentBranch, tagCount };
}
