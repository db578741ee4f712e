/**
 * @module features/invitations/components/new-invitation-link
 * A new invitation's link, the one time it is shown.
 */
import { useEffect, useRef } from 'react';
import type { CreatedInvitation } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { CodeBlock } from '../../../components/ui/code-block.tsx';

export function NewInvitationLink({
  invitation,
  onDone,
}: {
  invitation: CreatedInvitation;
  onDone: () => void;
}) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.focus(), []);

  return (
    <section
      ref={ref}
      tabIndex={-1}
      aria-labelledby="new-invitation-title"
      className="mb-6 rounded-lg border border-amber-300 bg-amber-50 px-5 py-4"
    >
      <h2 id="new-invitation-title" className="text-base font-semibold text-amber-900">
        Invitation {invitation.email ? `for ${invitation.email} ` : ''}created
      </h2>
      <p className="mt-1 text-sm text-amber-900">
        <strong>Copy the link now: it will not be shown again.</strong> Send it to the person you
        invite; it makes one account, until{' '}
        <time dateTime={invitation.expiresAt}>
          {new Date(invitation.expiresAt).toLocaleDateString()}
        </time>
        .
      </p>
      <div className="mt-3" data-testid="new-invitation">
        <CodeBlock code={invitation.url} label="Copy invitation link" />
      </div>
      <div className="mt-4">
        <Button variant="secondary" onClick={onDone}>
          I have copied it
        </Button>
      </div>
    </section>
  );
}
