/**
 * @module features/invitations/components/invitation-list
 * The invitations made (never their links), with their status; an unused one can be revoked.
 */
import { useState } from 'react';
import type { Invitation, InvitationStatus } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { useRevokeInvitation } from '../api/invitations.ts';

const statusText: Record<InvitationStatus, string> = {
  pending: 'Waiting',
  accepted: 'Used',
  expired: 'Expired',
  revoked: 'Revoked',
};

const statusClass: Record<InvitationStatus, string> = {
  pending: 'bg-indigo-50 text-indigo-700 ring-indigo-200',
  accepted: 'bg-green-50 text-green-700 ring-green-200',
  expired: 'bg-slate-50 text-slate-600 ring-slate-200',
  revoked: 'bg-slate-50 text-slate-600 ring-slate-200',
};

function forWhom(invitation: Invitation): string {
  return invitation.email ?? 'Anyone with the link';
}

export function InvitationList({ invitations }: { invitations: Invitation[] }) {
  const revoke = useRevokeInvitation();
  const [revoking, setRevoking] = useState<Invitation | null>(null);

  const close = () => {
    setRevoking(null);
    revoke.reset();
  };

  return (
    <>
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Invitations</caption>
        <thead className="text-xs text-slate-500 uppercase">
          <tr>
            <th scope="col" className="pb-2 font-medium">
              For
            </th>
            <th scope="col" className="pb-2 font-medium">
              Status
            </th>
            <th scope="col" className="pb-2 font-medium">
              Created
            </th>
            <th scope="col" className="pb-2 font-medium">
              Expires
            </th>
            <th scope="col" className="pb-2">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {invitations.map((invitation) => (
            <tr key={invitation.id}>
              <td className="py-2.5 pr-3 font-medium text-slate-900">{forWhom(invitation)}</td>
              <td className="py-2.5 pr-3">
                <span
                  className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${statusClass[invitation.status]}`}
                >
                  {statusText[invitation.status]}
                </span>
              </td>
              <td className="py-2.5 pr-3 text-slate-600">
                <Time iso={invitation.createdAt} />
              </td>
              <td className="py-2.5 pr-3 text-slate-600">
                <Time iso={invitation.expiresAt} />
              </td>
              <td className="py-2.5 text-right">
                {invitation.status === 'pending' && (
                  <Button
                    variant="secondary"
                    size="sm"
                    aria-label={`Revoke the invitation for ${forWhom(invitation)}`}
                    onClick={() => setRevoking(invitation)}
                  >
                    Revoke
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this invitation?"
        confirmLabel="Revoke invitation"
        pending={revoke.isPending}
        error={revoke.error}
        onCancel={close}
        onConfirm={() => revoking && revoke.mutate(revoking.id, { onSuccess: close })}
      >
        Its link stops working at once: nobody can make an account with it.
      </ConfirmDialog>
    </>
  );
}
