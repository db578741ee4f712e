/**
 * @module features/board/components/reject-dialog
 * Asks why a card's result is rejected before sending it back to To Do: the reason is kept on the
 * card and given to its next run.
 */
import { useState, type FormEvent } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { TextareaField } from '../../../components/ui/input.tsx';
import { Modal } from './modal.tsx';

export function RejectDialog({
  open,
  cardTitle,
  pending,
  error,
  onReject,
  onClose,
}: {
  open: boolean;
  cardTitle: string;
  pending: boolean;
  error: unknown;
  onReject: (reason: string) => void;
  onClose: () => void;
}) {
  const [reason, setReason] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (reason.trim() !== '') onReject(reason.trim());
  };
  return (
    <Modal open={open} title={`Reject “${cardTitle}”?`} onClose={onClose}>
      <form onSubmit={submit} className="space-y-4" aria-label="Reject the card">
        <TextareaField
          label="Reason"
          name="reason"
          required
          rows={3}
          hint="The card goes back to To Do; its next run is told why."
          value={reason}
          onChange={(event) => setReason(event.target.value)}
          autoFocus
        />
        {error !== null && error !== undefined && <ErrorMessage error={error} />}
        <div className="flex justify-end gap-3">
          <Button variant="secondary" onClick={onClose} disabled={pending}>
            Cancel
          </Button>
          <Button
            type="submit"
            variant="danger"
            pending={pending}
            pendingText="Rejecting…"
            disabled={reason.trim() === ''}
          >
            Reject
          </Button>
        </div>
      </form>
    </Modal>
  );
}
