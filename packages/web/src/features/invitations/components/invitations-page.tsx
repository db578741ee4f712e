/**
 * @module features/invitations/components/invitations-page
 * Settings → Invitations, for instance admins: make a single-use sign-up link (optionally for one
 * email address), see the invitations made, revoke an unused one.
 */
import { useState, type FormEvent } from 'react';
import type { CreatedInvitation, SignUpMode } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { EmptyState } from '../../../components/ui/empty-state.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { fieldErrors } from '../../../lib/api.ts';
import { useTitle } from '../../../lib/use-title.ts';
import { useCreateInvitation, useInvitations, useSignUpMode } from '../api/invitations.ts';
import { InvitationList } from './invitation-list.tsx';
import { NewInvitationLink } from './new-invitation-link.tsx';

const modeText: Record<SignUpMode, string> = {
  invite:
    'Sign-up on this server is by invitation: only someone with a link below can make an account.',
  open: 'Sign-up on this server is open to anyone who reaches it; an invitation link works too.',
  closed:
    'Sign-up on this server is closed (LUCID_SIGNUP=closed): nobody can make an account, with an invitation or without.',
};

function CreateInvitationForm({ onCreated }: { onCreated: (i: CreatedInvitation) => void }) {
  const create = useCreateInvitation();
  const [email, setEmail] = useState('');
  const [days, setDays] = useState('7');

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const address = email.trim();
    create.mutate(
      { ...(address && { email: address }), expiresInDays: Number(days) },
      {
        onSuccess: (invitation) => {
          setEmail('');
          onCreated(invitation);
        },
      },
    );
  };
  const errors = fieldErrors(create.error);

  return (
    <Card
      title="Invite someone"
      description="The link makes one account. Bind it to an email address so that only its owner can use it."
    >
      <form onSubmit={onSubmit} className="flex flex-wrap items-start gap-3">
        <InputField
          label="Email (optional)"
          name="email"
          type="email"
          autoComplete="off"
          placeholder="ada@example.com"
          className="w-72"
          error={errors.email}
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <InputField
          label="Valid for (days)"
          name="expiresInDays"
          type="number"
          required
          min={1}
          max={90}
          className="w-36"
          error={errors.expiresInDays}
          value={days}
          onChange={(event) => setDays(event.target.value)}
        />
        <Button type="submit" className="mt-7" pending={create.isPending} pendingText="Creating…">
          Create invitation
        </Button>
      </form>
      {create.error && !errors.email && !errors.expiresInDays && (
        <div className="mt-4">
          <ErrorMessage title="Could not create the invitation" error={create.error} />
        </div>
      )}
    </Card>
  );
}

export function InvitationsPage() {
  useTitle('Invitations');
  const invitations = useInvitations();
  const mode = useSignUpMode();
  const [created, setCreated] = useState<CreatedInvitation | null>(null);

  return (
    <>
      <PageHeader
        title="Invitations"
        description={mode.data ? modeText[mode.data] : 'Who may make an account on this server.'}
      />
      {created && <NewInvitationLink invitation={created} onDone={() => setCreated(null)} />}
      <div className="space-y-6">
        {mode.data !== 'closed' && <CreateInvitationForm onCreated={setCreated} />}
        <Card title="Invitations made">
          {invitations.isPending ? (
            <Loading label="Loading invitations…" />
          ) : invitations.error ? (
            <ErrorMessage
              title="Could not load the invitations"
              error={invitations.error}
              onRetry={() => void invitations.refetch()}
            />
          ) : invitations.data.length === 0 ? (
            <EmptyState title="No invitations yet">
              Create one above and send its link to the person you invite.
            </EmptyState>
          ) : (
            <InvitationList invitations={invitations.data} />
          )}
        </Card>
      </div>
    </>
  );
}
