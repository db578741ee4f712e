/**
 * @module features/tasks/components/terminal
 * The read-only terminal (xterm.js): each shell command an agent or run executes as a `$ command`
 * line, then its output, written once each as events arrive. Loaded only on the task page.
 */
import { useEffect, useRef } from 'react';
import { Terminal as XTerm } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import type { TerminalChunk } from '../live/view.ts';

const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace";
const FONT_SIZE = 12;

/** The size of one character cell in the terminal's font, measured once. */
function measureCell(): { width: number; height: number } {
  const probe = document.createElement('span');
  probe.textContent = 'W'.repeat(100);
  probe.style.cssText = `position:absolute;visibility:hidden;white-space:pre;font-family:${MONO};font-size:${FONT_SIZE}px;line-height:normal`;
  document.body.append(probe);
  const box = probe.getBoundingClientRect();
  probe.remove();
  return { width: box.width / 100 || 7.2, height: Math.ceil(box.height * 1.0) || 15 };
}

export default function Terminal({ chunks }: { chunks: TerminalChunk[] }) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<XTerm | null>(null);
  const written = useRef(0);

  useEffect(() => {
    if (!host.current) return;
    const terminal = new XTerm({
      disableStdin: true,
      fontFamily: MONO,
      convertEol: false,
      cursorBlink: false,
      fontSize: FONT_SIZE,
      scrollback: 10_000,
      theme: { background: '#0f172a', foreground: '#e2e8f0' },
    });
    terminal.open(host.current);
    const cell = measureCell();
    const fit = () => {
      const element = host.current;
      if (!element) return;
      const cols = Math.max(20, Math.floor((element.clientWidth - 16) / cell.width));
      const rows = Math.max(5, Math.floor((element.clientHeight - 12) / cell.height));
      if (cols !== terminal.cols || rows !== terminal.rows) terminal.resize(cols, rows);
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
