/**
 * @module features/auth/api/social-sign-in
 * Sign-in with GitHub or Google: the server answers with the provider's URL to go to.
 */
import { useMutation } from '@tanstack/react-query';
import type { AuthProviders } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';

export type SocialProvider = AuthProviders['social'][number];

export function useSocialSignIn() {
  return useMutation({
    mutationFn: async (provider: SocialProvider) => {
      const { url } = await api<{ url?: string }>('/api/auth/sign-in/social', {
        method: 'POST',
        json: { provider, callbackURL: '/tasks', errorCallbackURL: '/sign-in' },
      });
      if (!url) throw new Error(`The server gave no address to sign in with ${provider}.`);
      window.location.assign(url);
    },
  });
}
