/**
 * @module components/ui/shown-once
 * The panel of a secret shown once (a token, an invitation link, a webhook secret): it takes the
 * focus when it appears, says to copy what it holds now, and closes on the reader's word.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';
import { Button } from './button.tsx';

export interface ShownOnceProps {
  title: ReactNode;
  /** The region's accessible name; the title's text by default. */
  label?: string;
  children: ReactNode;
  doneLabel?: string;
  onDone: () => void;
  className?: string;
}

/**
 * @example
 * <ShownOnce title="Token “ci” created" onDone={close}>
 *   <CodeBlock code={token} label="Copy token" />
 * </ShownOnce>
 */
export function ShownOnce({
  title,
  label,
  children,
  doneLabel = 'I have copied it',
  onDone,
  className = '',
}: ShownOnceProps) {
  const ref = useRef<HTMLElement>(null);
  const titleId = useId();
  useEffect(() => ref.current?.focus(), []);

  return (
    <section
      ref={ref}
      tabIndex={-1}
      {...(label ? { 'aria-label': label } : { 'aria-labelledby': titleId })}
      className={`rounded-lg border border-amber-300 bg-amber-50 px-5 py-4 ${className}`}
    >
      <h2 id={titleId} className="text-base font-semibold text-amber-900">
        {title}
      </h2>
      {children}
      <div className="mt-4">
        <Button variant="secondary" onClick={onDone}>
          {doneLabel}
        </Button>
      </div>
    </section>
  );
}
