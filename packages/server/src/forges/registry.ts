/**
 * @module forges/registry
 * Picks the forge adapter for a provider, built for the addresses the server is configured with.
 */
import type { ForgeProvider } from '@lucid/contracts';
import type { ForgeConfig } from '../config.ts';
import type { Forge, OAuthApp } from './forge.ts';
import { createGitHubForge } from './github/github-forge.ts';
import { createGitLabForge } from './gitlab/gitlab-forge.ts';
import { countCall, countedFetch } from '../metrics/outbound.ts';

/**
 * The forge of `provider` at the configured addresses.
 *
 * @example
 * const forge = forgeFor(config.forges, 'github');
 * const account = await forge.account(token);
 */
export function forgeFor(config: ForgeConfig, provider: ForgeProvider): Forge {
  const { webUrl, apiUrl } = config[provider];
  const endpoints = {
    webUrl,
    apiUrl,
    fetch: countedFetch(provider, config),
    onCall: (status: number | null) => countCall(config, provider, status),
  };
  switch (provider) {
    case 'github':
      return createGitHubForge(endpoints);
    case 'gitlab':
      return createGitLabForge(endpoints);
  }
}

/** The OAuth app users connect `provider` through; null when none is configured. */
export function oauthAppFor(config: ForgeConfig, provider: ForgeProvider): OAuthApp | null {
  return config[provider].oauth;
}
