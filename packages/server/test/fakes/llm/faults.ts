/**
 * @module Injected failures of the fake LLM server: error answers for the next requests and streams cut
 * short, so that retries and failure handling can be tested.
 */

/** Statuses the fake can fail with, each rendered in the protocol's own error body. */
export type FaultStatus = 400 | 401 | 403 | 429 | 500 | 503 | 529;

/** One injected failure. */
export interface Fault {
  status: FaultStatus;
  /** Sent as `retry-after`; 429 defaults to 1 second, other statuses send none unless given. */
  retryAfterSeconds?: number;
  /** Replaces the provider's usual message for the status. */
  message?: string;
}

/** How streamed answers are cut (see `FakeLlm.dropStreamAfter`). */
export interface StreamCut {
  /** How many streamed answers in a row are cut; 1 by default. */
  times?: number;
  /**
   * Close the stream properly (as a proxy that lost its upstream may) instead of destroying the
   * socket: the answer simply stops before its last event.
   */
  close?: boolean;
  /** Sent as `retry-after-ms` on the cut answer, so a client retrying it waits that long. */
  retryAfterMs?: number;
}

/** Pending failures, consumed one per model request before any script step is used. */
export class FaultQueue {
  #failures: Fault[] = [];
  #drop: (StreamCut & { chunks: number }) | undefined;

  failNext(count: number, fault: Fault): void {
    for (let i = 0; i < count; i++) this.#failures.push(fault);
  }

  dropStreamAfter(chunks: number, cut: StreamCut = {}): void {
    this.#drop = { chunks, ...cut };
  }

  takeFailure(): Fault | undefined {
    return this.#failures.shift();
  }

  takeDrop(): (StreamCut & { chunks: number }) | undefined {
    const drop = this.#drop;
    if (!drop) return undefined;
    const times = (drop.times ?? 1) - 1;
    this.#drop = times > 0 ? { ...drop, times } : undefined;
    return drop;
  }

  clear(): void {
    this.#failures = [];
    this.#drop = undefined;
  }
}

/** The `retry-after` header a fault sends, if any. */
export function retryAfterHeader(fault: Fault): Record<string, string> {
  const seconds = fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined);
  return seconds === undefined ? {} : { 'retry-after': String(seconds) };
}
