/**
 * @module notion/connections
 * Notion connections: a Notion workspace's bot token, by an internal integration's secret or by
 * OAuth, sealed with ENCRYPTION_KEY. A connection belongs to a user, or to a Lucid workspace when
 * one of its admins connects it for everyone. {@link notionConnectionFor} is how the rest of Lucid
 * gets a usable token; the token never leaves the server: not in answers, logs, events or audit.
 */
import { eq } from 'drizzle-orm';
import type { NotionConnection, NotionStatus } from '@lucid/contracts';
import type { NotionConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import { notionConnections } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { openSecret, sealSecret } from '../secrets/secret-box.ts';
import {
  connectionFor,
  forgetConnection,
  storeConnection,
  visibleConnections,
  type OwnedConnectionKind,
} from '../workspaces/owned-connections.ts';
import { requireRole } from '../workspaces/workspaces.ts';
import { notionClient, notionCode, notionFailure } from './client.ts';

/** What Notion needs: the database, the sealing key, Notion's settings and the public URL. */
export interface NotionContext {
  db: Db;
  encryptionKey: Buffer;
  notion: NotionConfig;
  publicUrl: string;
}

/** A stored connection. */
export type NotionConnectionRow = typeof notionConnections.$inferSelect;

/** The Notion workspace a token reaches, as Notion describes it. */
export interface NotionBot {
  botId: string;
  workspaceName: string | null;
  workspaceIcon: string | null;
}

const NOTION: OwnedConnectionKind<typeof notionConnections> = {
  table: notionConnections,
  provider: 'notion',
  notConnected: () =>
    new AppError(
      'integration_not_found',
      'No Notion workspace is connected; connect one in Settings → Integrations.',
    ),
};

function toConnection(row: NotionConnectionRow): NotionConnection {
  return {
    id: row.id,
    owner: row.workspaceId ? 'workspace' : 'user',
    workspaceId: row.workspaceId,
    method: row.method,
    workspaceName: row.notionWorkspaceName,
    workspaceIcon: row.notionWorkspaceIcon,
    connectedAt: row.updatedAt.toISOString(),
    refusedAt: row.refusedAt?.toISOString() ?? null,
  };
}

/**
 * The caller's own Notion connection and those of the Lucid workspaces they belong to.
 *
 * @example
 * await notionStatus(ctx, userId); // → { connections: [{ owner: 'user', workspaceName: 'Acme', … }], oauth: false, … }
 */
export async function notionStatus(ctx: NotionContext, userId: string): Promise<NotionStatus> {
  const rows = await visibleConnections(ctx.db, NOTION, userId);
  return {
    connections: rows.map(toConnection),
    oauth: ctx.notion.oauth !== null,
    apiVersion: ctx.notion.version,
  };
}

/** Asks Notion whose a token is (`GET /v1/users/me`): the bot and its workspace. */
export async function notionBot(ctx: NotionContext, token: string): Promise<NotionBot> {
  const me = await notionClient(ctx.notion, token).users.me({});
  const bot = me.type === 'bot' ? me.bot : null;
  const workspaceName = bot && 'workspace_name' in bot ? (bot.workspace_name ?? null) : null;
  return { botId: me.id, workspaceName, workspaceIcon: me.avatar_url ?? null };
}

/**
 * Stores a Notion connection for the actor, or for a workspace, replacing the owner's earlier one
 * (its mappings kept); audited with the Notion workspace's name and never the token.
 */
export async function storeNotionConnection(
  ctx: NotionContext,
  {
    actor,
    workspaceId,
    method,
    token,
    bot,
  }: {
    actor: Principal;
    workspaceId?: string | undefined;
    method: 'oauth' | 'token';
    token: string;
    bot: NotionBot;
  },
): Promise<NotionConnection> {
  const row = await storeConnection(ctx.db, NOTION, {
    actor,
    workspaceId,
    values: {
      method,
      sealedToken: sealSecret(ctx.encryptionKey, token),
      botId: bot.botId,
      notionWorkspaceName: bot.workspaceName,
      notionWorkspaceIcon: bot.workspaceIcon,
      createdBy: actor.userId,
      refusedAt: null,
    },
    metadata: { method, workspace: bot.workspaceName },
  });
  return toConnection(row);
}

/**
 * Connects Notion with an internal integration's secret, after Notion has said whose it is
 * (`users/me`); a refused token is `invalid_notion_token` in Notion's words. For a workspace, the
 * actor must be one of its admins.
 *
 * @example
 * await connectNotionWithToken(ctx, { actor, token: 'ntn_…' });
 */
export async function connectNotionWithToken(
  ctx: NotionContext,
  {
    actor,
    token,
    workspaceId,
  }: { actor: Principal; token: string; workspaceId?: string | undefined },
): Promise<NotionConnection> {
  if (workspaceId) await requireRole(ctx.db, workspaceId, actor.userId, 'admin');
  let bot: NotionBot;
  try {
    bot = await notionBot(ctx, token);
  } catch (error) {
    if (notionCode(error) === 'unauthorized') {
      throw new AppError(
        'invalid_notion_token',
        `Notion refused this token (${(error as Error).message}): check that it is an internal ` +
          "integration's secret, current, and copied whole.",
      );
    }
    throw notionFailure(error);
  }
  return storeNotionConnection(ctx, { actor, workspaceId, method: 'token', token, bot });
}

/**
 * The connection a request uses: the one named (the caller's own, or one of a workspace they are
 * a member of), else the caller's own, else the first workspace connection they can use.
 */
export async function notionConnectionRow(
  ctx: NotionContext,
  userId: string,
  connectionId?: string | undefined,
): Promise<NotionConnectionRow> {
  return connectionFor(ctx.db, NOTION, userId, connectionId);
}

/**
 * The connection and its opened token, for a call to Notion.
 *
 * @example
 * const { row, token } = await notionConnectionFor(ctx, userId, query.connectionId);
 */
export async function notionConnectionFor(
  ctx: NotionContext,
  userId: string,
  connectionId?: string | undefined,
): Promise<{ row: NotionConnectionRow; token: string }> {
  const row = await notionConnectionRow(ctx, userId, connectionId);
  return { row, token: openNotionToken(ctx, row) };
}

/** Opens a connection's token; one sealed under another key is unusable, like a revoked one. */
export function openNotionToken(ctx: { encryptionKey: Buffer }, row: NotionConnectionRow): string {
  try {
    return openSecret(ctx.encryptionKey, row.sealedToken);
  } catch {
    throw new AppError(
      'invalid_notion_token',
      'The Notion token can no longer be read (the server key changed); connect Notion again in ' +
        'Settings → Integrations.',
    );
  }
}

/**
 * Forgets a Notion connection (its token and mappings with it): the caller's own, or a workspace's
 * when the caller is one of its admins.
 */
export async function disconnectNotion(
  ctx: NotionContext,
  { actor, connectionId }: { actor: Principal; connectionId: string },
): Promise<void> {
  await forgetConnection(ctx.db, NOTION, {
    actor,
    connectionId,
    metadata: (row) => ({ workspace: row.notionWorkspaceName }),
  });
}

/**
 * Records that Notion refused a connection's token (revoked, or the integration removed): the
 * Integrations page shows it as needing a reconnect until it is connected again.
 *
 * @example
 * await markNotionRefused(db, connection.id);
 */
export async function markNotionRefused(db: Db, connectionId: string): Promise<void> {
  await db
    .update(notionConnections)
    .set({ refusedAt: new Date() })
    .where(eq(notionConnections.id, connectionId));
}
