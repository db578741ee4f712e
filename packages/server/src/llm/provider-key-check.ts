/**
 * @module llm/provider-key-check
 * Checks a user's provider key before it is stored: one `GET /v1/models` with the key at the
 * configured base URL (ANTHROPIC_BASE_URL / OPENAI_BASE_URL, or the provider's own), or Gemini's
 * `GET /v1beta/models` at GEMINI_BASE_URL (Google answers a key it does not know with 400).
 */
import type { LlmConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { geminiBaseUrl, providerBaseUrl } from './gateway-styles.ts';

const TIMEOUT_MS = 15_000;

/**
 * Resolves when the provider accepts the key; throws `invalid_provider_key` when it refuses it
 * (401/403), `provider_unreachable` when it cannot be reached or answers otherwise.
 *
 * @example
 * await checkProviderKey(config.llm, { provider: 'anthropic', apiKey: 'sk-ant-…' });
 */
export async function checkProviderKey(
  llm: LlmConfig,
  { provider, apiKey }: { provider: 'anthropic' | 'openai' | 'gemini'; apiKey: string },
): Promise<void> {
  const baseUrl =
    provider === 'gemini' ? `${geminiBaseUrl(llm)}/v1beta` : providerBaseUrl(llm, provider);
  const headers: Record<string, string> =
    provider === 'anthropic'
      ? { 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' }
      : provider === 'gemini'
        ? { 'x-goog-api-key': apiKey }
        : { authorization: `Bearer ${apiKey}` };
  let answer: Response;
  try {
    answer = await fetch(`${baseUrl}/models`, {
      headers,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await answer.body?.cancel();
  } catch (error) {
    throw new AppError(
      'provider_unreachable',
      `Lucid could not reach ${provider} at ${baseUrl} to check the key: ` +
        `${error instanceof Error ? error.message : String(error)}. Try again later.`,
    );
  }
  const refused = provider === 'gemini' ? [400, 401, 403] : [401, 403];
  if (refused.includes(answer.status)) {
    throw new AppError(
      'invalid_provider_key',
      `${provider} refused this key (HTTP ${answer.status}): check that it is a valid ${provider} ` +
        'API key, not revoked, and copied whole.',
    );
  }
  if (!answer.ok) {
    throw new AppError(
      'provider_unreachable',
      `${provider} answered HTTP ${answer.status} when Lucid checked the key at ${baseUrl}/models; ` +
        'the key was not stored. Try again later.',
    );
  }
}
