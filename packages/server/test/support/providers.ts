/**
 * The environment that points every model provider of a test server at the fake LLM, each with
 * its own key, so tests can tell which key reached the provider.
 */
export interface ProviderKeys {
  anthropic: string;
  openai: string;
  compatible: string;
}

export function fakeProviderEnv(fakeUrl: string, keys: ProviderKeys): Record<string, string> {
  return {
    ANTHROPIC_API_KEY: keys.anthropic,
    ANTHROPIC_BASE_URL: `${fakeUrl}/v1`,
    OPENAI_API_KEY: keys.openai,
    OPENAI_BASE_URL: `${fakeUrl}/v1`,
    OPENAI_COMPATIBLE_BASE_URL: `${fakeUrl}/v1`,
    OPENAI_COMPATIBLE_API_KEY: keys.compatible,
  };
}
