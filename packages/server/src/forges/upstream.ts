/**
 * @module forges/upstream
 * What the forge use cases share: a repository's upstream and who acts on it there
 * ({@link upstreamOf}), that user's forge session ({@link forgeSession}), a failure told as a
 * sentence that never holds a token ({@link asAppError}), the push of a branch and its request
 * ({@link pushAndOpen}), and a task's events ({@link eventsOf}).
 */
import { and, eq } from 'drizzle-orm';
import type { ForgeProvider, TaskEvent } from '@lucid/contracts';
import { connections, type repositories } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import { listEvents } from '../tasks/events.ts';
import { forgeTokenFor, providerName, type ForgeContext } from './connections.ts';
import { ForgeError, type Forge, type PullRequest } from './forge.ts';
import { forgeFor } from './registry.ts';
import {
  pushBranch,
  UpstreamAuthError,
  UpstreamForbiddenError,
  type UpstreamRemote,
} from './upstream-git.ts';

/** A repository's row. */
export type RepoRow = typeof repositories.$inferSelect;

/** What publishing needs: forge connections, and where the bare repos and the web app are. */
export interface PublishContext extends ForgeContext {
  /** The folder holding the bare repos of the git server. */
  gitRoot: string;
  /** The server's public base URL, for links to tasks. */
  publicUrl: string;
}

/** A repository linked to a forge repository, and who acts on it there. */
export interface Upstream {
  provider: ForgeProvider;
  fullName: string;
  userId: string;
}

/**
 * The upstream of a repository linked to a forge (null for a local one); `integration_not_found`
 * when the account that linked it is gone.
 */
export function upstreamOf(repo: RepoRow): Upstream | null {
  if (repo.provider === 'local' || !repo.upstreamFullName) return null;
  if (!repo.upstreamUserId) {
    throw new AppError(
      'integration_not_found',
      `No one's ${providerName(repo.provider)} account is linked to ${repo.name} any more; add it again from Settings → Integrations.`,
    );
  }
  return { provider: repo.provider, fullName: repo.upstreamFullName, userId: repo.upstreamUserId };
}

/** What the upstream user is called on the forge, for messages. */
async function loginOf(ctx: PublishContext, upstream: Upstream): Promise<string> {
  const [row] = await ctx.db
    .select({ login: connections.login })
    .from(connections)
    .where(
      and(eq(connections.userId, upstream.userId), eq(connections.provider, upstream.provider)),
    );
  return row?.login ?? 'the connected account';
}

/** The upstream user's token, the forge, and git's credentials for the repository. */
export async function forgeSession(
  ctx: PublishContext,
  upstream: Upstream,
): Promise<{ token: string; forge: Forge; remote: UpstreamRemote }> {
  const token = await forgeTokenFor(ctx, upstream.userId, upstream.provider);
  const forge = forgeFor(ctx.forges, upstream.provider);
  return { token, forge, remote: forge.gitRemote(token, upstream.fullName) };
}

/** The refusal of an upstream user's token, as a sentence they can act on. */
async function refusedToken(ctx: PublishContext, upstream: Upstream): Promise<AppError> {
  const login = await loginOf(ctx, upstream);
  return new AppError(
    'invalid_forge_token',
    `${providerName(upstream.provider)} refused Lucid's token for ${login}: reconnect it in Settings → Integrations.`,
  );
}

/** Any failure of a publishing step, as an AppError with a sentence; never holds a token. */
export async function asAppError(
  ctx: PublishContext,
  upstream: Upstream | null,
  error: unknown,
): Promise<AppError> {
  const name = upstream ? providerName(upstream.provider) : 'The forge';
  if (upstream && error instanceof UpstreamAuthError) return refusedToken(ctx, upstream);
  if (upstream && error instanceof UpstreamForbiddenError) {
    const login = await loginOf(ctx, upstream);
    return new AppError(
      'forge_error',
      `${name} does not let ${login} push to ${upstream.fullName}: give the account write access there, or add the repository again from an account that has it.`,
    );
  }
  if (upstream && error instanceof AppError && error.code === 'invalid_forge_token') {
    return refusedToken(ctx, upstream);
  }
  if (error instanceof AppError) return error;
  if (error instanceof ForgeError) {
    if (upstream && error.kind === 'unauthorized') return refusedToken(ctx, upstream);
    if (error.kind === 'forbidden' && upstream) {
      const login = await loginOf(ctx, upstream);
      return new AppError(
        'forge_error',
        `${name} refused the request: ${login} lacks a permission on ${upstream.fullName} (${error.message}).`,
      );
    }
    return new AppError('forge_error', `${name} refused the request: ${error.message}`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('forge_error', `Publishing to ${name} failed: ${message}`);
}

/** The result of publishing a branch: the push, and the request opened or refreshed. */
export interface Published {
  sha: string;
  pullRequest: (PullRequest & { created: boolean }) | null;
}

/**
 * Pushes `branch` to the upstream and, when asked, opens (or refreshes) its request into `base`.
 * Throws {@link PushRejectedError} on a non-fast-forward, and forge or git failures as they come.
 */
export async function pushAndOpen(
  ctx: PublishContext,
  {
    repo,
    upstream,
    branch,
    base,
    describe,
  }: {
    repo: RepoRow;
    upstream: Upstream;
    branch: string;
    base: string;
    /** The request's title and body; none: push only. */
    describe: (() => Promise<{ title: string; body: string }>) | null;
  },
): Promise<Published & { forge: Forge; token: string }> {
  const { token, forge, remote } = await forgeSession(ctx, upstream);
  const { sha } = await pushBranch({
    repoPath: bareRepoPath(ctx.gitRoot, repo.id),
    remote,
    branch,
  });
  if (!describe) return { sha, pullRequest: null, forge, token };
  const { title, body } = await describe();
  const pullRequest = await forge.openPullRequest(token, {
    repo: upstream.fullName,
    head: branch,
    base,
    title,
    body,
  });
  return { sha, pullRequest, forge, token };
}

/** Events of one run, and of the whole task, oldest first. */
export async function eventsOf(
  ctx: PublishContext,
  taskId: string,
  runId: string | null,
): Promise<{ all: TaskEvent[]; run: TaskEvent[] }> {
  const all: TaskEvent[] = [];
  for (let after = 0; ;) {
    const page = await listEvents(ctx.db, { taskId, after, limit: 5000 });
    all.push(...page);
    if (page.length < 5000) break;
    after = page.at(-1)?.seq ?? after;
  }
  return { all, run: runId ? all.filter((e) => e.runId === runId) : all };
}
