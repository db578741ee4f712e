/**
 * @module vercel/connections
 * Vercel connections: a Vercel access token (and the team it acts in), checked with Vercel's user
 * endpoint and sealed with ENCRYPTION_KEY, owned by a user or by a Lucid workspace when one of its
 * admins connects it for everyone. The token never leaves the server: not in answers, logs,
 * events or audit.
 */
import type { VercelConnection, VercelStatus } from '@lucid/contracts';
import type { VercelConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import { vercelConnections } from '../db/schema.ts';
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
import { vercelApi, VercelApiError, vercelFailure, type VercelApi } from './client.ts';

/** What Vercel needs: the database, the sealing key and Vercel's settings. */
export interface VercelContext {
  db: Db;
  encryptionKey: Buffer;
  vercel: VercelConfig;
}

/** A stored connection. */
export type VercelConnectionRow = typeof vercelConnections.$inferSelect;

function toConnection(row: VercelConnectionRow): VercelConnection {
  return {
    id: row.id,
    owner: row.workspaceId ? 'workspace' : 'user',
    workspaceId: row.workspaceId,
    username: row.username,
    teamId: row.teamId,
    connectedAt: row.updatedAt.toISOString(),
  };
}

const VERCEL: OwnedConnectionKind<typeof vercelConnections> = {
  table: vercelConnections,
  provider: 'vercel',
  notConnected: () =>
    new AppError(
      'integration_not_found',
      'No Vercel account is connected; connect one in Settings → Integrations.',
    ),
};

/**
 * The caller's own Vercel connection and those of the Lucid workspaces they belong to.
 *
 * @example
 * await vercelStatus(ctx, userId); // → { connections: [{ owner: 'user', username: 'ada', … }] }
 */
export async function vercelStatus(ctx: VercelContext, userId: string): Promise<VercelStatus> {
  const rows = await visibleConnections(ctx.db, VERCEL, userId);
  return { connections: rows.map(toConnection) };
}

/**
 * Connects Vercel with an access token after Vercel has said whose it is (`GET /v2/user`) and,
 * with a team, shown the token reaches it (its projects); a refused token is `invalid_vercel_token` in Vercel's words. For a
 * workspace, the actor must be one of its admins. Replaces the owner's earlier connection.
 *
 * @example
 * await connectVercel(ctx, { actor, token: 'vcp_…', teamId: 'team_…' });
 */
export async function connectVercel(
  ctx: VercelContext,
  {
    actor,
    token,
    teamId,
    workspaceId,
  }: {
    actor: Principal;
    token: string;
    teamId?: string | undefined;
    workspaceId?: string | undefined;
  },
): Promise<VercelConnection> {
  if (workspaceId) await requireRole(ctx.db, workspaceId, actor.userId, 'admin');
  const team = teamId?.trim() || null;
  let user: { id: string; username: string };
  try {
    const api = vercelApi(ctx.vercel, token, team);
    user = await api.user();
    // The user endpoint takes no team: listing the team's projects shows the token reaches it.
    if (team) await api.projects();
  } catch (error) {
    if (error instanceof VercelApiError && (error.status === 401 || error.status === 403)) {
      throw new AppError(
        'invalid_vercel_token',
        `Vercel refused this token (${error.message})` +
          (team ? ` for the team ${team}` : '') +
          ': check that it is current, copied whole, and has access to that scope.',
      );
    }
    throw vercelFailure(error);
  }
  const row = await storeConnection(ctx.db, VERCEL, {
    actor,
    workspaceId,
    values: {
      sealedToken: sealSecret(ctx.encryptionKey, token),
      teamId: team,
      accountId: user.id,
      username: user.username,
      createdBy: actor.userId,
    },
    metadata: { account: user.username, team },
  });
  return toConnection(row);
}

/**
 * The connection a request uses: the one named (the caller's own, or one of a workspace they are
 * a member of), else the caller's own, else the first workspace connection they can use.
 */
export async function vercelConnectionRow(
  ctx: VercelContext,
  userId: string,
  connectionId?: string | undefined,
): Promise<VercelConnectionRow> {
  return connectionFor(ctx.db, VERCEL, userId, connectionId);
}

/** Vercel's API with a connection's token, in its team; a token sealed under another key is unusable. */
export function vercelApiOf(ctx: VercelContext, row: VercelConnectionRow): VercelApi {
  let token: string;
  try {
    token = openSecret(ctx.encryptionKey, row.sealedToken);
  } catch {
    throw new AppError(
      'invalid_vercel_token',
      'The Vercel token can no longer be read (the server key changed); connect Vercel again in ' +
        'Settings → Integrations.',
    );
  }
  return vercelApi(ctx.vercel, token, row.teamId);
}

/**
 * Forgets a Vercel connection (and the repository links made with it): the caller's own, or a
 * workspace's when the caller is one of its admins.
 */
export async function disconnectVercel(
  ctx: VercelContext,
  { actor, connectionId }: { actor: Principal; connectionId: string },
): Promise<void> {
  await forgetConnection(ctx.db, VERCEL, {
    actor,
    connectionId,
    metadata: (row) => ({ account: row.username }),
  });
}
