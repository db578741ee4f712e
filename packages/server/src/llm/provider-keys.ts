/**
 * @module llm/provider-keys
 * Model provider keys of users (their own) and of workspaces (set by their admins for every
 * member's tasks). A key is checked with its provider, sealed with ENCRYPTION_KEY and stored with
 * a hint (its last characters); it is never shown again. A task's models use its creator's own key
 * for a provider when they have one, else its workspace's, else the server's ({@link llmConfigFor},
 * by the rule of `workspaces/credential-for`).
 */
import { and, eq, isNull } from 'drizzle-orm';
import {
  KeyProvider,
  type ModelInfo,
  type ProviderKey,
  type ProviderStatus,
} from '@lucid/contracts';
import { recordAudit } from '../audit/audit.ts';
import { isInstanceAdmin } from '../auth/instance-admin.ts';
import type { LlmConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import { providerKeys } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Principal } from '../principal.ts';
import { openSecret, sealSecret } from '../secrets/secret-box.ts';
import { geminiBaseUrl, providerBaseUrl } from './gateway-styles.ts';
import { checkProviderKey } from './provider-key-check.ts';
import { listModels } from './models.ts';
import { modelKeysFor, type CredentialScope } from '../workspaces/credential-for.ts';
import { requireRole } from '../workspaces/workspaces.ts';

/** The server's provider configuration, and the key that seals users' keys. */
export interface ProviderKeyContext {
  db: Db;
  llm: LlmConfig;
  encryptionKey: Buffer;
}

