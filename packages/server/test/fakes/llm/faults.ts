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

/** Pending failures, consumed one per model request before any script step is used. */
export class FaultQueue {
  #failures: Fault[] = [];
  #dropAfter: number | undefined;

  failNext(count: number, fault: Fault): void {
    for (let i = 0; i < count; i++) this.#failures.push(fault);
  }

  dropStreamAfter(chunks: number): void {
    this.#dropAfter = chunks;
  }

  takeFailure(): Fault | undefined {
    return this.#failures.shift();
  }

  takeDrop(): number | undefined {
    const chunks = this.#dropAfter;
    this.#dropAfter = undefined;
    return chunks;
  }

  clear(): void {
    this.#failures = [];
    this.#dropAfter = undefined;
  }
}

/** The `retry-after` header a fault sends, if any. */
export function retryAfterHeader(fault: Fault): Record<string, string> {
  const seconds = fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined);
  return seconds === undefined ? {} : { 'retry-after': String(seconds) };
}
