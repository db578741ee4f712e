/**
 * @module features/invitations/components/new-invitation-link
 * A new invitation's link, the one time it is shown.
 */
import type { CreatedInvitation } from '@lucid/contracts';
import { CodeBlock } from '../../../components/ui/code-block.tsx';
import { ShownOnce } from '../../../components/ui/shown-once.tsx';

export function NewInvitationLink({
  invitation,
  onDone,
}: {
  invitation: CreatedInvitation;
  onDone: () => void;
}) {
  return (
    <ShownOnce
      title={`Invitation ${invitation.email ? `for ${invitation.email} ` : ''}created`}
      onDone={onDone}
      className="mb-6"
    >
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
    </ShownOnce>
  );
}