function toProviderKey(row: typeof providerKeys.$inferSelect): ProviderKey {
  return {
    provider: row.provider,
    hint: row.hint,
    baseUrl: row.baseUrl,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * A workspace's own model provider keys, as any member may see them: hints, never the keys.
 *
 * @example
 * await listWorkspaceProviderKeys(db, { actor, workspaceId }); // → [{ provider: 'anthropic', hint: '…x9Qa', … }]
 */
export async function listWorkspaceProviderKeys(
  db: Db,
  { actor, workspaceId }: { actor: Principal; workspaceId: string },
): Promise<ProviderKey[]> {
  await requireRole(db, workspaceId, actor.userId, 'viewer');
  const rows = await db
    .select()
    .from(providerKeys)
    .where(eq(providerKeys.workspaceId, workspaceId))
    .orderBy(providerKeys.provider);
  return rows.map(toProviderKey);
}

/** @example await listProviderKeys(db, userId); // → [{ provider: 'anthropic', hint: '…x9Qa', … }] */
export async function listProviderKeys(db: Db, userId: string): Promise<ProviderKey[]> {
  const rows = await db
    .select()
    .from(providerKeys)
    .where(eq(providerKeys.userId, userId))
    .orderBy(providerKeys.provider);
  return rows.map(toProviderKey);
}

const BASE_SETTING: Record<Exclude<KeyProvider, 'openai-compatible'>, string> = {
  anthropic: 'ANTHROPIC_BASE_URL',
  openai: 'OPENAI_BASE_URL',
  gemini: 'GEMINI_BASE_URL',
};

/** The server an openai-compatible key is for: the one given, else OPENAI_COMPATIBLE_BASE_URL. */
function baseUrlFor(
  llm: LlmConfig,
  provider: KeyProvider,
  given: string | undefined,
): string | null {
  if (provider !== 'openai-compatible') {
    if (given !== undefined) {
      throw new AppError(
        'bad_request',
        `baseUrl is for openai-compatible keys only; ${provider} keys are used at ` +
          `${BASE_SETTING[provider]} (or the provider's own API).`,
      );
    }
    return null;
  }
  if (given !== undefined) return given.replace(/\/+$/, '');
  if (llm.openaiCompatible) return null;
  throw new AppError(
    'bad_request',
    'An openai-compatible key needs the server it is for: set OPENAI_COMPATIBLE_BASE_URL on the ' +
      'Lucid server, or (as an instance admin) send baseUrl, such as http://127.0.0.1:11434/v1.',
  );
}

/**
 * Stores (or replaces) the user's key for a provider, or with `workspaceId` the workspace's (its
 * admins only), after checking it with the provider (Anthropic, OpenAI and Gemini); throws
 * `invalid_provider_key` when the provider refuses it.
 *
 * @example
 * await putProviderKey(ctx, { actor, provider: 'anthropic', apiKey: 'sk-ant-…' });
 */
export async function putProviderKey(
  ctx: ProviderKeyContext,
  {
    actor,
    provider,
    apiKey,
    baseUrl,
    workspaceId,
  }: {
    actor: Principal;
    provider: KeyProvider;
    apiKey: string;
    baseUrl?: string | undefined;
    workspaceId?: string | undefined;
  },
): Promise<ProviderKey> {
  if (workspaceId) await requireRole(ctx.db, workspaceId, actor.userId, 'admin');
  const target = baseUrlFor(ctx.llm, provider, baseUrl);
  if (baseUrl !== undefined && !(await isInstanceAdmin(ctx.db, actor.userId))) {
    // The server itself calls that address: letting any user choose it would let them aim
    // the server at hosts on its own network.
    throw new AppError(
      'forbidden',
      'Only an instance admin can point a key at a server of its own choosing; ask them to set ' +
        'OPENAI_COMPATIBLE_BASE_URL, then store the key without baseUrl.',
    );
  }
  if (provider !== 'openai-compatible') await checkProviderKey(ctx.llm, { provider, apiKey });
  const values = {
    sealedKey: sealSecret(ctx.encryptionKey, apiKey),
    hint: `…${apiKey.slice(-4)}`,
    baseUrl: target,
  };
  return ctx.db.transaction(async (tx) => {
    const owner = workspaceId ? { workspaceId } : { userId: actor.userId };
    const [row] = await tx
      .insert(providerKeys)
      .values({ id: newId('pkey'), ...owner, provider, ...values })
      .onConflictDoUpdate({
        target: workspaceId
          ? [providerKeys.workspaceId, providerKeys.provider]
          : [providerKeys.userId, providerKeys.provider],
        set: { ...values, updatedAt: new Date() },
      })
      .returning();
    if (!row) throw new AppError('internal', 'The key was not stored.');
    await recordAudit(tx, {
      actor,
      action: workspaceId ? 'credential.set' : 'provider_key.set',
      ...(workspaceId ? { workspaceId } : {}),
      targetType: 'provider_key',
      targetId: row.id,
      metadata: { provider, hint: row.hint, baseUrl: row.baseUrl },
    });
    return toProviderKey(row);
  });
}

/**
 * Removes the user's key for a provider (their tasks use the workspace's or the server's again),
 * or with `workspaceId` the workspace's (its admins only).
 *
 * @example
 * await deleteProviderKey(db, { actor, provider: 'openai' });
 */
export async function deleteProviderKey(
  db: Db,
  {
    actor,
    provider,
    workspaceId,
  }: { actor: Principal; provider: KeyProvider; workspaceId?: string | undefined },
): Promise<void> {
  if (workspaceId) await requireRole(db, workspaceId, actor.userId, 'admin');
  await db.transaction(async (tx) => {
    const [deleted] = await tx
      .delete(providerKeys)
      .where(
        and(
          workspaceId
            ? eq(providerKeys.workspaceId, workspaceId)
            : and(eq(providerKeys.userId, actor.userId), isNull(providerKeys.workspaceId)),
          eq(providerKeys.provider, provider),
        ),
      )
      .returning({ id: providerKeys.id, hint: providerKeys.hint });
    if (!deleted) {
      throw new AppError(
        'provider_key_not_found',
        workspaceId
          ? `This workspace has no ${provider} key stored.`
          : `You have no ${provider} key stored.`,
      );
    }
    await recordAudit(tx, {
      actor,
      action: workspaceId ? 'credential.delete' : 'provider_key.delete',
      ...(workspaceId ? { workspaceId } : {}),
      targetType: 'provider_key',
      targetId: deleted.id,
      metadata: { provider, hint: deleted.hint },
    });
  });
}

/**
 * The provider configuration for tasks of a user in a workspace: the server's, with each provider
 * the user has a key of their own for using it instead, else the workspace's key when it has one.
 * A key that cannot be opened (ENCRYPTION_KEY changed) is left out, as if absent.
 *
 * @example
 * const llm = await llmConfigFor(ctx, { userId: task.createdBy, workspaceId: task.workspaceId });
 * usableModel(llm, 'anthropic/claude-sonnet-4-5');
 */
export async function llmConfigFor(
  ctx: ProviderKeyContext,
  scope: CredentialScope,
): Promise<LlmConfig> {
  const rows = (await modelKeysFor(ctx.db, scope)).map((found) => found.row);
  const llm: LlmConfig = { ...ctx.llm };
  for (const row of rows) {
    let apiKey: string;
    try {
      apiKey = openSecret(ctx.encryptionKey, row.sealedKey);
    } catch {
      continue;
    }
    if (row.provider === 'anthropic') {
      llm.anthropic = { apiKey, baseUrl: providerBaseUrl(ctx.llm, 'anthropic') };
    } else if (row.provider === 'openai') {
      llm.openai = { apiKey, baseUrl: providerBaseUrl(ctx.llm, 'openai') };
    } else if (row.provider === 'gemini') {
      llm.gemini = { apiKey, baseUrl: geminiBaseUrl(ctx.llm) };
    } else {
      const baseUrl = row.baseUrl ?? ctx.llm.openaiCompatible?.baseUrl;
      if (baseUrl) llm.openaiCompatible = { baseUrl, apiKey };
    }
  }
  llm.defaultModel ??= llm.anthropic
    ? 'anthropic/claude-sonnet-4-5'
    : llm.openai
      ? 'openai/gpt-5'
      : llm.gemini
        ? 'gemini/gemini-2.5-pro'
        : undefined;
  return llm;
}

/**
 * The models a user's tasks can use: by the server's providers and the user's own keys, and in a
 * workspace its keys too.
 *
 * @example
 * await modelsFor(ctx, { userId, workspaceId: null }); // → [{ provider: 'anthropic', id: 'anthropic/claude-sonnet-4-5', default: true }, …]
 */
export async function modelsFor(
  ctx: ProviderKeyContext,
  scope: CredentialScope,
): Promise<ModelInfo[]> {
  return listModels(await llmConfigFor(ctx, scope));
}

/**
 * Who configures each provider for a user's tasks: their own key (used first), the server, or no
 * one. Says nothing of the keys themselves.
 *
 * @example
 * await providerStatuses(ctx, userId); // → [{ provider: 'anthropic', source: 'server', server: true }, …]
 */
export async function providerStatuses(
  ctx: ProviderKeyContext,
  userId: string,
): Promise<ProviderStatus[]> {
  const own = new Set((await listProviderKeys(ctx.db, userId)).map((key) => key.provider));
  const byServer: Record<KeyProvider, boolean> = {
    anthropic: ctx.llm.anthropic !== undefined,
    openai: ctx.llm.openai !== undefined,
    'openai-compatible': ctx.llm.openaiCompatible !== undefined,
    gemini: ctx.llm.gemini !== undefined,
  };
  return KeyProvider.options.map((provider) => ({
    provider,
    source: own.has(provider) ? 'own_key' : byServer[provider] ? 'server' : 'none',
    server: byServer[provider],
  }));
}
