/**
 * How the stream client reads a message and how long it waits before reconnecting.
 */
import { describe, expect, it } from 'vitest';
import { reconnectDelay } from '../src/lib/use-event-stream.ts';
import { parseLiveMessage } from '../src/features/tasks/live/use-task-stream.ts';

describe('parseLiveMessage', () => {
  it('reads a message sent as the default SSE event, by its kind', () => {
    expect(
      parseLiveMessage('message', '{"kind":"delta","runId":"r1","offset":3,"text":"lo"}'),
    ).toEqual({ kind: 'delta', runId: 'r1', offset: 3, text: 'lo' });
  });

  it('reads a message sent under its kind as the SSE event name', () => {
    expect(parseLiveMessage('draft', '{"runId":"r1","text":"Hel"}')).toEqual({
      kind: 'draft',
      runId: 'r1',
      text: 'Hel',
    });
    expect(parseLiveMessage('event', '{"seq":4,"type":"message.user","text":"hi"}')).toMatchObject({
      kind: 'event',
      event: { seq: 4 },
    });
  });

  it('ignores what is not a live message', () => {
    expect(parseLiveMessage('message', 'not json')).toBeNull();
    expect(parseLiveMessage('message', '42')).toBeNull();
    expect(parseLiveMessage('message', '{"seq":4}')).toBeNull();
  });
});

describe('reconnectDelay', () => {
  it('doubles from half a second up to fifteen seconds', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(reconnectDelay)).toEqual([
      500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000,
    ]);
  });
});
