/**
 * @module notion/oauth
 * Connecting Notion through its consent page (a public integration, NOTION_CLIENT_ID and
 * NOTION_CLIENT_SECRET). Starting stores a random `state` and where to return, for ten minutes;
 * finishing takes that state back exactly once, for the same signed-in user, exchanges the code
 * at `POST /v1/oauth/token` (the client's credentials sent as Basic authentication) and stores
 * the connection.
 */
import { randomBytes } from 'node:crypto';
import { eq, lt } from 'drizzle-orm';
import type { NotionConnection } from '@lucid/contracts';
import { oauthStates } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { notionClient, notionCode, notionFailure } from './client.ts';
import { storeNotionConnection, type NotionContext } from './connections.ts';

const STATE_TTL_MS = 10 * 60_000;

/** Where the browser goes after connecting when it said nothing else. */
export const NOTION_RETURN_TO = '/settings/integrations';

/** The callback Notion sends the browser back to. */
export function notionRedirectUri(publicUrl: string): string {
  return `${publicUrl}/api/integrations/notion/callback`;
}

function isLocalPath(value: string): boolean {
  return /^\/(?![/\\])[^\s\\]*$/.test(value) && !/^\/[^/]*:/.test(value);
}

function configured(ctx: NotionContext) {
  if (!ctx.notion.oauth) {
    throw new AppError(
      'notion_not_configured',
      'This server cannot connect Notion by OAuth: set NOTION_CLIENT_ID and NOTION_CLIENT_SECRET, ' +
        "or paste an internal integration's secret instead.",
    );
  }
  return ctx.notion.oauth;
}

/**
 * Starts connecting Notion: the URL of Notion's consent page to send the browser to.
 *
 * @example
 * const url = await startNotionAuthorization(ctx, { actor, returnTo: '/settings/integrations' });
 */
export async function startNotionAuthorization(
  ctx: NotionContext,
  { actor, returnTo = NOTION_RETURN_TO }: { actor: Principal; returnTo?: string | undefined },
): Promise<string> {
  const app = configured(ctx);
  if (!isLocalPath(returnTo)) {
    throw new AppError('bad_request', 'returnTo must be a path on this server, such as /settings.');
  }
  const state = randomBytes(32).toString('base64url');
  await ctx.db.delete(oauthStates).where(lt(oauthStates.expiresAt, new Date()));
  await ctx.db.insert(oauthStates).values({
    state,
    userId: actor.userId,
    provider: 'notion',
    codeVerifier: '',
    returnTo,
    expiresAt: new Date(Date.now() + STATE_TTL_MS),
  });
  const url = new URL(`${ctx.notion.apiUrl}/v1/oauth/authorize`);
  url.search = new URLSearchParams({
    client_id: app.clientId,
    response_type: 'code',
    owner: 'user',
    redirect_uri: notionRedirectUri(ctx.publicUrl),
    state,
  }).toString();
  return url.toString();
}

/** A failed callback, with where the browser should go to read about it. */
export class NotionCallbackError extends AppError {
  constructor(
    error: AppError,
    readonly returnTo: string,
  ) {
    super(error.code, error.message);
    this.name = 'NotionCallbackError';
  }
}

/**
 * Finishes connecting Notion: checks the state (same user, unexpired, used once), exchanges the
 * code and stores the connection with the workspace name and icon Notion answers. Every failure
 * is a {@link NotionCallbackError}.
 *
 * @example
 * const { returnTo } = await finishNotionAuthorization(ctx, { actor, query: request.query });
 */
export async function finishNotionAuthorization(
  ctx: NotionContext,
  {
    actor,
    query,
  }: {
    actor: Principal | null;
    query: { code?: string | undefined; state?: string | undefined; error?: string | undefined };
  },
): Promise<{ connection: NotionConnection; returnTo: string }> {
  const fail = (error: AppError, returnTo = NOTION_RETURN_TO) =>
    new NotionCallbackError(error, returnTo);
  if (!actor) {
    throw fail(new AppError('unauthorized', 'Sign in to Lucid, then connect Notion again.'));
  }
  const [stored] = query.state
    ? await ctx.db.delete(oauthStates).where(eq(oauthStates.state, query.state)).returning()
    : [];
  if (
    !stored ||
    stored.userId !== actor.userId ||
    stored.provider !== 'notion' ||
    stored.expiresAt.getTime() <= Date.now()
  ) {
    throw fail(
      new AppError(
        'invalid_oauth_state',
        'This Notion authorization is unknown, expired or already used, or was started by ' +
          'someone else; start connecting again.',
      ),
    );
  }
  if (query.error) {
    const reason =
      query.error === 'access_denied'
        ? 'Notion access was not granted.'
        : `Notion answered: ${query.error}.`;
    throw fail(new AppError('notion_error', reason), stored.returnTo);
  }
  if (!query.code) {
    throw fail(new AppError('bad_request', 'Notion sent no authorization code.'), stored.returnTo);
  }
  const app = configured(ctx);
  try {
    const answer = await notionClient(ctx.notion, app.clientId).oauth.token({
      client_id: app.clientId,
      client_secret: app.clientSecret,
      grant_type: 'authorization_code',
      code: query.code,
      redirect_uri: notionRedirectUri(ctx.publicUrl),
    });
    const connection = await storeNotionConnection(ctx, {
      actor,
      method: 'oauth',
      token: answer.access_token,
      bot: {
        botId: answer.bot_id,
        workspaceName: answer.workspace_name ?? null,
        workspaceIcon: answer.workspace_icon ?? null,
      },
    });
    return { connection, returnTo: stored.returnTo };
  } catch (error) {
    const code = notionCode(error);
    if (code === 'invalid_grant' || code === 'unauthorized' || code === 'validation_error') {
      throw fail(
        new AppError(
          'invalid_notion_token',
          `Notion refused the authorization code (${(error as Error).message}); connect again.`,
        ),
        stored.returnTo,
      );
    }
    const mapped = notionFailure(error);
    if (mapped instanceof AppError) throw fail(mapped, stored.returnTo);
    throw mapped;
  }
}
