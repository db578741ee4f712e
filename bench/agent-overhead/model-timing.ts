/**
 * @module bench/agent-overhead/model-timing
 * Times every request the fake model server answers, at the server itself: from the moment Node's
 * HTTP server hands it the request (headers parsed) to the moment the whole response is written.
 * It listens on node:http's `http.server.request.start` diagnostics channel and keeps only requests
 * whose socket is on the fake's port, so nothing is put between the agent and the fake (no proxy
 * hop) and the fake itself is unchanged.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const CHANNEL = 'http.server.request.start';

/** One model request as the fake served it, in `performance.now()` milliseconds. */
export interface ModelSpan {
  path: string;
  arrived: number;
  ended: number;
}

export interface ModelTiming {
  /** Every finished request to a model route (`POST /v1/...`), oldest first. */
  spans: ModelSpan[];
  /** Forgets the spans so far. */
  clear(): void;
  stop(): void;
}

interface RequestStart {
  request: IncomingMessage;
  response: ServerResponse;
  socket: Socket;
}

/**
 * @example
 * const timing = timeModelServer(new URL(llm.url).port);
 * // … run the agent …
 * const modelMs = timing.spans.reduce((sum, s) => sum + s.ended - s.arrived, 0);
 */
export function timeModelServer(port: number): ModelTiming {
  const spans: ModelSpan[] = [];
  const listener = (message: unknown) => {
    const { request, response, socket } = message as RequestStart;
    if (socket.localPort !== port || request.method !== 'POST') return;
    const arrived = performance.now();
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    response.once('finish', () => spans.push({ path, arrived, ended: performance.now() }));
  };
  subscribe(CHANNEL, listener);
  return {
    spans,
    clear: () => void (spans.length = 0),
    stop: () => void unsubscribe(CHANNEL, listener),
  };
}
