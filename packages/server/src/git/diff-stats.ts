/**
 * @module git/diff-stats
 * What a branch changes against its base branch (files, lines added and removed), as
 * `git diff --shortstat base...branch` counts it: from the fork point, so later commits on the base
 * do not count. Answers are kept per pair of commits, so a board read again costs no git process
 * until a branch moves.
 */
import type { DiffStats } from '@lucid/contracts';
import { GitError, runGit } from './run-git.ts';

/** How many (base, tip) answers are kept, oldest dropped first. */
const CACHE_MAX = 5000;
/** How many `git diff` processes one read runs at once. */
const PARALLEL = 4;

const cache = new Map<string, DiffStats>();

/**
 * Reads `git diff --shortstat` output.
 *
 * @example
 * parseShortstat(' 2 files changed, 5 insertions(+), 1 deletion(-)\n');
 * // → { filesChanged: 2, insertions: 5, deletions: 1 }
 */
export function parseShortstat(out: string): DiffStats {
  const count = (pattern: RegExp) => Number(pattern.exec(out)?.[1] ?? 0);
  return {
    filesChanged: count(/(\d+) files? changed/),
    insertions: count(/(\d+) insertions?\(\+\)/),
    deletions: count(/(\d+) deletions?\(-\)/),
  };
}

/**
 * The diff stats of each pair `{ base, tip }` (commit ids) in a bare repository, in order; null
 * for a pair git cannot compare (no common history).
 *
 * @example
 * const [stats] = await diffStats(repoPath, [{ base: mainSha, tip: branchSha }]);
 */
export async function diffStats(
  repoPath: string,
  pairs: { base: string; tip: string }[],
): Promise<(DiffStats | null)[]> {
  const answers: (DiffStats | null)[] = new Array<DiffStats | null>(pairs.length).fill(null);
  let next = 0;
  const work = async () => {
    while (next < pairs.length) {
      const index = next++;
      const pair = pairs[index];
      if (pair) answers[index] = await statsOf(repoPath, pair);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, pairs.length) }, work));
  return answers;
}

async function statsOf(
  repoPath: string,
  { base, tip }: { base: string; tip: string },
): Promise<DiffStats | null> {
  const key = `${repoPath}\0${base}\0${tip}`;
  const known = cache.get(key);
  if (known) return known;
  let stats: DiffStats;
  try {
    stats = parseShortstat(
      await runGit(['diff', '--shortstat', `${base}...${tip}`, '--'], {
        cwd: repoPath,
      }),
    );
  } catch (error) {
    if (error instanceof GitError) return null;
    throw error;
  }
  cache.set(key, stats);
  if (cache.size > CACHE_MAX) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return stats;
}
