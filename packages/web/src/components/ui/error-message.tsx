/**
 * @module components/ui/error-message
 * A failure told plainly, with an optional way to retry.
 */
import type { ReactNode } from 'react';
import { errorMessage } from '../../lib/api.ts';
import { Button } from './button.tsx';

export interface ErrorMessageProps {
  error: unknown;
  title?: string;
  onRetry?: (() => void) | undefined;
  children?: ReactNode;
}

export function ErrorMessage({ error, title, onRetry, children }: ErrorMessageProps) {
  return (
    <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm">
      {title && <p className="font-semibold text-red-800">{title}</p>}
      <p className="text-red-700">{errorMessage(error)}</p>
      {(onRetry || children) && (
        <div className="mt-3 flex gap-2">
          {onRetry && (
            <Button variant="secondary" size="sm" onClick={onRetry}>
              Try again
            </Button>
          )}
          {children}
        </div>
      )}
    </div>
  );
}
