import { describe, expect, it } from 'vitest';
import type { LiveMessage } from '@lucid/contracts';
import { sseFrame, SseViewer } from '../src/http/sse-outbox.ts';

/** A response that records each write. */
function target() {
  const writes: string[] = [];
  return { writes, write: (chunk: string) => (writes.push(chunk), true), writableLength: 0 };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('SSE outbox', () => {
  it("writes a turn's messages to each viewer as one write, in order, serialized once", async () => {
    const [a, b] = [target(), target()];
    const viewers = [a, b].map(
      (t) => new SseViewer(t, { maxBehindBytes: 1 << 20, onBehind: () => {} }),
    );
    const messages: LiveMessage[] = [
      { kind: 'draft', runId: 'r1', text: 'Hel' },
      { kind: 'delta', runId: 'r1', offset: 3, text: 'lo' },
    ];
    let serialized = 0;
    const toJSON = JSON.stringify;
    JSON.stringify = ((...args: Parameters<typeof toJSON>) => {
      serialized += 1;
      return toJSON(...args);
    }) as typeof JSON.stringify;
    try {
      for (const message of messages) for (const viewer of viewers) viewer.send(message);
    } finally {
      JSON.stringify = toJSON;
    }
    expect(a.writes).toEqual([]);
    await nextTurn();
    const expected = messages.map(sseFrame).join('');
    expect(a.writes).toEqual([expected]);
    expect(b.writes).toEqual([expected]);
    expect(serialized).toBe(messages.length);
  });

  it('lets a viewer go when too much is unsent, and writes nothing after close', async () => {
    let behind = 0;
    const slow = { ...target(), writableLength: 2048 };
    const viewer = new SseViewer(slow, { maxBehindBytes: 1024, onBehind: () => (behind += 1) });
    viewer.send({ kind: 'draft', runId: 'r1', text: 'x' });
    await nextTurn();
    expect(behind).toBe(1);
    viewer.close();
    viewer.send({ kind: 'delta', runId: 'r1', offset: 1, text: 'y' });
    await nextTurn();
    expect(slow.writes).toHaveLength(1);
  });
});
