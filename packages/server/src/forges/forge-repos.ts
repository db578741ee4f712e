/**
 * @module forges/forge-repos
 * A connected account's forge repositories: listing them for the repo picker, and adding one to
 * Lucid as a repository that mirrors it (linked upstream, fetched at once and before each task),
 * with a webhook secret of its own, shown in the answer that adds it.
 */
import { eq } from 'drizzle-orm';
import type { ForgeProvider, ForgeRepoList, ForgeRepoQuery, LinkedRepo } from '@lucid/contracts';
import { recordAudit } from '../audit/audit.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { repositories } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { bareRepoPath, initBareRepo, removeBareRepo } from '../git/bare-repo.ts';
import { newId } from '../ids.ts';
import type { Principal } from '../principal.ts';
import { getRepo, webhookUrl, type RepoContext } from '../repos/repos.ts';
import { personalWorkspaceId, requireRole } from '../workspaces/workspaces.ts';
import { withForgeToken } from './connections.ts';
import { syncMirror, type MirrorContext } from './mirror.ts';
import { forgeFor } from './registry.ts';
import { newWebhookSecret } from './webhook-secrets.ts';

/** Forge connections and mirrors, and where Lucid's repositories live. */
export type ForgeRepoContext = MirrorContext & RepoContext;

/**
 * One page of the forge repositories the user's connected account can push to; with
 * `query.workspaceId` (a workspace the user may add repositories to), the account that workspace's
 * tasks of theirs would use: their own, else the workspace's.
 *
 * @example
 * await listForgeRepos(ctx, { userId, provider: 'github', query: { q: 'api', page: 1, perPage: 30 } });
 */
export async function listForgeRepos(
  ctx: MirrorContext,
  { userId, provider, query }: { userId: string; provider: ForgeProvider; query: ForgeRepoQuery },
): Promise<ForgeRepoList> {
  const forge = forgeFor(ctx.forges, provider);
  const workspaceId = query.workspaceId ?? null;
  if (workspaceId) await requireRole(ctx.db, workspaceId, userId, 'member');
  return withForgeToken(ctx, { userId, workspaceId }, provider, (token) =>
    forge.listRepos(token, { q: query.q, page: query.page, perPage: query.perPage }),
  );
}

/** A name Lucid accepts, from the forge's name. */
function repoName(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^\.+/, '')
    .replace(/\.git$/i, '')
    .slice(0, 90);
  return cleaned || 'repo';
}

/**
 * Adds a forge repository to Lucid: a repository in the workspace (the caller's personal one by
 * default) named after it (`name-2`, `name-3`… when taken), linked to its upstream with the
 * caller's connection (or, when they have none, the workspace's), and mirrored at once. When the first fetch fails the repository is not
 * kept. Its webhook secret is made here and returned this once with its payload URL.
 *
 * @example
 * const repo = await addForgeRepo(ctx, { actor, provider: 'github', fullName: 'octo/api' });
 * // repo.webhookSecret → { url: '…/api/webhooks/github/repo_…', secret: '…' }
 */
export async function addForgeRepo(
  ctx: ForgeRepoContext,
  {
    actor,
    provider,
    fullName,
    workspaceId: requested,
  }: {
    actor: Principal;
    provider: ForgeProvider;
    fullName: string;
    workspaceId?: string | undefined;
  },
): Promise<LinkedRepo> {
  const workspaceId = requested ?? (await personalWorkspaceId(ctx.db, actor.userId));
  await requireRole(ctx.db, workspaceId, actor.userId, 'member');
  const forge = forgeFor(ctx.forges, provider);
  const upstream = await withForgeToken(
    ctx,
    { userId: actor.userId, workspaceId },
    provider,
    (token) => forge.getRepo(token, fullName),
  );
  const id = newId('repo');
  const repoPath = bareRepoPath(ctx.gitRoot, id);
  const base = repoName(upstream.name);
  const webhook = newWebhookSecret(ctx.encryptionKey);
  for (let n = 1; ; n += 1) {
    const name = n === 1 ? base : `${base}-${n}`;
    try {
      await ctx.db.transaction(async (tx) => {
        await tx.insert(repositories).values({
          id,
          workspaceId,
          name,
          description: upstream.description ?? '',
          provider,
          upstreamUrl: upstream.url,
          upstreamFullName: upstream.fullName,
          upstreamUserId: actor.userId,
          defaultBranch: upstream.defaultBranch,
          createdBy: actor.userId,
          sealedWebhookSecret: webhook.sealed,
        });
        await recordAudit(tx, {
          actor,
          action: 'repo.create',
          targetType: 'repo',
          targetId: id,
          workspaceId,
          metadata: { name, provider, upstream: upstream.fullName },
        });
        await initBareRepo(repoPath, upstream.defaultBranch);
      });
      break;
    } catch (error) {
      await removeBareRepo(repoPath);
      if (isUniqueViolation(error) && n < 100) continue;
      if (isUniqueViolation(error)) {
        throw new AppError('name_taken', `Too many repositories are named like "${base}".`);
      }
      throw error;
    }
  }
  try {
    await syncMirror(ctx, id, { userId: actor.userId });
  } catch (error) {
    await ctx.db.transaction(async (tx) => {
      await tx.delete(repositories).where(eq(repositories.id, id));
      await recordAudit(tx, {
        actor,
        action: 'repo.delete',
        targetType: 'repo',
        targetId: id,
        workspaceId,
        metadata: { reason: 'the first fetch from upstream failed' },
      });
    });
    await removeBareRepo(repoPath);
    throw error;
  }
  return {
    ...(await getRepo(ctx, actor.userId, id)),
    webhookSecret: { url: webhookUrl(ctx.publicUrl, provider, id), secret: webhook.secret },
  };
}
