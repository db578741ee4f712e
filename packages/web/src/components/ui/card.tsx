/**
 * @module components/ui/card
 * A white panel with an optional titled header.
 */
import type { ReactNode } from 'react';

export interface CardProps {
  title?: ReactNode;
  description?: ReactNode;
  /** Shown at the right of the header, such as a button. */
  actions?: ReactNode;
  children?: ReactNode;
  className?: string;
  /** Tone of the border: `danger` for destructive actions. */
  tone?: 'default' | 'danger';
  /** Accessible name of the card's region when it has no title. */
  label?: string;
}

export function Card({
  title,
  description,
  actions,
  children,
  className = '',
  tone = 'default',
  label,
}: CardProps) {
  const border = tone === 'danger' ? 'ring-red-200' : 'ring-slate-200';
  return (
    <section
      aria-label={label}
      className={`rounded-lg bg-white shadow-sm ring-1 ${border} ${className}`}
    >
      {(title || actions) && (
        <header
          className={`flex items-start justify-between gap-4 px-5 py-4 ${children ? 'border-b border-slate-100' : ''}`}
        >
          <div className="min-w-0">
            {title && <h2 className="text-base font-semibold text-slate-900">{title}</h2>}
            {description && <p className="mt-1 text-sm text-slate-500">{description}</p>}
          </div>
          {actions}
        </header>
      )}
      {children && <div className="px-5 py-4">{children}</div>}
    </section>
  );
}
