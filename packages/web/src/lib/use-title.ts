/**
 * @module lib/use-title
 * Sets the browser tab's title for the page shown.
 */
import { useEffect } from 'react';

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Lucid` : 'Lucid';
  }, [title]);
}
