/**
 * @module components/ui/note-badge
 * A short note on where a task stands that its status alone does not say ("Stopped"), shown as a
 * calm pill beside it. A card shows one note at most; a longer one ("Waiting: the workspace runs 2
 * tasks at once") wraps within the card.
 */
import type { ReactNode } from 'react';

export function NoteBadge({ children, title }: { children: ReactNode; title?: string }) {
  return (
    <span
      title={title}
      className="inline-flex max-w-full items-center rounded-lg bg-slate-100 px-2 py-0.5 text-xs font-medium break-words text-slate-700 ring-1 ring-slate-200 ring-inset"
    >
      {children}
    </span>
  );
}
