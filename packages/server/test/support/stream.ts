/**
 * A client of a task's live stream (`GET /api/v1/tasks/{id}/stream`) for tests: reads the
 * Server-Sent Events as a browser's EventSource would, keeping every message and its `id`; and
 * any other event stream read as raw text.
 */
import type { LiveMessage } from '@lucid/contracts';

export interface StreamedMessage {
  id: string | undefined;
  message: LiveMessage;
}

export interface TaskStream {
  status: number;
  messages: StreamedMessage[];
  /** Comments received (heartbeats and the opening one). */
  comments: string[];
  /** Resolves once a message matches; rejects when the stream ends first. */
  waitFor(match: (message: LiveMessage, all: StreamedMessage[]) => boolean): Promise<void>;
  /** Stored events received, in order. */
  events(): Extract<LiveMessage, { kind: 'event' }>['event'][];
  /** A run's answer as this viewer assembled it from drafts and deltas (the contract's rule). */
  draftText(runId: string): string | undefined;
  close(): void;
}

export async function openStream(
  baseUrl: string,
  taskId: string,
  auth: { token?: string; cookie?: string },
  options: { after?: number; lastEventId?: number } = {},
): Promise<TaskStream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth.cookie) headers.cookie = auth.cookie;
  if (options.lastEventId !== undefined) headers['last-event-id'] = String(options.lastEventId);
  const query = options.after === undefined ? '' : `?after=${options.after}`;
  const response = await fetch(`${baseUrl}/api/v1/tasks/${taskId}/stream${query}`, {
    headers,
    signal: controller.signal,
  });
  const messages: StreamedMessage[] = [];
  const comments: string[] = [];
  const waiters: {
    match: (m: LiveMessage, all: StreamedMessage[]) => boolean;
    resolve: () => void;
    reject: (e: Error) => void;
  }[] = [];
  let ended = false;
  const drafts = new Map<string, string>();

  const receive = (block: string): void => {
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comments.push(line.slice(1).trim());
      else if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length === 0) return;
    const message = JSON.parse(data.join('\n')) as LiveMessage;
    messages.push({ id, message });
    if (message.kind === 'draft') drafts.set(message.runId, message.text);
    if (message.kind === 'delta' && drafts.get(message.runId)?.length === message.offset) {
      drafts.set(message.runId, drafts.get(message.runId) + message.text);
    }
    for (const waiter of [...waiters]) {
      if (waiter.match(message, messages)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  if (response.ok && response.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffered = '';
      try {
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
          buffered += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            receive(buffered.slice(0, end));
            buffered = buffered.slice(end + 2);
          }
        }
      } catch {
        // aborted
      }
      ended = true;
      for (const waiter of waiters.splice(0)) waiter.reject(new Error('the stream ended'));
    })();
  } else {
    ended = true;
  }

  return {
    status: response.status,
    messages,
    comments,
    waitFor: (match) =>
      new Promise<void>((resolve, reject) => {
        if (messages.some((m) => match(m.message, messages))) return resolve();
        if (ended) return reject(new Error('the stream ended'));
        waiters.push({ match, resolve, reject });
      }),
    events: () =>
      messages.flatMap(({ message }) => (message.kind === 'event' ? [message.event] : [])),
    draftText: (runId) => drafts.get(runId),
    close: () => controller.abort(),
  };
}

/** Any Server-Sent Events stream read as its raw text (the board's, for one). */
export interface RawEventStream {
  status: number;
  /** Everything read so far. */
  text(): string;
  /** Resolves once the text read so far holds `needle`; rejects when the stream ends first. */
  waitFor(needle: string): Promise<void>;
  close(): void;
}

/**
 * @example
 * const board = await openRawStream(`${url}/api/v1/repos/${repoId}/board/stream`, { authorization });
 * await board.waitFor(taskId);
 */
export async function openRawStream(
  url: string,
  headers: Record<string, string>,
): Promise<RawEventStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  let text = '';
  let ended = false;
  const waiters: { needle: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  if (response.ok && response.body) {
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
          text += decoder.decode(chunk, { stream: true });
          for (const waiter of [...waiters]) {
            if (!text.includes(waiter.needle)) continue;
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        }
      } catch {
        // aborted
      }
      ended = true;
      for (const waiter of waiters.splice(0)) waiter.reject(new Error('the stream ended'));
    })();
  } else {
    ended = true;
  }
  return {
    status: response.status,
    text: () => text,
    waitFor: (needle) =>
      new Promise<void>((resolve, reject) => {
        if (text.includes(needle)) return resolve();
        if (ended) return reject(new Error('the stream ended'));
        waiters.push({ needle, resolve, reject });
      }),
    close: () => controller.abort(),
  };
}
