/**
 * @module features/auth/api/sign-in
 * Signing in with email and password, and signing up (with an invitation where the server asks
 * for one); both start a cookie session.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api.ts';
import { authProvidersQueryKey } from './get-providers.ts';
import { sessionQueryKey } from './get-session.ts';

export interface SignInInput {
  email: string;
  password: string;
}

export interface SignUpInput extends SignInInput {
  name: string;
  /** The token of the invitation link the page was opened with. */
  invitation?: string | undefined;
}

export function useSignIn() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: SignInInput) =>
      api('/api/auth/sign-in/email', { method: 'POST', json: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sessionQueryKey }),
  });
}

export function useSignUp() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: SignUpInput) =>
      api('/api/auth/sign-up/email', { method: 'POST', json: input }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: authProvidersQueryKey });
      await queryClient.invalidateQueries({ queryKey: sessionQueryKey });
    },
  });
}
