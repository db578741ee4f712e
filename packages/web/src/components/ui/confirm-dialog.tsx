/**
 * @module components/ui/confirm-dialog
 * A modal that asks before a destructive action, in the one dialog frame (`DialogFrame`): focus
 * stays inside, Escape cancels (not while the action is under way), and focus returns to what
 * opened it.
 */
import type { ReactNode } from 'react';
import { Button } from './button.tsx';
import { ErrorMessage } from './error-message.tsx';
import { DialogFrame } from './modal.tsx';

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  pending?: boolean;
  /** What the confirm button says while pending; "Working…" by default. */
  pendingText?: string;
  error?: unknown;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  pending = false,
  pendingText = 'Working…',
  error,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  return (
    <DialogFrame
      open={open}
      title={title}
      onClose={() => {
        if (!pending) onCancel();
      }}
    >
      {children && <div className="mt-2 text-sm text-slate-600">{children}</div>}
      {error !== undefined && error !== null && (
        <div className="mt-4">
          <ErrorMessage error={error} />
        </div>
      )}
      <div className="mt-6 flex justify-end gap-3">
        <Button variant="secondary" onClick={onCancel} disabled={pending} autoFocus>
          Cancel
        </Button>
        <Button variant="danger" onClick={onConfirm} pending={pending} pendingText={pendingText}>
          {confirmLabel}
        </Button>
      </div>
    </DialogFrame>
  );
}
