/**
 * @module features/tasks/components/terminal
 * The read-only terminal (xterm.js): each shell command an agent or run executes as a `$ command`
 * line, then its output, written once each as events arrive. Loaded only on the task page.
 */
import { useEffect, useRef } from 'react';
import { Terminal as XTerm } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import type { TerminalChunk } from '../live/view.ts';

export default function Terminal({ chunks }: { chunks: TerminalChunk[] }) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<XTerm | null>(null);
  const written = useRef(0);

  useEffect(() => {
    if (!host.current) return;
    const terminal = new XTerm({
      disableStdin: true,
      convertEol: false,
      cursorBlink: false,
      fontSize: 12,
      scrollback: 10_000,
      theme: { background: '#0f172a', foreground: '#e2e8f0' },
    });
    terminal.open(host.current);
    const fit = () => {
      const element = host.current;
      if (!element) return;
      const cell = element.querySelector('.xterm-char-measure-element');
      const width = cell?.getBoundingClientRect().width || 7.2;
      const cols = Math.max(20, Math.floor((element.clientWidth - 12) / width));
      const rows = Math.max(5, Math.floor(element.clientHeight / 17));
      terminal.resize(cols, rows);
    };
    fit();
    const observer = new ResizeObserver(fit);
    observer.observe(host.current);
    term.current = terminal;
    written.current = 0;
    return () => {
      observer.disconnect();
      terminal.dispose();
      term.current = null;
    };
  }, []);

  useEffect(() => {
    const terminal = term.current;
    if (!terminal) return;
    const last = chunks.length > 0 ? chunks[chunks.length - 1]!.seq : 0;
    for (const chunk of chunks) {
      if (chunk.seq > written.current) terminal.write(chunk.text);
    }
    written.current = Math.max(written.current, last);
  }, [chunks]);

  return (
    <div
      ref={host}
      role="log"
      aria-label="Terminal output"
      className="h-full min-h-0 w-full overflow-hidden bg-slate-900 p-1.5"
    />
  );
}
