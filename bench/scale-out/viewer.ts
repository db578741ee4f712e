/**
 * @module bench/scale-out/viewer
 * A viewer of one task's live stream (`GET /api/v1/tasks/{id}/stream`), connected to one server
 * directly. When its connection ends (its server was killed) it connects again, to the first of
 * `servers` that answers, after the last event it saw (as a browser's EventSource sends
 * Last-Event-ID), and counts every stored event it receives by seq: a seq received twice is a
 * duplicate, a stored seq never received a gap.
 */

/** What one viewer saw. */
export interface Seen {
  /** Times each seq was received. */
  seqs: Map<number, number>;
  /** Connections made (1 when it never had to reconnect). */
  connections: number;
  /** The server of each connection, in order. */
  servers: string[];
}

/** A viewer following a task until it is closed. */
export class Viewer {
  readonly seen: Seen = { seqs: new Map(), connections: 0, servers: [] };
  private last = 0;
  private closed = false;
  private controller = new AbortController();
  private readonly done: Promise<void>;

  constructor(
    private readonly taskId: string,
    private readonly token: string,
    /** Server base URLs, the viewer's own first; others are tried when it is gone. */
    private readonly servers: { name: string; url: string }[],
  ) {
    this.done = this.follow();
  }

  /** The highest seq received. */
  get lastSeq(): number {
    return this.last;
  }

  /** Stops following; resolves when the connection is closed. */
  async close(): Promise<void> {
    this.closed = true;
    this.controller.abort();
    await this.done;
  }

  private async follow(): Promise<void> {
    while (!this.closed) {
      let connected = false;
      for (const server of this.servers) {
        if (this.closed) return;
        try {
          const response = await fetch(
            `${server.url}/api/v1/tasks/${this.taskId}/stream?after=${this.last}`,
            {
              headers: { authorization: `Bearer ${this.token}` },
              signal: this.controller.signal,
            },
          );
          if (!response.ok || !response.body) continue;
          connected = true;
          this.seen.connections += 1;
          this.seen.servers.push(server.name);
          await this.read(response.body);
        } catch {
          // refused, or cut when its server died: the next server, after the last seq seen
        }
        if (connected) break;
      }
      if (!connected && !this.closed) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (!data) continue;
        const message = JSON.parse(data) as { kind: string; event?: { seq: number } };
        if (message.kind !== 'event' || !message.event) continue;
        const { seq } = message.event;
        this.seen.seqs.set(seq, (this.seen.seqs.get(seq) ?? 0) + 1);
        this.last = Math.max(this.last, seq);
      }
    }
  }
}
