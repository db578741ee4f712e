/**
 * The output collector every driver uses: the cap per stream keeps head and tail with a marker,
 * streaming stops at the cap with one notice, and UTF-8 survives any chunking.
 */
import { describe, expect, it } from 'vitest';
import { OutputCollector, cutMarker, streamCapNotice } from '../../src/sandbox/output.ts';

function collect(maxOutputBytes?: number) {
  const streamed: { stream: string; chunk: string }[] = [];
  const output = new OutputCollector({
    maxOutputBytes,
    onOutput: (stream, chunk) => streamed.push({ stream, chunk }),
  });
  const text = (stream: string) =>
    streamed
      .filter((entry) => entry.stream === stream)
      .map((entry) => entry.chunk)
      .join('');
  return { output, streamed, text };
}

describe('OutputCollector', () => {
  it('keeps and streams everything below the cap, each stream apart', () => {
    const { output, text } = collect(100);
    output.push('stdout', 'hello ');
    output.push('stderr', Buffer.from('oops'));
    output.push('stdout', 'world');
    expect(output.finish()).toEqual({ stdout: 'hello world', stderr: 'oops', truncated: false });
    expect(text('stdout')).toBe('hello world');
    expect(text('stderr')).toBe('oops');
  });

  it('keeps the head and the tail beyond the cap, saying how much was cut', () => {
    const { output, text } = collect(20);
    output.push('stdout', 'HEAD-');
    for (let i = 0; i < 100; i++) output.push('stdout', 'x'.repeat(i % 7));
    output.push('stdout', '-TAIL');
    output.push('stderr', 'small');
    const total = 10 + Array.from({ length: 100 }, (_, i) => i % 7).reduce((a, b) => a + b, 0);
    const result = output.finish();
    expect(result.truncated).toBe(true);
    expect(result.stdout).toBe(`HEAD-xxxxx${cutMarker(total - 20)}xxxxx-TAIL`);
    expect(result.stderr).toBe('small');
    expect(text('stdout')).toBe(`HEAD-${'x'.repeat(15)}${streamCapNotice(20)}`);
    expect(text('stderr')).toBe('small');
  });

  it('keeps everything when the output is exactly the cap', () => {
    const { output } = collect(10);
    output.push('stdout', '0123456789');
    expect(output.finish()).toMatchObject({ stdout: '0123456789', truncated: false });
  });

  it('decodes characters split across chunks', () => {
    const { output, text } = collect();
    const bytes = Buffer.from('ünïcödé ✓ 😀');
    for (const byte of bytes) output.push('stdout', Buffer.from([byte]));
    expect(output.finish().stdout).toBe('ünïcödé ✓ 😀');
    expect(text('stdout')).toBe('ünïcödé ✓ 😀');
  });

  it('cuts between characters, never inside one', () => {
    const { output, text } = collect(9);
    output.push('stdout', '✓✓✓✓✓✓✓✓✓✓');
    const { stdout } = output.finish();
    expect(stdout).not.toContain('\uFFFD');
    expect(stdout).toMatch(/^✓+\n\[… \d+ bytes of output cut …\]\n✓+$/);
    expect(text('stdout')).toBe(`✓✓✓${streamCapNotice(9)}`);
  });

  it('uses 1 MiB by default', () => {
    const { output } = collect();
    output.push('stdout', Buffer.alloc(1024 * 1024, 'a'));
    expect(output.truncated).toBe(false);
    output.push('stdout', 'b');
    expect(output.truncated).toBe(true);
    expect(output.finish().stdout).toMatch(/\[… 1 bytes of output cut …\]\na*b$/);
  });
});
