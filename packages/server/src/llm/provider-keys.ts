/**
 * @module llm/provider-keys
 * Users' own model provider keys. A key is checked with its provider, sealed with ENCRYPTION_KEY
 * and stored with a hint (its last characters); it is never shown again. The models of a user's
 * tasks use the user's key for a provider when they have one, the server's otherwise
 * ({@link llmConfigFor}).
 */
import { and, eq } from 'drizzle-orm';
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
 * Stores (or replaces) the user's key for a provider, after checking it with the provider
 * (Anthropic, OpenAI and Gemini); throws `invalid_provider_key` when the provider refuses it.
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
  }: { actor: Principal; provider: KeyProvider; apiKey: string; baseUrl?: string | undefined },
): Promise<ProviderKey> {
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
    const [row] = await tx
      .insert(providerKeys)
      .values({ id: newId('pkey'), userId: actor.userId, provider, ...values })
      .onConflictDoUpdate({
        target: [providerKeys.userId, providerKeys.provider],
        set: { ...values, updatedAt: new Date() },
      })
      .returning();
    if (!row) throw new AppError('internal', 'The key was not stored.');
    await recordAudit(tx, {
      actor,
      action: 'provider_key.set',
      targetType: 'provider_key',
      targetId: row.id,
      metadata: { provider, hint: row.hint, baseUrl: row.baseUrl },
    });
    return toProviderKey(row);
  });
}

/**
 * Removes the user's key for a provider; their tasks use the server's again.
 *
 * @example
 * await deleteProviderKey(db, { actor, provider: 'openai' });
 */
export async function deleteProviderKey(
  db: Db,
  { actor, provider }: { actor: Principal; provider: KeyProvider },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [deleted] = await tx
      .delete(providerKeys)
      .where(and(eq(providerKeys.userId, actor.userId), eq(providerKeys.provider, provider)))
      .returning({ id: providerKeys.id, hint: providerKeys.hint });
    if (!deleted) {
      throw new AppError('provider_key_not_found', `You have no ${provider} key stored.`);
    }
    await recordAudit(tx, {
      actor,
      action: 'provider_key.delete',
      targetType: 'provider_key',
      targetId: deleted.id,
      metadata: { provider, hint: deleted.hint },
    });
  });
}

/**
 * The provider configuration for a user's tasks: the server's, with each provider the user has
 * a key for using that key instead. A key that cannot be opened (ENCRYPTION_KEY changed) is left
 * out, as if absent.
 *
 * @example
 * const llm = await llmConfigFor(ctx, task.createdBy);
 * usableModel(llm, 'anthropic/claude-sonnet-4-5');
 */
export async function llmConfigFor(
  ctx: ProviderKeyContext,
  userId: string | null,
): Promise<LlmConfig> {
  const rows = userId
    ? await ctx.db.select().from(providerKeys).where(eq(providerKeys.userId, userId))
    : [];
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
 * The models a user's tasks can use: by the server's providers and the user's own keys.
 *
 * @example
 * await modelsFor(ctx, userId); // → [{ provider: 'anthropic', id: 'anthropic/claude-sonnet-4-5', default: true }, …]
 */
export async function modelsFor(ctx: ProviderKeyContext, userId: string): Promise<ModelInfo[]> {
  return listModels(await llmConfigFor(ctx, userId));
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
