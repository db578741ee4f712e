/**
 * @module forges/webhook-secrets
 * Every repository linked from a forge has a webhook secret of its own: made when it is linked,
 * made anew by an admin of its workspace, kept sealed with ENCRYPTION_KEY
 * (`repositories.sealed_webhook_secret`), and shown only in the answer that made it. A delivery is
 * checked against the secret of the repository its URL names, so a secret opens one repository's
 * webhook and no other.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { RepoWebhookSecret } from '@lucid/contracts';
import { recordAudit } from '../audit/audit.ts';
import { repositories } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { loadRepo, webhookUrl, type RepoContext } from '../repos/repos.ts';
import { openSecret, sealSecret, SecretBoxError } from '../secrets/secret-box.ts';

/** A new secret (32 random bytes, hex) and its sealed form, the only one stored. */
export function newWebhookSecret(encryptionKey: Buffer): { secret: string; sealed: string } {
  const secret = randomBytes(32).toString('hex');
  return { secret, sealed: sealSecret(encryptionKey, secret) };
}

/**
 * A repository's webhook secret in clear, to check a delivery with; null when it has none or it
 * no longer opens (sealed under another ENCRYPTION_KEY): such a repository takes no deliveries
 * until an admin makes a new secret.
 */
export function openWebhookSecret(encryptionKey: Buffer, sealed: string | null): string | null {
  if (sealed === null) return null;
  try {
    return openSecret(encryptionKey, sealed);
  } catch (error) {
    if (error instanceof SecretBoxError) return null;
    throw error;
  }
}

/**
 * Makes a new webhook secret for a repository linked from a forge (the workspace's admins and
 * owners only); the previous secret stops working at once. Audited as `repo.webhook_secret`,
 * without the secret.
 *
 * @example
 * const { url, secret } = await rotateWebhookSecret(ctx, { actor, repoId: 'repo_x' });
 */
export async function rotateWebhookSecret(
  ctx: RepoContext & { encryptionKey: Buffer },
  { actor, repoId }: { actor: Principal; repoId: string },
): Promise<RepoWebhookSecret> {
  const repo = await loadRepo(ctx, actor.userId, repoId, 'admin');
  if (repo.provider === 'local') {
    throw new AppError(
      'bad_request',
      `${repo.name} is not linked from GitHub or GitLab, so it has no webhook.`,
    );
  }
  const { secret, sealed } = newWebhookSecret(ctx.encryptionKey);
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(repositories)
      .set({ sealedWebhookSecret: sealed, updatedAt: new Date() })
      .where(eq(repositories.id, repo.id));
    await recordAudit(tx, {
      actor,
      action: 'repo.webhook_secret',
      targetType: 'repo',
      targetId: repo.id,
      workspaceId: repo.workspaceId,
      metadata: { provider: repo.provider, replaced: repo.sealedWebhookSecret !== null },
    });
  });
  return { url: webhookUrl(ctx.publicUrl, repo.provider, repo.id), secret };
}
