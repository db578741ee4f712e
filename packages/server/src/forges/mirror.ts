/**
 * @module forges/mirror
 * Keeps a forge repository's mirror current: Lucid's bare repo of a repository added from GitHub
 * or GitLab fetches the upstream's branches with the forge credential of the user it is fetched
 * for (a task's creator; without one, whoever added the repository): their own connection, else
 * the repository's workspace's. Lucid's own
 * task branches (`lucid/*`) live only in Lucid until pushed, so the fetch neither takes nor
 * prunes them.
 *
 * The token reaches git as an `http.extraHeader` given through `GIT_CONFIG_*` environment
 * variables: never in the URL, the arguments or the repository's config.
 */
import { eq } from 'drizzle-orm';
import { repositories } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import { GitError, runGit } from '../git/run-git.ts';
import { forgeTokenFor, providerName, type ForgeContext } from './connections.ts';
import { forgeFor } from './registry.ts';

/** What a mirror sync needs: forge connections and the folder of bare repos. */
export interface MirrorContext extends ForgeContext {
  gitRoot: string;
}

/** Every upstream branch but Lucid's task branches, force-updated; gone upstream, gone here. */
const REFSPECS = ['+refs/heads/*:refs/heads/*', '^refs/heads/lucid/*'];

/** What git prints when the forge refuses the credentials. */
const REFUSED =
  /authentication failed|could not read (username|password)|\b(401|403)\b|access denied|invalid credentials|not authorized/i;

class TokenRefused extends Error {}

async function fetchUpstream(
  repoPath: string,
  remote: { url: string; username: string; password: string },
): Promise<void> {
  const basic = Buffer.from(`${remote.username}:${remote.password}`).toString('base64');
  try {
    await runGit(['fetch', '--quiet', '--prune', '--no-tags', remote.url, ...REFSPECS], {
      cwd: repoPath,
      env: {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.extraHeader',
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
      },
    });
  } catch (error) {
    if (error instanceof GitError && REFUSED.test(error.stderr)) throw new TokenRefused();
    throw error;
  }
}

async function headSha(repoPath: string, branch: string): Promise<string | null> {
  try {
    return (
      await runGit(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], {
        cwd: repoPath,
      })
    ).trim();
  } catch {
    return null;
  }
}

/** Syncs under way in this process, by repository. */
const inFlight = new Map<string, Promise<{ sha: string | null }>>();

/**
 * Fetches the repository's upstream into its bare repo and records when, and the default
 * branch's sha then, with the credential of work by `userId` in the repository's workspace
 * (whoever added the repository when null). A repository without an upstream is left as it is
 * (`sha: null`). A refused
 * token (after one renewal) is `invalid_forge_token` naming the provider; a forge that cannot be
 * reached is `forge_error`.
 *
 * @example
 * const { sha } = await syncMirror(ctx, repo.id, { userId: task.createdBy });
 */
export async function syncMirror(
  ctx: MirrorContext,
  repoId: string,
  { userId }: { userId: string | null },
): Promise<{ sha: string | null }> {
  // Two fetches into one bare repo would fight over its ref locks: a second caller joins the
  // fetch under way.
  const running = inFlight.get(repoId);
  if (running) return running;
  const sync = fetchMirror(ctx, repoId, userId).finally(() => inFlight.delete(repoId));
  inFlight.set(repoId, sync);
  return sync;
}

async function fetchMirror(
  ctx: MirrorContext,
  repoId: string,
  userId: string | null,
): Promise<{ sha: string | null }> {
  const [repo] = await ctx.db.select().from(repositories).where(eq(repositories.id, repoId));
  if (!repo) throw new AppError('repo_not_found', 'This repository no longer exists.');
  const provider = repo.provider;
  if (provider === 'local' || !repo.upstreamFullName) return { sha: null };
  const name = providerName(provider);
  const scope = { userId: userId ?? repo.upstreamUserId, workspaceId: repo.workspaceId };
  const forge = forgeFor(ctx.forges, provider);
  const repoPath = bareRepoPath(ctx.gitRoot, repo.id);
  const attempt = async (refresh: boolean): Promise<void> => {
    const token = await forgeTokenFor(ctx, scope, provider, { refresh });
    await fetchUpstream(repoPath, forge.gitRemote(token, repo.upstreamFullName ?? ''));
  };
  try {
    try {
      await attempt(false);
    } catch (error) {
      if (!(error instanceof TokenRefused)) throw error;
      await attempt(true);
    }
  } catch (error) {
    if (error instanceof TokenRefused) {
      throw new AppError(
        'invalid_forge_token',
        `${name} refused the token used to fetch ${repo.upstreamFullName}: reconnect your ${name} ` +
          'account in Settings → Integrations.',
      );
    }
    if (error instanceof GitError) {
      throw new AppError(
        'forge_error',
        `${repo.upstreamFullName} could not be fetched from ${name}: ${lastLine(error.stderr)}`,
      );
    }
    throw error;
  }
  const sha = await headSha(repoPath, repo.defaultBranch);
  await ctx.db
    .update(repositories)
    .set({ lastSyncedAt: new Date(), lastSyncedSha: sha })
    .where(eq(repositories.id, repo.id));
  return { sha };
}

function lastLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return lines[lines.length - 1]?.trim() || 'git failed';
}
