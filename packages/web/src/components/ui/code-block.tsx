/**
 * @module components/ui/code-block
 * A command or value in monospace with a copy button beside it.
 */
import { CopyButton } from './copy-button.tsx';

export interface CodeBlockProps {
  code: string;
  /** What is copied, for the copy button's accessible name. */
  label: string;
  /** Shows a `$` prompt before a shell command. */
  prompt?: boolean;
}

export function CodeBlock({ code, label, prompt = false }: CodeBlockProps) {
  return (
    <div className="flex items-center gap-2 rounded-md bg-slate-900 py-1.5 pr-1.5 pl-3">
      <pre className="min-w-0 flex-1 py-1 font-mono text-[13px] leading-5 wrap-anywhere whitespace-pre-wrap text-slate-100">
        {prompt && (
          <span className="text-slate-500 select-none" aria-hidden="true">
            ${' '}
          </span>
        )}
        <code>{code}</code>
      </pre>
      <CopyButton text={code} label={label} variant="secondary" size="sm" />
    </div>
  );
}
