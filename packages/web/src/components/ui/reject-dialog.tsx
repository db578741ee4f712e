/**
 * @module components/ui/reject-dialog
 * Asks why something is rejected before rejecting it: by default a task's result, sent back to To
 * Do with the reason kept for its next run (the board and the task page); a plan says its own words.
 */
import type { FormEvent } from 'react';
import { Button } from './button.tsx';
import { ErrorMessage } from './error-message.tsx';
import { TextareaField } from './input.tsx';
import { Modal } from './modal.tsx';

/** What the dialog says: its title, the form's name, the field's label and name, and the hint. */
export interface RejectWords {
  title: string;
  form: string;
  field: string;
  name: string;
  hint: string;
}

const CARD: Omit<RejectWords, 'title'> = {
  form: 'Reject the card',
  field: 'Reason',
  name: 'reason',
  hint: 'The card goes back to To Do; its next run is told why.',
};

export function RejectDialog({
  open,
  cardTitle,
  words,
  pending,
  error,
  onReject,
  onClose,
}: {
  open: boolean;
  cardTitle?: string;
  words?: RejectWords;
  pending: boolean;
  error: unknown;
  onReject: (reason: string) => void;
  onClose: () => void;
}) {
  const said = words ?? { ...CARD, title: `Reject “${cardTitle ?? 'this card'}”?` };
  /** The reason is read from the form when it is sent: the browser requires one. */
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const reason = String(new FormData(event.currentTarget).get(said.name) ?? '').trim();
    if (reason !== '') onReject(reason);
  };
  return (
    <Modal open={open} title={said.title} onClose={onClose}>
      <form onSubmit={submit} className="space-y-4" aria-label={said.form}>
        <TextareaField
          label={said.field}
          name={said.name}
          required
          rows={3}
          hint={said.hint}
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
