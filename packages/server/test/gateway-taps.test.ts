import { describe, expect, it } from 'vitest';
import { sseTap } from '../src/gateway/gateway-taps.ts';

const events = [
  'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":9}}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"Hel"}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"lo"}}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":2}}\n\n',
];

/** A byte stream of `chunks`, one read each, then `end`: closed, or failed with an error. */
function streamOf(chunks: string[], end: 'close' | Error = 'close'): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (end === 'close') controller.close();
      else controller.error(end);
    },
  });
}

/** Passes `chunks` through a tap; answers what came out and what `onData` saw. */
async function tapped(
  chunks: string[],
  options: { wanted?: string; keep?: (d: unknown) => boolean },
) {
  const seen: unknown[] = [];
  let ended = 0;
  const source = streamOf(chunks);
  const tapped = sseTap(source, {
    onData: (data) => seen.push(data),
    onEnd: async () => {
      ended += 1;
    },
    ...options,
  });
  const out = await new Response(tapped).text();
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

  it('reads on past a chunk whose every event is filtered out', async () => {
    const { out } = await tapped(events, {
      wanted: 'usage',
      keep: (data) => (data as { type: string }).type !== 'message_start',
    });
    expect(out).toBe(events.slice(1).join(''));
  });

  it('ends once when the answer is cut short, and passes the error on', async () => {
    const ends: boolean[] = [];
    const tapped = sseTap(streamOf(events.slice(0, 2), new Error('socket hang up')), {
      onData: () => {},
      onEnd: async (cut) => {
        ends.push(cut);
      },
    });
    await expect(new Response(tapped).text()).rejects.toThrow('socket hang up');
    expect(ends).toEqual([true]);
  });

  it('ends once and cancels the answer when its reader goes away', async () => {
    let ended = 0;
    let cancelled: unknown;
    const source = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new TextEncoder().encode(events[1])),
      cancel: (reason) => {
        cancelled = reason;
      },
    });
    const reader = sseTap(source, {
      onData: () => {},
      onEnd: async (cut) => {
        ended += 1;
        expect(cut).toBe(false);
      },
    }).getReader();
    await reader.read();
    await reader.cancel('gone');
    expect(ended).toBe(1);
    expect(cancelled).toBe('gone');
  });
});
