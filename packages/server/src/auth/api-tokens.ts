/**
 * @module auth/api-tokens
 * Personal API tokens. The secret is shown once at creation; only its SHA-256 hash is stored, so a
 * lookup is one indexed query and a revoked token stops working at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type { ApiToken, CreatedApiToken } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { apiTokens } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../principal.ts';

const TOKEN_PREFIX = 'lucid_pat_';

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function toApiToken(row: typeof apiTokens.$inferSelect): ApiToken {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

/**
 * @example
 * const { token } = await createApiToken(db, { actor, name: 'laptop' });
 */
export async function createApiToken(
  db: Db,
  { actor, name }: { actor: Principal; name: string },
): Promise<CreatedApiToken> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({
        id: newId('tok'),
        userId: actor.userId,
        name,
        tokenHash: hashToken(token),
        prefix: token.slice(0, TOKEN_PREFIX.length + 6),
      })
      .returning();
    if (!row) throw new AppError('internal', 'The token was not stored.');
    await recordAudit(tx, {
      actor,
      action: 'token.create',
      targetType: 'api_token',
      targetId: row.id,
      metadata: { name },
    });
    return { ...toApiToken(row), token };
  });
}

export async function listApiTokens(db: Db, userId: string): Promise<ApiToken[]> {
  const rows = await db
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.userId, userId))
    .orderBy(desc(apiTokens.createdAt));
  return rows.map(toApiToken);
}

export async function revokeApiToken(
  db: Db,
  { actor, tokenId }: { actor: Principal; tokenId: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const deleted = await tx
      .delete(apiTokens)
      .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, actor.userId)))
      .returning({ id: apiTokens.id, name: apiTokens.name });
    if (deleted.length === 0) {
      throw new AppError(
        'token_not_found',
        'This token does not exist: it may have been revoked already.',
      );
    }
    await recordAudit(tx, {
      actor,
      action: 'token.revoke',
      targetType: 'api_token',
      targetId: tokenId,
      metadata: { name: deleted[0]?.name },
    });
  });
}

/** How stale `lastUsedAt` may get before a use writes it again; keeps reads from writing. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Resolves a presented secret to its owner, or null when no such token exists (any more). */
export async function verifyApiToken(
  db: Db,
  token: string,
): Promise<{ userId: string; tokenId: string } | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const [row] = await db
    .select({ userId: apiTokens.userId, tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .where(eq(apiTokens.tokenHash, hashToken(token)));
  if (!row) return null;
  const now = new Date();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.tokenId));
  }
  return { userId: row.userId, tokenId: row.tokenId };
}
