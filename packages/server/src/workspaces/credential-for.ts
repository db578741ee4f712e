/**
 * @module workspaces/credential-for
 * Which credential a piece of work uses: the one rule. A forge connection or a model provider key
 * belongs to a user or to a workspace; work done for a user in a workspace (a task, for its
 * creator, in its workspace) uses the user's own credential for that provider when there is one,
 * else the workspace's. Nothing here opens a sealed secret: callers open what they are given.
 */
import { and, eq, or, type SQL } from 'drizzle-orm';
import type { ForgeProvider, KeyProvider } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { connections, providerKeys } from '../db/schema.ts';

/** Whose work it is: the acting user (a task's creator) and the workspace it is done in. */
export interface CredentialScope {
  userId: string | null;
  workspaceId: string | null;
}

/** `user`: the acting user's own credential; `workspace`: the workspace's. */
export type CredentialOwner = 'user' | 'workspace';

/** A credential chosen for a scope, and whose it is. */
export interface Resolved<Row> {
  owner: CredentialOwner;
  row: Row;
}

export type ConnectionRow = typeof connections.$inferSelect;
export type ProviderKeyRow = typeof providerKeys.$inferSelect;

function ownedBy(
  table: typeof connections | typeof providerKeys,
  scope: CredentialScope,
): SQL | undefined {
  const owners = [
    scope.userId ? eq(table.userId, scope.userId) : undefined,
    scope.workspaceId ? eq(table.workspaceId, scope.workspaceId) : undefined,
  ].filter((c): c is SQL => c !== undefined);
  return owners.length === 0 ? undefined : or(...owners);
}

/** Per provider, the user's own row first, else the workspace's. */
function pick<Row extends { userId: string | null; provider: string }>(
  rows: Row[],
  scope: CredentialScope,
): Resolved<Row>[] {
  const chosen = new Map<string, Resolved<Row>>();
  for (const row of rows) {
    const owner: CredentialOwner =
      scope.userId !== null && row.userId === scope.userId ? 'user' : 'workspace';
    const held = chosen.get(row.provider);
    if (!held || (held.owner === 'workspace' && owner === 'user')) {
      chosen.set(row.provider, { owner, row });
    }
  }
  return [...chosen.values()];
}

/**
 * The forge connection work in `scope` uses for `provider`: the user's own, else the
 * workspace's; null when neither has one.
 *
 * @example
 * const found = await forgeCredentialFor(db, { userId: task.createdBy, workspaceId: task.workspaceId }, 'github');
 * // → { owner: 'workspace', row: { login: 'octocat', sealedAccessToken: 'v1:…', … } }
 */
export async function forgeCredentialFor(
  db: Db,
  scope: CredentialScope,
  provider: ForgeProvider,
): Promise<Resolved<ConnectionRow> | null> {
  const owners = ownedBy(connections, scope);
  if (!owners) return null;
  const rows = await db
    .select()
    .from(connections)
    .where(and(eq(connections.provider, provider), owners));
  return pick(rows, scope)[0] ?? null;
}

/**
 * The model provider keys work in `scope` uses, one per provider at most: the user's own, else
 * the workspace's.
 *
 * @example
 * await modelKeysFor(db, { userId: task.createdBy, workspaceId: task.workspaceId });
 * // → [{ owner: 'workspace', row: { provider: 'anthropic', hint: '…x9Qa', … } }]
 */
export async function modelKeysFor(
  db: Db,
  scope: CredentialScope,
): Promise<Resolved<ProviderKeyRow>[]> {
  const owners = ownedBy(providerKeys, scope);
  if (!owners) return [];
  const rows = await db.select().from(providerKeys).where(owners);
  return pick(rows, scope);
}

/**
 * The one model provider key work in `scope` uses for `provider` (see {@link modelKeysFor}).
 *
 * @example
 * await modelKeyFor(db, scope, 'anthropic'); // → { owner: 'user', row } or null: the server's key
 */
export async function modelKeyFor(
  db: Db,
  scope: CredentialScope,
  provider: KeyProvider,
): Promise<Resolved<ProviderKeyRow> | null> {
  return (await modelKeysFor(db, scope)).find((found) => found.row.provider === provider) ?? null;
}
