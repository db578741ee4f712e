/**
 * @module forges/upstream
 * What the forge use cases share: a repository's upstream and whose work is done on it there
 * ({@link upstreamOf}), the forge session of that work's credential ({@link forgeSession}: the
 * acting user's own connection, else the workspace's), a failure told as a
 * sentence that never holds a token ({@link asAppError}), the push of a branch and its request
 * ({@link pushAndOpen}), and a task's events ({@link eventsOf}).
 */
import type { ForgeProvider, TaskEvent } from '@lucid/contracts';
import type { repositories } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import type { LlmConfig } from '../config.ts';
import { providerSecrets } from '../llm/models.ts';
import { llmConfigFor } from '../llm/provider-keys.ts';
import { listEvents } from '../tasks/events.ts';
import type { CredentialOwner, CredentialScope } from '../workspaces/credential-for.ts';
import { connectionFor, forgeTokenFor, providerName, type ForgeContext } from './connections.ts';
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
  /** The server's model providers: their keys are secrets the safety checks look for. */
  llm?: LlmConfig | undefined;
}

/**
 * The values Lucid knows are secret for work in `scope`: the model provider keys its runs could
 * use (the server's, the user's and the workspace's) and the forge token it pushes with.
 *
 * @example
 * const known = await knownSecrets(ctx, { userId: task.createdBy, workspaceId: task.workspaceId }, upstream);
 */
export async function knownSecrets(
  ctx: PublishContext,
  scope: CredentialScope,
  upstream: Upstream | null,
): Promise<string[]> {
  const known = ctx.llm
    ? providerSecrets(
        await llmConfigFor({ db: ctx.db, llm: ctx.llm, encryptionKey: ctx.encryptionKey }, scope),
      )
    : [];
  if (upstream) {
    try {
      known.push(await forgeTokenFor(ctx, upstream.scope, upstream.provider));
    } catch {
      // No usable connection: the push fails on its own, saying why.
    }
  }
  return known;
}

/**
 * A repository linked to a forge repository, and whose work is done on it there: the credential
 * used is that user's own connection, else the workspace's.
 */
export interface Upstream {
  provider: ForgeProvider;
  fullName: string;
  scope: CredentialScope;
}

/**
 * The upstream of a repository linked to a forge (null for a local one), for work of `userId`
 * (a task's creator, the user landing a branch) in the repository's workspace.
 *
 * @example
 * const upstream = upstreamOf(repo, task.createdBy);
 */
export function upstreamOf(repo: RepoRow, userId: string | null): Upstream | null {
  if (repo.provider === 'local' || !repo.upstreamFullName) return null;
  return {
    provider: repo.provider,
    fullName: repo.upstreamFullName,
    scope: { userId, workspaceId: repo.workspaceId },
  };
}

/** Which connection the work uses, for messages and the task's `credential.used`. */
export interface UsedConnection {
  owner: CredentialOwner;
  login: string;
}

/** The connection work on the upstream uses, and its account's login; null when there is none. */
export async function usedConnection(
  ctx: PublishContext,
  upstream: Upstream,
): Promise<UsedConnection | null> {
  try {
    const { owner, row } = await connectionFor(ctx, upstream.scope, upstream.provider);
    return { owner, login: row.login };
  } catch {
    return null;
  }
}

/** What the used account is called on the forge, for messages. */
async function loginOf(ctx: PublishContext, upstream: Upstream): Promise<string> {
  const used = await usedConnection(ctx, upstream);
  if (!used) return 'the connected account';
  return used.owner === 'workspace' ? `the workspace's account ${used.login}` : used.login;
}

/** The token for the work, the forge, and git's credentials for the repository. */
export async function forgeSession(
  ctx: PublishContext,
  upstream: Upstream,
): Promise<{ token: string; forge: Forge; remote: UpstreamRemote }> {
  const token = await forgeTokenFor(ctx, upstream.scope, upstream.provider);
  const forge = forgeFor(ctx.forges, upstream.provider);
  return { token, forge, remote: forge.gitRemote(token, upstream.fullName) };
}

/** The refusal of the work's token, as a sentence saying who can act on it. */
async function refusedToken(ctx: PublishContext, upstream: Upstream): Promise<AppError> {
  const used = await usedConnection(ctx, upstream);
  const name = providerName(upstream.provider);
  if (used?.owner === 'workspace') {
    return new AppError(
      'invalid_forge_token',
      `${name} refused Lucid's token for the workspace's account ${used.login}: an admin can reconnect it in the workspace's settings.`,
    );
  }
  return new AppError(
    'invalid_forge_token',
    `${name} refused Lucid's token for ${used?.login ?? 'the connected account'}: reconnect it in Settings → Integrations.`,
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
