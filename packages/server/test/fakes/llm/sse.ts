/**
 * @module Writes server-sent events the way the providers frame them, optionally paced and optionally
 * cut off mid-stream by destroying the socket.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SseEvent } from './protocol.ts';

/** How to pace and where to cut a stream. */
export interface SseOptions {
  headers: Record<string, string>;
  delayMs?: number;
  /** Destroy the socket after this many events. */
  dropAfter?: number;
  /** With `dropAfter`: end the stream properly there instead of destroying the socket. */
  closeEarly?: boolean;
}

/** Formats one event: an optional `event:` line, one `data:` line, a blank line. */
function formatSse({ event, data }: SseEvent): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${payload}\n\n`;
}

/**
 * Streams `events` as `text/event-stream`; resolves `false` when the stream was cut by `dropAfter` or
 * the client went away, `true` when every event was written.
 */
export async function writeSse(
  res: ServerResponse,
  events: SseEvent[],
  options: SseOptions,
): Promise<boolean> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...options.headers,
  });
  res.flushHeaders();
  for (const [index, event] of events.entries()) {
    if (options.dropAfter !== undefined && index >= options.dropAfter) {
      if (options.closeEarly) res.end();
      else res.socket?.destroy();
      return false;
    }
    if (index > 0 && options.delayMs) await sleep(options.delayMs);
    if (res.destroyed) return false;
    await new Promise<void>((resolve) => res.write(formatSse(event), () => resolve()));
  }
  res.end();
  return true;
}
