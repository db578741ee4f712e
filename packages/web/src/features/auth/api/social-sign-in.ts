/**
 * @module features/auth/api/social-sign-in
 * Sign-in with GitHub or Google: the server answers with the provider's URL to go to. An invitation
 * rides along (better-auth keeps it in the OAuth state), for an account made on the way back.
 */
import { useMutation } from '@tanstack/react-query';
import type { AuthProviders } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';

export type SocialProvider = AuthProviders['social'][number];

export interface SocialSignInInput {
  provider: SocialProvider;
  invitation?: string | undefined;
}

export function useSocialSignIn() {
  return useMutation({
    mutationFn: async ({ provider, invitation }: SocialSignInInput) => {
      const { url } = await api<{ url?: string }>('/api/auth/sign-in/social', {
        method: 'POST',
        json: {
          provider,
          callbackURL: '/tasks',
          // A refusal comes back to the page it started from, which shows why.
          errorCallbackURL: invitation
            ? `/sign-up?invitation=${encodeURIComponent(invitation)}`
            : '/sign-in',
          ...(invitation && { additionalData: { invitation } }),
        },
      });
      if (!url) throw new Error(`The server gave no address to sign in with ${provider}.`);
      window.location.assign(url);
    },
  });
}
