/**
 * @module features/integrations/api/integrations
 * Forge integrations: the connected GitHub and GitLab accounts (never their tokens), connecting
 * with a personal access token, disconnecting, and the account's repositories, one of which can
 * be added to Lucid as a mirror.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  AddForgeRepoBody,
  ForgeProvider,
  ForgeRepoList,
  Integration,
  IntegrationList,
  LinkedRepo,
} from '@lucid/contracts';
import { api } from '../../../lib/api.ts';
import { reposQueryKey } from '../../../lib/queries/repos.ts';

export const integrationsQueryKey = ['integrations'] as const;

export const forgeNames: Record<ForgeProvider, string> = { github: 'GitHub', gitlab: 'GitLab' };

/** The page that starts connecting a forge by OAuth, coming back to `returnTo`. */
export function authorizeHref(provider: ForgeProvider, returnTo?: string): string {
  const query = returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : '';
  return `/api/integrations/${provider}/auth${query}`;
}

export function useIntegrations() {
  return useQuery({
    queryKey: integrationsQueryKey,
    queryFn: ({ signal }) => api<IntegrationList>('/api/integrations', { signal }),
  });
}

export function useConnectWithToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ provider, token }: { provider: ForgeProvider; token: string }) =>
      api<Integration>(`/api/integrations/${provider}/token`, {
        method: 'POST',
        json: { token },
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: integrationsQueryKey }),
  });
}

export function useDisconnect() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (provider: ForgeProvider) =>
      api<void>(`/api/integrations/${provider}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: integrationsQueryKey }),
  });
}

export function useForgeRepos(
  provider: ForgeProvider,
  query: { q: string; page: number; perPage?: number },
  enabled = true,
) {
  const params = new URLSearchParams({
    page: String(query.page),
    perPage: String(query.perPage ?? 20),
  });
  if (query.q.trim()) params.set('q', query.q.trim());
  return useQuery({
    queryKey: ['forge-repos', provider, query.q.trim(), query.page],
    queryFn: ({ signal }) =>
      api<ForgeRepoList>(`/api/integrations/${provider}/repos?${params.toString()}`, { signal }),
    placeholderData: keepPreviousData,
    enabled,
  });
}

/**
 * Adds a forge repository. The repository list is refreshed by {@link useRefreshRepos} once its
 * webhook secret has been shown: pages that change with the list would lose it otherwise.
 */
export function useAddForgeRepo() {
  return useMutation({
    mutationFn: ({ provider, ...body }: AddForgeRepoBody & { provider: ForgeProvider }) =>
      api<LinkedRepo>(`/api/integrations/${provider}/repos`, { method: 'POST', json: body }),
  });
}

/** Refreshes the repository list after a repository was added. */
export function useRefreshRepos() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: reposQueryKey });
}
