/**
 * @module bench/git-server/generate
 * Builds the git benchmark's test repository into the cache (`tsx bench/git-server/generate.ts`).
 * The benchmark runs this in a child process, so the generator's memory never counts towards the
 * peak resident size it reports for the servers.
 */
import { buildTestRepo, defaultCacheDir } from './test-repo.ts';

const repo = await buildTestRepo(defaultCacheDir);
console.log(`built ${repo.path} in ${repo.buildSeconds} s`);
