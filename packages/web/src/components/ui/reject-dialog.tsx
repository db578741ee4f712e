/**
 * @module components/ui/reject-dialog
 * Asks why a task's result is rejected before sending it back to To Do: the reason is kept on the
 * task and given to its next run. The board and the task page both use it.
 */
import type { FormEvent } from 'react';
import { Button } from './button.tsx';
import { ErrorMessage } from './error-message.tsx';
import { TextareaField } from './input.tsx';
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
  /** The reason is read from the form when it is sent: the browser requires one. */
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const reason = String(new FormData(event.currentTarget).get('reason') ?? '').trim();
    if (reason !== '') onReject(reason);
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
          maxLength={10_000}
          autoFocus
        />
        {error !== null && error !== undefined && <ErrorMessage error={error} />}
        <div className="flex justify-end gap-3">
          <Button variant="secondary" onClick={onClose} disabled={pending}>
            Cancel
          </Button>
          <Button type="submit" variant="danger" pending={pending} pendingText="Rejecting…">
            Reject
          </Button>
        </div>
      </form>
    </Modal>
  );
}
