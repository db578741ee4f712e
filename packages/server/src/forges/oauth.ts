/**
 * @module forges/oauth
 * Connecting a forge account through the provider's consent page (OAuth 2 with PKCE S256).
 * Starting stores a random `state`, the PKCE verifier and where to return, for ten minutes;
 * finishing takes that state back exactly once, for the same signed-in user and provider,
 * exchanges the code, reads the account and stores the connection.
 */
import { createHash, randomBytes } from 'node:crypto';
import { eq, lt } from 'drizzle-orm';
import type { ForgeProvider, Integration } from '@lucid/contracts';
import { oauthStates } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { ForgeError } from './forge.ts';
import { forgeFailure, providerName, storeConnection, type ForgeContext } from './connections.ts';
import { forgeFor, oauthAppFor } from './registry.ts';

/** What OAuth needs besides forge connections: the server's public URL, for the redirect URI. */
export interface OAuthContext extends ForgeContext {
  publicUrl: string;
}

/** How long a started authorization may take to come back. */
const STATE_TTL_MS = 10 * 60_000;

/** Where the browser goes after connecting when it said nothing else. */
export const DEFAULT_RETURN_TO = '/settings/integrations';

/** The callback the provider sends the browser back to. */
export function redirectUri(publicUrl: string, provider: ForgeProvider): string {
  return `${publicUrl}/api/integrations/${provider}/callback`;
}

/** A path on this server, and nothing that a browser would read as another origin. */
export function isLocalPath(value: string): boolean {
  return /^\/(?![/\\])[^\s\\]*$/.test(value) && !/^\/[^/]*:/.test(value);
}

function configured(ctx: ForgeContext, provider: ForgeProvider) {
  const app = oauthAppFor(ctx.forges, provider);
  if (!app) {
    const prefix = provider.toUpperCase();
    throw new AppError(
      'forge_not_configured',
      `This server cannot connect ${providerName(provider)} by OAuth: set ${prefix}_CLIENT_ID and ` +
        `${prefix}_CLIENT_SECRET, or connect with a personal access token instead.`,
    );
  }
  return app;
}

/**
 * Starts connecting a forge: the URL of the provider's consent page to send the browser to.
 *
 * @example
 * const url = await startAuthorization(ctx, { actor, provider: 'github', returnTo: '/repos' });
 */
export async function startAuthorization(
  ctx: OAuthContext,
  {
    actor,
    provider,
    returnTo = DEFAULT_RETURN_TO,
  }: { actor: Principal; provider: ForgeProvider; returnTo?: string | undefined },
): Promise<string> {
  const app = configured(ctx, provider);
  if (!isLocalPath(returnTo)) {
    throw new AppError('bad_request', 'returnTo must be a path on this server, such as /repos.');
  }
  const state = randomBytes(32).toString('base64url');
  const codeVerifier = randomBytes(48).toString('base64url');
  const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
  await ctx.db.delete(oauthStates).where(lt(oauthStates.expiresAt, new Date()));
  await ctx.db.insert(oauthStates).values({
    state,
    userId: actor.userId,
    provider,
    codeVerifier,
    returnTo,
    expiresAt: new Date(Date.now() + STATE_TTL_MS),
  });
  return forgeFor(ctx.forges, provider).authorizeUrl({
    app,
    state,
    codeChallenge,
    redirectUri: redirectUri(ctx.publicUrl, provider),
  });
}

/** What the provider sent back to the callback. */
export interface CallbackQuery {
  code?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
  error_description?: string | undefined;
}

/** A failed callback, with where the browser should go to read about it. */
export class OAuthCallbackError extends AppError {
  constructor(
    error: AppError,
    readonly returnTo: string,
  ) {
    super(error.code, error.message);
    this.name = 'OAuthCallbackError';
  }
}

/**
 * Finishes connecting a forge: checks the state (same user, same provider, unexpired, used once),
 * exchanges the code with the PKCE verifier, reads the account and stores the connection. Every
 * failure is an {@link OAuthCallbackError}.
 *
 * @example
 * const { returnTo } = await finishAuthorization(ctx, { actor, provider: 'github', query: request.query });
 */
export async function finishAuthorization(
  ctx: OAuthContext,
  {
    actor,
    provider,
    query,
  }: { actor: Principal | null; provider: ForgeProvider; query: CallbackQuery },
): Promise<{ integration: Integration; returnTo: string }> {
  const name = providerName(provider);
  const fail = (error: AppError, returnTo = DEFAULT_RETURN_TO) =>
    new OAuthCallbackError(error, returnTo);
  if (!actor) {
    throw fail(new AppError('unauthorized', `Sign in to Lucid, then connect ${name} again.`));
  }
  // The state is taken (deleted) whatever follows, so it can never be used twice.
  const [stored] = query.state
    ? await ctx.db.delete(oauthStates).where(eq(oauthStates.state, query.state)).returning()
    : [];
  const badState = new AppError(
    'invalid_oauth_state',
    `This ${name} authorization is unknown, expired or already used, or was started by someone ` +
      'else; start connecting again.',
  );
  if (
    !stored ||
    stored.userId !== actor.userId ||
    stored.provider !== provider ||
    stored.expiresAt.getTime() <= Date.now()
  ) {
    throw fail(badState);
  }
  if (query.error) {
    const reason =
      query.error === 'access_denied'
        ? `${name} access was not granted.`
        : `${name} answered: ${query.error_description ?? query.error}.`;
    throw fail(new AppError('forge_error', reason), stored.returnTo);
  }
  if (!query.code) {
    throw fail(new AppError('bad_request', `${name} sent no authorization code.`), stored.returnTo);
  }
  const app = configured(ctx, provider);
  const forge = forgeFor(ctx.forges, provider);
  try {
    const tokens = await forge.exchangeCode({
      app,
      code: query.code,
      codeVerifier: stored.codeVerifier,
      redirectUri: redirectUri(ctx.publicUrl, provider),
    });
    const account = await forge.account(tokens.accessToken);
    const integration = await storeConnection(ctx, {
      actor,
      provider,
      method: 'oauth',
      tokens,
      account,
    });
    return { integration, returnTo: stored.returnTo };
  } catch (error) {
    if (
      error instanceof ForgeError &&
      (error.kind === 'unauthorized' || error.kind === 'invalid')
    ) {
      throw fail(
        new AppError(
          'invalid_forge_token',
          `${name} refused the authorization code (expired or already used); connect again.`,
        ),
        stored.returnTo,
      );
    }
    const mapped = forgeFailure(provider, error);
    if (mapped instanceof AppError) throw fail(mapped, stored.returnTo);
    throw mapped;
  }
}
