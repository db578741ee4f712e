/**
 * @module features/invitations/api/invitations
 * Invitations to this server (instance admins): list, make one (its link comes back once),
 * revoke; and the server's sign-up mode, for the page to say how they are used.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  AuthProviders,
  CreateInvitationBody,
  CreatedInvitation,
  InvitationList,
} from '@lucid/contracts';
import { api } from '../../../lib/api.ts';

export const invitationsQueryKey = ['invitations'] as const;

export function useInvitations() {
  return useQuery({
    queryKey: invitationsQueryKey,
    queryFn: ({ signal }) =>
      api<InvitationList>('/api/v1/invitations', { signal }).then((r) => r.invitations),
  });
}

export function useCreateInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateInvitationBody) =>
      api<CreatedInvitation>('/api/v1/invitations', { method: 'POST', json: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: invitationsQueryKey }),
  });
}

export function useRevokeInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      api<void>(`/api/v1/invitations/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: invitationsQueryKey }),
  });
}

/** Who may sign up on this server now. */
export function useSignUpMode() {
  return useQuery({
    queryKey: ['sign-up-mode'],
    queryFn: ({ signal }) =>
      api<AuthProviders>('/api/v1/auth/providers', { signal }).then((p) => p.signUp),
  });
}
