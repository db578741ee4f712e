import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { SseTap } from '../src/llm/gateway-taps.ts';

const events = [
  'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":9}}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"Hel"}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"lo"}}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":2}}\n\n',
];

/** Passes `chunks` through a tap; answers what came out and what `onData` saw. */
async function tapped(
  chunks: string[],
  options: { wanted?: string; keep?: (d: unknown) => boolean },
) {
  const seen: unknown[] = [];
  let ended = 0;
  const tap = new SseTap({
    onData: (data) => seen.push(data),
    onEnd: async () => {
      ended += 1;
    },
    ...options,
  });
  const out = await text(Readable.from(chunks.map((c) => Buffer.from(c))).pipe(tap));
  return { out, seen, ended };
}

describe('the SSE tap', () => {
  it('passes every byte on and reads each event', async () => {
    const { out, seen, ended } = await tapped(events, {});
    expect(out).toBe(events.join(''));
    expect(seen).toHaveLength(4);
    expect(ended).toBe(1);
  });

  it('reads only the events naming what it wants, passing the others on unread', async () => {
    // Split mid-event, as a network delivers it.
    const joined = events.join('');
    const chunks = [joined.slice(0, 50), joined.slice(50, 170), joined.slice(170)];
    const { out, seen } = await tapped(chunks, { wanted: 'usage' });
    expect(out).toBe(joined);
    expect(seen).toEqual([
      { type: 'message_start', message: { usage: { input_tokens: 9 } } },
      { type: 'message_delta', usage: { output_tokens: 2 } },
    ]);
  });

  it('filters only among the events it reads', async () => {
    const { out, seen } = await tapped(events, {
      wanted: 'usage',
      keep: (data) => (data as { type: string }).type !== 'message_delta',
    });
    expect(out).toBe(events.slice(0, 3).join(''));
    expect(seen).toHaveLength(2);
  });
});
