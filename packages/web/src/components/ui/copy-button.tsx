/**
 * @module components/ui/copy-button
 * Copies text to the clipboard and says so. Falls back to a selection copy where the Clipboard API
 * is unavailable (pages served over plain http on a non-local address).
 */
import { useEffect, useState } from 'react';
import { Button, type ButtonSize, type ButtonVariant } from './button.tsx';

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  if (!copied) throw new Error('copy refused');
}

export interface CopyButtonProps {
  text: string;
  /** What is copied, for screen readers: "Copy clone URL". */
  label?: string;
  variant?: ButtonVariant;
  size?: ButtonSize;
}

export function CopyButton({
  text,
  label = 'Copy',
  variant = 'secondary',
  size = 'sm',
}: CopyButtonProps) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(timer);
  }, [state]);

  const onClick = () => {
    copyText(text).then(
      () => setState('copied'),
      () => setState('failed'),
    );
  };

  return (
    <Button variant={variant} size={size} onClick={onClick} aria-label={label}>
      <span aria-live="polite">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy' : 'Copy'}
      </span>
    </Button>
  );
}
