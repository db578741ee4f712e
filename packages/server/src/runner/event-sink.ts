/**
 * @module runner/event-sink
 * Sends a run's events to the backend in order, coalescing command output: chunks of one stream
 * are joined until a short delay passes or enough has gathered, so a chatty command costs a few
 * writes a second rather than one per line.
 *
 * Every secret the runner knows is masked here, on every path out of the run: events, command
 * output and the live draft. Output and draft are streams whose chunks may split a secret, so each
 * goes through a `StreamMasker`, which holds back only an end that could begin a secret; what an
 * output stream holds is sent with its next chunk, or before the next event that is not output.
 *
 * Streamed model text (`message.delta`) is not stored: it goes to the backend as draft pieces at
 * once, with its offset in the answer, joined only while the previous send is still under way (up
 * to `DRAFT_PIECE_MAX_CHARS`), and no longer sent once the answer passes `DRAFT_MAX_CHARS`, where
 * the live hub stops. The answer's stored `message.assistant` follows its pieces, and the next
 * answer starts at offset 0, as does an answer made again after a cut (`restart`), whose first
 * piece replaces the draft viewers hold.
 *
 * What a run keeps for later runs (`remember`: the agent's steps) goes the same way, masked alike,
 * so what a later run replays is what was masked when it was recorded.
 */
import {
  DRAFT_MAX_CHARS,
  DRAFT_PIECE_MAX_CHARS,
  type EventBody,
  type RunMemoryBody,
} from '@lucid/contracts';
import { maskDeep, StreamMasker } from '../secrets/masking.ts';
import type { OutputStream } from '../sandbox/output.ts';
import type { RunnerBackend } from './backend.ts';

const FLUSH_DELAY_MS = 50;
const FLUSH_BYTES = 16 * 1024;

export class EventSink {
  private pending: EventBody[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  /** Length of the answer being written, as sent and queued. */
  private draftLength = 0;
  /** The last draft piece queued behind a send, that later text joins while it has room. */
  private draftQueued: { offset: number; text: string } | null = null;
  private answer: StreamMasker;
  private readonly output: Record<OutputStream, StreamMasker>;

  /**
   * @example
   * const sink = new EventSink(backend, claim.run.id, [claim.git.token]);
   * sink.push({ type: 'tool.output', stream: 'stdout', chunk: 'hello\n' });
   * await sink.flush();
   */
  constructor(
    private readonly backend: RunnerBackend,
    private readonly runId: string,
    /** Replaced by `[redacted]` wherever they appear. */
    private readonly secrets: readonly string[] = [],
    /** Told of each event as it is pushed, before masking (the runner times the run's start by it). */
    private readonly onEvent?: (event: EventBody) => void,
  ) {
    this.answer = new StreamMasker(secrets);
    this.output = { stdout: new StreamMasker(secrets), stderr: new StreamMasker(secrets) };
  }

  /** Queues an event, its secrets masked; output chunks next to each other on one stream are merged. */
  push(event: EventBody): void {
    this.onEvent?.(event);
    if (event.type === 'message.delta') {
      if (event.restart) this.restartDraft();
      this.draft(this.answer.push(event.text));
      return;
    }
    if (event.type === 'tool.output') {
      const chunk = this.output[event.stream].push(event.chunk);
      if (chunk) this.queue({ ...event, chunk });
      return;
    }
    this.endOutput('stdout');
    this.endOutput('stderr');
    // The stored answer replaces the draft: what the draft's masker holds is not needed.
    if (event.type === 'message.assistant') this.restartDraft();
    this.queue(maskDeep(event, this.secrets));
  }

  /**
   * Keeps what the run did for later runs (a step, a CLI's session id), its secrets masked, after
   * the events pushed before it. Best effort: a later run without it still has the messages.
   */
  remember(memory: RunMemoryBody): void {
    const masked = maskDeep(memory, this.secrets);
    this.send();
    this.chain = this.chain.then(() => this.backend.remember(this.runId, masked).catch(() => {}));
  }

  /**
   * Sends everything pushed so far, output held back as a possible start of a secret included;
   * resolves when it is stored. Call it where output ends (after a command, at the end of a run).
   */
  flush(): Promise<void> {
    this.endOutput('stdout');
    this.endOutput('stderr');
    this.send();
    return this.chain.then(() => {
      if (this.failure) throw this.failure;
    });
  }

  /** Queues what a stream's masker holds: the stream has ended, so it is no secret's start. */
  private endOutput(stream: OutputStream): void {
    const rest = this.output[stream].end();
    if (rest) this.queue({ type: 'tool.output', stream, chunk: rest });
  }

  private queue(event: EventBody): void {
    const last = this.pending.at(-1);
    const streamed = event.type === 'tool.output';
    if (
      event.type === 'tool.output' &&
      last?.type === 'tool.output' &&
      last.stream === event.stream
    ) {
      last.chunk += event.chunk;
    } else {
      this.pending.push(streamed ? { ...event } : event);
    }
    this.pendingBytes += event.type === 'tool.output' ? event.chunk.length : 256;
    // A failure is kept for the next flush the run awaits; unawaited, it must not go unhandled.
    if (!streamed || this.pendingBytes >= FLUSH_BYTES) {
      this.send();
    } else {
      this.timer ??= setTimeout(() => this.send(), FLUSH_DELAY_MS);
    }
  }

  /**
   * Starts the answer under way over: its next piece goes at offset 0, which replaces the draft
   * viewers hold (the text streamed so far is dropped).
   */
  private restartDraft(): void {
    this.answer = new StreamMasker(this.secrets);
    this.draftLength = 0;
    this.draftQueued = null;
  }

  /** Sends a piece of the answer under way; best effort, a lost piece costs only the live view. */
  private draft(text: string): void {
    if (!text) return;
    const offset = this.draftLength;
    this.draftLength += text.length;
    if (offset >= DRAFT_MAX_CHARS) return;
    const queued = this.draftQueued;
    if (queued && queued.text.length + text.length <= DRAFT_PIECE_MAX_CHARS) {
      queued.text += text;
      return;
    }
    for (let at = 0; at < text.length;) {
      const end = pieceEnd(text, at);
      const piece = { offset: offset + at, text: text.slice(at, end) };
      this.draftQueued = piece;
      this.chain = this.chain.then(() => {
        if (this.draftQueued === piece) this.draftQueued = null;
        return this.backend.draft(this.runId, piece.offset, piece.text).catch(() => {});
      });
      at = end;
    }
  }

  /** Hands the pending events to the backend, after everything sent before them. */
  private send(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (batch.length === 0) return;
    this.chain = this.chain.then(() =>
      this.backend.append(this.runId, batch).catch((error: unknown) => {
        this.failure ??= error;
      }),
    );
  }
}

/** Where a draft piece of `text` starting at `at` ends: at most a piece's size, no pair split. */
function pieceEnd(text: string, at: number): number {
  const end = Math.min(text.length, at + DRAFT_PIECE_MAX_CHARS);
  return end < text.length && /[\uD800-\uDBFF]/.test(text.charAt(end - 1)) ? end - 1 : end;
}
