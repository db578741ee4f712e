/**
 * @module forges/connections
 * Forge connections: the account a user connected on GitHub and on GitLab (by OAuth or a personal
 * access token) for their own work, or an admin connected for a whole workspace, its tokens sealed
 * with ENCRYPTION_KEY. {@link forgeTokenFor} is how the rest of Lucid gets a usable token for some
 * work: the acting user's own connection, else the workspace's (`workspaces/credential-for`); it
 * opens the sealed token and refreshes an expired GitLab one, storing the new pair. Tokens never
 * leave the server: not in answers, logs, events or audit.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { ForgeProvider, Integration, IntegrationList } from '@lucid/contracts';
import { recordAudit } from '../audit/audit.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { connections } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Principal } from '../principal.ts';
import { openSecret, sealSecret } from '../secrets/secret-box.ts';
import {
  forgeCredentialFor,
  type CredentialOwner,
  type CredentialScope,
} from '../workspaces/credential-for.ts';
import { requireRole } from '../workspaces/workspaces.ts';
import { ForgeError, type ForgeAccount, type ForgeTokens } from './forge.ts';
import { forgeFor, oauthAppFor } from './registry.ts';

/** What forge connections need: the database, the sealing key and the forges' settings. */
export interface ForgeContext {
  db: Db;
  encryptionKey: Buffer;
  forges: Config['forges'];
}

type ConnectionRow = typeof connections.$inferSelect;

const PROVIDER_NAME: Record<ForgeProvider, string> = { github: 'GitHub', gitlab: 'GitLab' };

/** `GitHub` or `GitLab`, for sentences. */
export function providerName(provider: ForgeProvider): string {
  return PROVIDER_NAME[provider];
}

/** A token refresh is attempted this long before the stored expiry, so a call does not race it. */
const EXPIRY_MARGIN_MS = 60_000;

function toIntegration(row: ConnectionRow): Integration {
  return {
    provider: row.provider,
    login: row.login,
    name: row.name,
    avatarUrl: row.avatarUrl,
    scopes: row.scopes,
    method: row.method,
    baseUrl: row.baseUrl,
    connectedAt: row.updatedAt.toISOString(),
  };
}

function refused(provider: ForgeProvider, owner: CredentialOwner = 'user'): AppError {
  return new AppError(
    'invalid_forge_token',
    owner === 'workspace'
      ? `${providerName(provider)} refused the token of the workspace's connected account ` +
          "(revoked or expired); an admin can connect it again in the workspace's settings."
      : `${providerName(provider)} refused the token of your connected account (revoked or ` +
          'expired); connect it again in Settings → Integrations.',
  );
}

/**
 * The AppError a forge failure becomes: a refused token is `invalid_forge_token`, an unreachable
 * forge `forge_error`, anything else `forge_error` with the forge's sentence.
 */
export function forgeFailure(provider: ForgeProvider, error: unknown): unknown {
  if (!(error instanceof ForgeError)) return error;
  const name = providerName(provider);
  switch (error.kind) {
    case 'unauthorized':
      return refused(provider);
    case 'forbidden':
      return new AppError(
        'forbidden',
        `${name} refused the request: the connected account lacks a permission or scope (${error.message}).`,
      );
    case 'not_found':
      return new AppError(
        'not_found',
        `${name} has no such repository, or your account cannot see it.`,
      );
    case 'rate_limited':
      return new AppError(
        'rate_limited',
        `${name} is rate-limiting your account; try again later.`,
      );
    case 'unreachable':
      return new AppError('forge_error', `${name} could not be reached: ${error.message}`);
    default:
      return new AppError('forge_error', `${name} refused the request: ${error.message}`);
  }
}

/**
 * The user's connected forge accounts, and which providers this server connects by OAuth.
 *
 * @example
 * await listIntegrations(ctx, userId); // → { integrations: [{ provider: 'github', login: 'octo', … }], oauth: ['github'] }
 */
export async function listIntegrations(
  ctx: ForgeContext,
  userId: string,
): Promise<IntegrationList> {
  const rows = await ctx.db
    .select()
    .from(connections)
    .where(eq(connections.userId, userId))
    .orderBy(connections.provider);
  return { integrations: rows.map(toIntegration), oauth: oauthProviders(ctx) };
}

function oauthProviders(ctx: ForgeContext): ForgeProvider[] {
  return (['github', 'gitlab'] as const).filter(
    (provider) => oauthAppFor(ctx.forges, provider) !== null,
  );
}

/**
 * A workspace's own forge connections (for its members' tasks), as any member may see them: the
 * account, never a token.
 *
 * @example
 * await listWorkspaceConnections(ctx, { actor, workspaceId }); // → [{ provider: 'github', login: 'octocat', … }]
 */
export async function listWorkspaceConnections(
  ctx: ForgeContext,
  { actor, workspaceId }: { actor: Principal; workspaceId: string },
): Promise<Integration[]> {
  await requireRole(ctx.db, workspaceId, actor.userId, 'viewer');
  const rows = await ctx.db
    .select()
    .from(connections)
    .where(eq(connections.workspaceId, workspaceId))
    .orderBy(connections.provider);
  return rows.map(toIntegration);
}

