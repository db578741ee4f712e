/**
 * @module http/sse-stream
 * The one way a route answers with Server-Sent Events: it takes the response over, writes the
 * stream's headers and a first comment, sends a `: keepalive` comment every 15 s, writes messages
 * through an outbox viewer (http/sse-outbox.ts: one write per turn, a reader too far behind let
 * go), and ends every stream still open when the server closes (it would wait for them otherwise).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SseViewer } from './sse-outbox.ts';

/** The comment sent every so often, so proxies and browsers keep an idle stream open. */
export const SSE_HEARTBEAT_MS = 15_000;
/** A reader this far behind is let go; it reconnects and reads again what it missed. */
const MAX_BEHIND_BYTES = 8 * 1024 * 1024;

/** An open stream: messages go out in order until it ends (the reader left, or the server closes). */
export interface SseStream<T extends object> {
  send(message: T): void;
  /** Runs once when the stream ends, whoever ends it. */
  onEnd(cleanup: () => void): void;
  end(): void;
  readonly gone: boolean;
}

/** Opens a stream on a route's reply; see {@link sseStreams}. */
export type OpenSseStream = <T extends object>(
  reply: FastifyReply,
  options?: { frame?: (message: T) => string },
) => SseStream<T>;

/**
 * The stream opener of a route plugin: the streams it opens are ended when the server closes.
 *
 * @example
 * const openStream = sseStreams(app);
 * app.get('/things/stream', async (request, reply) => {
 *   const stream = openStream<Thing>(reply, { frame: (thing) => `data: ${JSON.stringify(thing)}\n\n` });
 *   const follower = follow((thing) => stream.send(thing));
 *   stream.onEnd(() => follower.close());
 * });
 */
export function sseStreams(
  app: FastifyInstance,
  /** Told as each stream opens and ends (the viewers gauge). */
  viewers?: { inc(): void; dec(): void },
): OpenSseStream {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  return <T extends object>(
    reply: FastifyReply,
    options: { frame?: (message: T) => string } = {},
  ): SseStream<T> => {
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(': stream\n\n');
    viewers?.inc();
    const cleanups: (() => void)[] = [];
    let gone = false;
    const viewer = new SseViewer<T>(res, {
      maxBehindBytes: MAX_BEHIND_BYTES,
      onBehind: () => end(),
      ...(options.frame ? { frame: options.frame } : {}),
    });
    const heartbeat = setInterval(() => res.write(': keepalive\n\n'), SSE_HEARTBEAT_MS);
    const end = (): void => {
      if (gone) return;
      gone = true;
      viewers?.dec();
      open.delete(end);
      clearInterval(heartbeat);
      for (const cleanup of cleanups) cleanup();
      if (!res.destroyed) viewer.flush();
      viewer.close();
      res.end();
    };
    open.add(end);
    res.on('close', end);
    return {
      send: (message) => {
        if (!gone) viewer.send(message);
      },
      onEnd: (cleanup) => {
        if (gone) cleanup();
        else cleanups.push(cleanup);
      },
      end,
      get gone() {
        return gone;
      },
    };
  };
}
