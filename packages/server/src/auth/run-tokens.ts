/**
 * @module auth/run-tokens
 * The credential a run's sandbox holds. It reads the run's repository and pushes only to the
 * task's branch; it expires, and it dies with the run. Only its hash is stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { runTokens } from '../db/schema.ts';

export const RUN_TOKEN_PREFIX = 'lucid_run_';

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface RunGrant {
  runId: string;
  repoId: string;
  branch: string;
}

/** Mints a token for a run; it lasts `ttlMs` unless revoked first. */
export async function mintRunToken(db: Db, grant: RunGrant & { ttlMs: number }): Promise<string> {
  const token = RUN_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  await db.insert(runTokens).values({
    tokenHash: hash(token),
    runId: grant.runId,
    repoId: grant.repoId,
    branch: grant.branch,
    expiresAt: sql`now() + ${grant.ttlMs} * interval '1 millisecond'`,
  });
  return token;
}

/** What a presented run token grants, or null when it is unknown, expired or revoked. */
export async function verifyRunToken(db: Db, token: string): Promise<RunGrant | null> {
  if (!token.startsWith(RUN_TOKEN_PREFIX)) return null;
  const [row] = await db
    .select({ runId: runTokens.runId, repoId: runTokens.repoId, branch: runTokens.branch })
    .from(runTokens)
    .where(and(eq(runTokens.tokenHash, hash(token)), gt(runTokens.expiresAt, sql`now()`)));
  return row ?? null;
}

/** Revokes every token of a run (when it ends). */
export async function revokeRunTokens(db: Db, runId: string): Promise<void> {
  await db.delete(runTokens).where(eq(runTokens.runId, runId));
}
