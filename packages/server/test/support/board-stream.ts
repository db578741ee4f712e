/**
 * A viewer of a repository's board stream (`GET /api/v1/repos/{id}/board/stream`) for tests: opened
 * once the server's opening comment arrives, keeping every message.
 */
import { expect } from 'vitest';
import type { BoardStreamMessage } from '@lucid/contracts';

export interface BoardStream {
  messages: BoardStreamMessage[];
  /** The first message received. */
  first(): BoardStreamMessage | undefined;
  /** Resolves once a message (already received or to come) matches. */
  waitFor(match: (message: BoardStreamMessage) => boolean): Promise<void>;
  close(): void;
}

export async function openBoardStream(
  baseUrl: string,
  repoId: string,
  token: string,
): Promise<BoardStream> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/api/v1/repos/${repoId}/board/stream`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const messages: BoardStreamMessage[] = [];
  const waiters: { match: (m: BoardStreamMessage) => boolean; resolve: () => void }[] = [];
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  void (async () => {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (block.startsWith(': stream')) opened();
          if (!block.startsWith('data:')) continue;
          const message = JSON.parse(block.slice(5)) as BoardStreamMessage;
          messages.push(message);
          for (const waiter of [...waiters]) {
            if (waiter.match(message)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve();
            }
          }
        }
      }
    } catch {
      // closed
    }
  })();
  await open;
  return {
    messages,
    first: () => messages[0],
    waitFor: (match) =>
      new Promise<void>((resolve) => {
        if (messages.some(match)) return resolve();
        waiters.push({ match, resolve });
      }),
    close: () => controller.abort(),
  };
}
