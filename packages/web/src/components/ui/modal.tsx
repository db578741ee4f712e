/**
 * @module components/ui/modal
 * A modal dialog with a title, built on `<dialog>`: focus stays inside, Escape closes it, and focus
 * returns to what opened it. Its content is mounted only while it is open. `DialogFrame` is the
 * dialog and its title alone, for a dialog that lays out its own body (the confirm dialog).
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';

export interface DialogFrameProps {
  open: boolean;
  title: string;
  /** Escape was pressed: the caller closes the dialog (or keeps it open while it works). */
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}

/**
 * The dialog, its open state kept in step with `open`, and its title; `children` follow the title.
 *
 * @example
 * <DialogFrame open={open} title="Delete the task?" onClose={close}>…</DialogFrame>
 */
export function DialogFrame({ open, title, onClose, children, wide = false }: DialogFrameProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      className={`m-auto w-full ${wide ? 'max-w-2xl' : 'max-w-md'} rounded-lg bg-white p-0 shadow-xl ring-1 ring-slate-200`}
    >
      {open && (
        <div className="p-6">
          <h2 id={titleId} className="text-lg font-semibold text-slate-900">
            {title}
          </h2>
          {children}
        </div>
      )}
    </dialog>
  );
}

/**
 * A titled modal holding any content.
 *
 * @example
 * <Modal open={open} title="Add a repository" onClose={close}><RepoForm /></Modal>
 */
export function Modal({ children, ...frame }: DialogFrameProps) {
  return (
    <DialogFrame {...frame}>
      <div className="mt-4">{children}</div>
    </DialogFrame>
  );
}