/**
 * Stores a connection to a forge, replacing the owner's earlier one, sealed: the actor's own, or
 * the workspace's when `workspaceId` is given (the caller has checked the actor may manage it);
 * audited with the account's login and never a token.
 */
export async function storeConnection(
  ctx: ForgeContext,
  {
    actor,
    provider,
    method,
    tokens,
    account,
    workspaceId,
  }: {
    actor: Principal;
    provider: ForgeProvider;
    method: 'oauth' | 'token';
    tokens: ForgeTokens;
    account: ForgeAccount;
    workspaceId?: string | undefined;
  },
): Promise<Integration> {
  const scopes = tokens.scopes.length > 0 ? tokens.scopes : account.scopes;
  const values = {
    method,
    sealedAccessToken: sealSecret(ctx.encryptionKey, tokens.accessToken),
    sealedRefreshToken: tokens.refreshToken
      ? sealSecret(ctx.encryptionKey, tokens.refreshToken)
      : null,
    expiresAt: tokens.expiresAt,
    accountId: account.id,
    login: account.login,
    name: account.name,
    avatarUrl: account.avatarUrl,
    scopes,
    baseUrl: ctx.forges[provider].webUrl,
  };
  return ctx.db.transaction(async (tx) => {
    const owner = workspaceId ? { workspaceId } : { userId: actor.userId };
    const [row] = await tx
      .insert(connections)
      .values({ id: newId('conn'), ...owner, provider, ...values })
      .onConflictDoUpdate({
        target: workspaceId
          ? [connections.workspaceId, connections.provider]
          : [connections.userId, connections.provider],
        set: { ...values, updatedAt: new Date() },
      })
      .returning();
    if (!row) throw new AppError('internal', 'The connection was not stored.');
    await recordAudit(tx, {
      actor,
      action: workspaceId ? 'credential.connect' : 'integration.connect',
      targetType: 'integration',
      targetId: row.id,
      ...(workspaceId ? { workspaceId } : {}),
      metadata: { provider, method, login: account.login, scopes },
    });
    return toIntegration(row);
  });
}

/**
 * Connects a forge with a personal access token, after the forge has said whose it is: the
 * actor's own connection, or with `workspaceId` the workspace's (its admins only); a refused
 * token is `invalid_forge_token`.
 *
 * @example
 * await connectWithToken(ctx, { actor, provider: 'github', token: 'ghp_…' });
 * await connectWithToken(ctx, { actor, provider: 'github', token: 'ghp_…', workspaceId: 'ws_…' });
 */
export async function connectWithToken(
  ctx: ForgeContext,
  {
    actor,
    provider,
    token,
    workspaceId,
  }: {
    actor: Principal;
    provider: ForgeProvider;
    token: string;
    workspaceId?: string | undefined;
  },
): Promise<Integration> {
  if (workspaceId) await requireRole(ctx.db, workspaceId, actor.userId, 'admin');
  let account: ForgeAccount;
  try {
    account = await forgeFor(ctx.forges, provider).account(token);
  } catch (error) {
    if (
      error instanceof ForgeError &&
      (error.kind === 'unauthorized' || error.kind === 'forbidden')
    ) {
      throw new AppError(
        'invalid_forge_token',
        `${providerName(provider)} refused this token: check that it is current and was copied whole.`,
      );
    }
    throw forgeFailure(provider, error);
  }
  return storeConnection(ctx, {
    actor,
    provider,
    method: 'token',
    tokens: { accessToken: token, refreshToken: null, expiresAt: null, scopes: account.scopes },
    account,
    workspaceId,
  });
}

/**
 * Forgets a connection to a forge (its tokens with it): the actor's own, or with `workspaceId`
 * the workspace's (its admins only); `integration_not_found` when there is none.
 */
export async function disconnect(
  ctx: ForgeContext,
  {
    actor,
    provider,
    workspaceId,
  }: { actor: Principal; provider: ForgeProvider; workspaceId?: string | undefined },
): Promise<void> {
  if (workspaceId) await requireRole(ctx.db, workspaceId, actor.userId, 'admin');
  await ctx.db.transaction(async (tx) => {
    const [deleted] = await tx
      .delete(connections)
      .where(
        and(
          workspaceId
            ? eq(connections.workspaceId, workspaceId)
            : and(eq(connections.userId, actor.userId), isNull(connections.workspaceId)),
          eq(connections.provider, provider),
        ),
      )
      .returning({ id: connections.id, login: connections.login });
    if (!deleted) {
      throw workspaceId
        ? new AppError(
            'integration_not_found',
            `This workspace has no ${providerName(provider)} account connected.`,
          )
        : notConnected(provider, { userId: actor.userId, workspaceId: null });
    }
    await recordAudit(tx, {
      actor,
      action: workspaceId ? 'credential.disconnect' : 'integration.disconnect',
      targetType: 'integration',
      targetId: deleted.id,
      ...(workspaceId ? { workspaceId } : {}),
      metadata: { provider, login: deleted.login },
    });
  });
}

