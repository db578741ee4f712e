/**
 * The environment that points every model provider of a test server at the fake LLM, each with
 * its own key, so tests can tell which key reached the provider.
 */
export interface ProviderKeys {
  anthropic: string;
  openai: string;
  compatible: string;
  /** Sets GEMINI_API_KEY, with GEMINI_BASE_URL at the fake, when given. */
  gemini?: string;
}

export function fakeProviderEnv(fakeUrl: string, keys: ProviderKeys): Record<string, string> {
  return {
    ANTHROPIC_API_KEY: keys.anthropic,
    ANTHROPIC_BASE_URL: `${fakeUrl}/v1`,
    OPENAI_API_KEY: keys.openai,
    OPENAI_BASE_URL: `${fakeUrl}/v1`,
    OPENAI_COMPATIBLE_BASE_URL: `${fakeUrl}/v1`,
    OPENAI_COMPATIBLE_API_KEY: keys.compatible,
    ...(keys.gemini ? { GEMINI_API_KEY: keys.gemini, GEMINI_BASE_URL: fakeUrl } : {}),
  };
}
