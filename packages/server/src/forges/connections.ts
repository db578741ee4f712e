/**
 * @module forges/connections
 * Users' forge connections: the account each user connected on GitHub and on GitLab (by OAuth or
 * a personal access token), its tokens sealed with ENCRYPTION_KEY. {@link forgeTokenFor} is how
 * the rest of Lucid gets a usable token: it opens the sealed one and refreshes an expired GitLab
 * token, storing the new pair. Tokens never leave the server: not in answers, logs or audit.
 */
import { and, eq } from 'drizzle-orm';
import type { ForgeProvider, Integration, IntegrationList } from '@lucid/contracts';
import { recordAudit } from '../audit/audit.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { connections } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Principal } from '../principal.ts';
import { openSecret, sealSecret } from '../secrets/secret-box.ts';
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

function refused(provider: ForgeProvider): AppError {
  return new AppError(
    'invalid_forge_token',
    `${providerName(provider)} refused the token of your connected account (revoked or expired); ` +
      'connect it again in Settings → Integrations.',
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
  const oauth = (['github', 'gitlab'] as const).filter(
    (provider) => oauthAppFor(ctx.forges, provider) !== null,
  );
  return { integrations: rows.map(toIntegration), oauth };
}

/**
 * Stores the user's connection to a forge, replacing an earlier one, sealed; audited with the
 * account's login and never a token.
 */
export async function storeConnection(
  ctx: ForgeContext,
  {
    actor,
    provider,
    method,
    tokens,
    account,
  }: {
    actor: Principal;
    provider: ForgeProvider;
    method: 'oauth' | 'token';
    tokens: ForgeTokens;
    account: ForgeAccount;
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
    const [row] = await tx
      .insert(connections)
      .values({ id: newId('conn'), userId: actor.userId, provider, ...values })
      .onConflictDoUpdate({
        target: [connections.userId, connections.provider],
        set: { ...values, updatedAt: new Date() },
      })
      .returning();
    if (!row) throw new AppError('internal', 'The connection was not stored.');
    await recordAudit(tx, {
      actor,
      action: 'integration.connect',
      targetType: 'integration',
      targetId: row.id,
      metadata: { provider, method, login: account.login, scopes },
    });
    return toIntegration(row);
  });
}

/**
 * Connects a forge with a personal access token, after the forge has said whose it is; a refused
 * token is `invalid_forge_token`.
 *
 * @example
 * await connectWithToken(ctx, { actor, provider: 'github', token: 'ghp_…' });
 */
export async function connectWithToken(
  ctx: ForgeContext,
  { actor, provider, token }: { actor: Principal; provider: ForgeProvider; token: string },
): Promise<Integration> {
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
  });
}

/**
 * Forgets the user's connection to a forge (its tokens with it); `integration_not_found` when
 * there is none.
 */
export async function disconnect(
  ctx: ForgeContext,
  { actor, provider }: { actor: Principal; provider: ForgeProvider },
): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const [deleted] = await tx
      .delete(connections)
      .where(and(eq(connections.userId, actor.userId), eq(connections.provider, provider)))
      .returning({ id: connections.id, login: connections.login });
    if (!deleted) throw notConnected(provider);
    await recordAudit(tx, {
      actor,
      action: 'integration.disconnect',
      targetType: 'integration',
      targetId: deleted.id,
      metadata: { provider, login: deleted.login },
    });
  });
}

function notConnected(provider: ForgeProvider): AppError {
  return new AppError(
    'integration_not_found',
    `No ${providerName(provider)} account is connected; connect one in Settings → Integrations.`,
  );
}

async function connectionOf(
  ctx: ForgeContext,
  userId: string,
  provider: ForgeProvider,
): Promise<ConnectionRow> {
  const [row] = await ctx.db
    .select()
    .from(connections)
    .where(and(eq(connections.userId, userId), eq(connections.provider, provider)));
  if (!row) throw notConnected(provider);
  return row;
}

function open(ctx: ForgeContext, provider: ForgeProvider, sealed: string): string {
  try {
    return openSecret(ctx.encryptionKey, sealed);
  } catch {
    // Sealed under another ENCRYPTION_KEY: unusable, like a revoked token.
    throw refused(provider);
  }
}

/** Trades the connection's refresh token for a new pair and stores it; null when it cannot. */
async function refreshConnection(ctx: ForgeContext, row: ConnectionRow): Promise<string | null> {
  const app = oauthAppFor(ctx.forges, row.provider);
  if (!app || !row.sealedRefreshToken) return null;
  let fresh: ForgeTokens | null;
  try {
    fresh = await forgeFor(ctx.forges, row.provider).refresh({
      app,
      refreshToken: open(ctx, row.provider, row.sealedRefreshToken),
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
 * A usable access token of the user's connection to a forge: the stored one, or, when it has
 * expired (or `refresh` asks, after the forge refused it), a new one from its refresh token,
 * stored. Throws `integration_not_found` without a connection and `invalid_forge_token` when the
 * token cannot be renewed.
 *
 * @example
 * const token = await forgeTokenFor(ctx, repo.upstreamUserId, 'gitlab');
 */
export async function forgeTokenFor(
  ctx: ForgeContext,
  userId: string,
  provider: ForgeProvider,
  options: { refresh?: boolean } = {},
): Promise<string> {
  const row = await connectionOf(ctx, userId, provider);
  const expired =
    row.expiresAt !== null && row.expiresAt.getTime() - EXPIRY_MARGIN_MS <= Date.now();
  if (!expired && !options.refresh) return open(ctx, provider, row.sealedAccessToken);
  const fresh = await refreshConnection(ctx, row);
  if (fresh) return fresh;
  if (options.refresh) throw refused(provider);
  // No way to renew it: let the forge say whether it still takes it.
  return open(ctx, provider, row.sealedAccessToken);
}

/**
 * Calls the forge with the user's token; when the forge refuses it, renews the token once (GitLab
 * OAuth) and calls again. Forge failures become AppErrors ({@link forgeFailure}).
 *
 * @example
 * const repos = await withForgeToken(ctx, userId, 'github', (token) => forge.listRepos(token, query));
 */
export async function withForgeToken<T>(
  ctx: ForgeContext,
  userId: string,
  provider: ForgeProvider,
  call: (token: string) => Promise<T>,
): Promise<T> {
  const token = await forgeTokenFor(ctx, userId, provider);
  try {
    return await call(token);
  } catch (error) {
    if (!(error instanceof ForgeError && error.kind === 'unauthorized')) {
      throw forgeFailure(provider, error);
    }
  }
  const renewed = await forgeTokenFor(ctx, userId, provider, { refresh: true });
  try {
    return await call(renewed);
  } catch (error) {
    throw forgeFailure(provider, error);
  }
}
