/**
 * @module features/workspaces/api/workspaces
 * Workspaces over the REST API: make, rename and delete one, its members and their roles, invite
 * someone, list and revoke the invitations made, and accept an invitation.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  AcceptedWorkspaceInvitation,
  CreatedWorkspaceInvitation,
  CreateWorkspaceInvitationBody,
  PlanMode,
  Workspace,
  WorkspaceInvitationList,
  WorkspaceMember,
  WorkspaceMemberList,
  WorkspaceRole,
} from '@lucid/contracts';
import { api } from '../../../lib/api.ts';

const path = (id: string, rest = '') => `/api/v1/workspaces/${encodeURIComponent(id)}${rest}`;

export function membersQueryKey(workspaceId: string) {
  return ['workspaces', workspaceId, 'members'] as const;
}

/** Refreshes what depends on the user's workspaces: `me`, and the lists scoped to one. */
function useRefresh() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries();
}

export function useCreateWorkspace() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (name: string) =>
      api<Workspace>('/api/v1/workspaces', { method: 'POST', json: { name } }),
    onSuccess: refresh,
  });
}

export function useRenameWorkspace(workspaceId: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (name: string) =>
      api<Workspace>(path(workspaceId), { method: 'PATCH', json: { name } }),
    onSuccess: refresh,
  });
}

/** Sets the plan mode new tasks of the workspace take when they name none (admins). */
export function useWorkspacePlanMode(workspaceId: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (planMode: PlanMode) =>
      api<Workspace>(path(workspaceId), { method: 'PATCH', json: { planMode } }),
    onSuccess: refresh,
  });
}

export function useDeleteWorkspace(workspaceId: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: () => api<void>(path(workspaceId), { method: 'DELETE' }),
    onSuccess: refresh,
  });
}

export function useMembers(workspaceId: string) {
  return useQuery({
    queryKey: membersQueryKey(workspaceId),
    queryFn: ({ signal }) =>
      api<WorkspaceMemberList>(path(workspaceId, '/members'), { signal }).then((r) => r.members),
  });
}

export function useChangeRole(workspaceId: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: WorkspaceRole }) =>
      api<WorkspaceMember>(path(workspaceId, `/members/${encodeURIComponent(userId)}`), {
        method: 'PATCH',
        json: { role },
      }),
    onSuccess: refresh,
  });
}

/** Removes a member; with one's own id, leaves the workspace. */
export function useRemoveMember(workspaceId: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (userId: string) =>
      api<void>(path(workspaceId, `/members/${encodeURIComponent(userId)}`), {
        method: 'DELETE',
      }),
    onSuccess: refresh,
  });
}

export function invitationsQueryKey(workspaceId: string) {
  return ['workspaces', workspaceId, 'invitations'] as const;
}

export function useInvite(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateWorkspaceInvitationBody) =>
      api<CreatedWorkspaceInvitation>(path(workspaceId, '/invitations'), {
        method: 'POST',
        json: input,
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: invitationsQueryKey(workspaceId) }),
  });
}

/** The workspace's invitations (admins), newest first, with their status. */
export function useWorkspaceInvitations(workspaceId: string) {
  return useQuery({
    queryKey: invitationsQueryKey(workspaceId),
    queryFn: ({ signal }) =>
      api<WorkspaceInvitationList>(path(workspaceId, '/invitations'), { signal }).then(
        (r) => r.invitations,
      ),
  });
}

/** Revokes an unused invitation: its link stops working at once. */
export function useRevokeWorkspaceInvitation(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (invitationId: string) =>
      api<void>(path(workspaceId, `/invitations/${encodeURIComponent(invitationId)}`), {
        method: 'DELETE',
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: invitationsQueryKey(workspaceId) }),
  });
}

export function useAcceptInvitation() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (token: string) =>
      api<AcceptedWorkspaceInvitation>(
        `/api/v1/workspace-invitations/${encodeURIComponent(token)}/accept`,
        { method: 'POST' },
      ),
    onSuccess: refresh,
  });
}
