/**
 * @module provider-keys
 * A user's own model provider keys: used for their tasks in preference to the server's. A key is
 * written once and never shown again; only a hint (its last characters) is listed.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.ts';

export const KeyProvider = z.enum(['anthropic', 'openai', 'openai-compatible', 'gemini']);
export type KeyProvider = z.infer<typeof KeyProvider>;

export const ProviderParams = z.object({ provider: KeyProvider });

export const WorkspaceProviderParams = z.object({ id: Id, provider: KeyProvider });

export const PutProviderKeyBody = z.object({
  apiKey: z.string().trim().min(8).max(1000).describe('The provider API key. Never shown again.'),
  baseUrl: z
    .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })
    .optional()
    .describe('openai-compatible only: the server to call; OPENAI_COMPATIBLE_BASE_URL otherwise.'),
});
export type PutProviderKeyBody = z.infer<typeof PutProviderKeyBody>;

/** A stored key as listed: never the key itself. */
export const ProviderKey = z
  .object({
    provider: KeyProvider,
    hint: z.string().describe('The last characters of the key, to recognise it.'),
    baseUrl: z.string().nullable(),
    updatedAt: Timestamp,
  })
  .meta({ id: 'ProviderKey' });
export type ProviderKey = z.infer<typeof ProviderKey>;

export const ProviderKeyList = z.object({ keys: z.array(ProviderKey) });
export type ProviderKeyList = z.infer<typeof ProviderKeyList>;

/**
 * Who configures a provider for your tasks: your own key (used first), the server, or no one (its
 * models are not available to you).
 */
export const ProviderSource = z.enum(['own_key', 'server', 'none']);
export type ProviderSource = z.infer<typeof ProviderSource>;

export const ProviderStatus = z
  .object({
    provider: KeyProvider,
    source: ProviderSource,
    /** True when the server has this provider configured, whether or not your key is used. */
    server: z.boolean(),
  })
  .meta({ id: 'ProviderStatus' });
export type ProviderStatus = z.infer<typeof ProviderStatus>;

export const ProviderStatusList = z.object({ providers: z.array(ProviderStatus) });
export type ProviderStatusList = z.infer<typeof ProviderStatusList>;