function notConnected(provider: ForgeProvider, scope: CredentialScope): AppError {
  const name = providerName(provider);
  return new AppError(
    'integration_not_found',
    scope.workspaceId
      ? `No ${name} account is connected, neither yours nor the workspace's; connect one in ` +
          "Settings → Integrations, or ask an admin to connect one in the workspace's settings."
      : `No ${name} account is connected; connect one in Settings → Integrations.`,
  );
}

/**
 * The connection work in `scope` uses for `provider` (the acting user's own, else the
 * workspace's) and whose it is; `integration_not_found` when there is none.
 *
 * @example
 * const { owner, row } = await connectionFor(ctx, { userId, workspaceId }, 'github');
 */
export async function connectionFor(
  ctx: ForgeContext,
  scope: CredentialScope,
  provider: ForgeProvider,
): Promise<{ owner: CredentialOwner; row: ConnectionRow }> {
  const found = await forgeCredentialFor(ctx.db, scope, provider);
  if (!found) throw notConnected(provider, scope);
  return found;
}

function open(
  ctx: ForgeContext,
  provider: ForgeProvider,
  sealed: string,
  owner: CredentialOwner,
): string {
  try {
    return openSecret(ctx.encryptionKey, sealed);
  } catch {
    // Sealed under another ENCRYPTION_KEY: unusable, like a revoked token.
    throw refused(provider, owner);
  }
}

/** Trades the connection's refresh token for a new pair and stores it; null when it cannot. */
async function refreshConnection(
  ctx: ForgeContext,
  row: ConnectionRow,
  owner: CredentialOwner,
): Promise<string | null> {
  const app = oauthAppFor(ctx.forges, row.provider);
  if (!app || !row.sealedRefreshToken) return null;
  let fresh: ForgeTokens | null;
  try {
    fresh = await forgeFor(ctx.forges, row.provider).refresh({
      app,
      refreshToken: open(ctx, row.provider, row.sealedRefreshToken, owner),
    });
  } catch (error) {
    if (error instanceof ForgeError && error.kind !== 'unreachable') return null;
    throw forgeFailure(row.provider, error);
  }
  if (!fresh) return null;
  await ctx.db
    .update(connections)
    .set({
      sealedAccessToken: sealSecret(ctx.encryptionKey, fresh.accessToken),
      sealedRefreshToken: fresh.refreshToken
        ? sealSecret(ctx.encryptionKey, fresh.refreshToken)
        : row.sealedRefreshToken,
      expiresAt: fresh.expiresAt,
      ...(fresh.scopes.length > 0 ? { scopes: fresh.scopes } : {}),
      updatedAt: new Date(),
    })
    .where(eq(connections.id, row.id));
  return fresh.accessToken;
}

/**
 * A usable access token for work in `scope` (the acting user's own connection, else the
 * workspace's): the stored one, or, when it has expired (or `refresh` asks, after the forge
 * refused it), a new one from its refresh token, stored. Throws `integration_not_found` without a
 * connection and `invalid_forge_token` when the token cannot be renewed.
 *
 * @example
 * const token = await forgeTokenFor(ctx, { userId: task.createdBy, workspaceId: task.workspaceId }, 'gitlab');
 */
export async function forgeTokenFor(
  ctx: ForgeContext,
  scope: CredentialScope,
  provider: ForgeProvider,
  options: { refresh?: boolean } = {},
): Promise<string> {
  const { owner, row } = await connectionFor(ctx, scope, provider);
  const expired =
    row.expiresAt !== null && row.expiresAt.getTime() - EXPIRY_MARGIN_MS <= Date.now();
  if (!expired && !options.refresh) return open(ctx, provider, row.sealedAccessToken, owner);
  const fresh = await refreshConnection(ctx, row, owner);
  if (fresh) return fresh;
  if (options.refresh) throw refused(provider, owner);
  // No way to renew it: let the forge say whether it still takes it.
  return open(ctx, provider, row.sealedAccessToken, owner);
}

/**
 * Calls the forge with the token for work in `scope`; when the forge refuses it, renews the
 * token once (GitLab OAuth) and calls again. Forge failures become AppErrors ({@link forgeFailure}).
 *
 * @example
 * const repos = await withForgeToken(ctx, { userId, workspaceId: null }, 'github', (token) => forge.listRepos(token, query));
 */
export async function withForgeToken<T>(
  ctx: ForgeContext,
  scope: CredentialScope,
  provider: ForgeProvider,
  call: (token: string) => Promise<T>,
): Promise<T> {
  const token = await forgeTokenFor(ctx, scope, provider);
  try {
    return await call(token);
  } catch (error) {
    if (!(error instanceof ForgeError && error.kind === 'unauthorized')) {
      throw forgeFailure(provider, error);
    }
  }
  const renewed = await forgeTokenFor(ctx, scope, provider, { refresh: true });
  try {
    return await call(renewed);
  } catch (error) {
    throw forgeFailure(provider, error);
  }
}
