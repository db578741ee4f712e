/**
 * @module control/queued-runs
 * Tells the runners waiting on this server that a run was queued: a remote runner's claim request
 * waits here (a long poll) and is answered the moment `run.queued` fires, rather than at its next
 * poll. Wired to the domain events by the composition root.
 */

/**
 * @example
 * const queued = new QueuedRuns();
 * bus.on('run.queued', () => queued.notify());
 * const next = queued.next(25_000, signal); // armed before the claim looks
 * const claim = (await backend.claim()) ?? (await next, await backend.claim());
 */
export class QueuedRuns {
  private readonly waiters = new Set<() => void>();
  private ended = false;

  /** True once the server closes: waits end at once. */
  get closed(): boolean {
    return this.ended;
  }

  /** How many waits are pending: a claim request held open for a run. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** A run was queued: every pending wait ends. */
  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /**
   * Ends when a run is queued after this call, after `ms`, when `signal` aborts, or when the
   * server closes (at once once it has). Take it before looking for a run, so none queued between
   * the look and the wait is missed.
   */
  next(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.ended || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  /** Ends every wait now and later ones at once: the server is closing. */
  close(): void {
    this.ended = true;
    this.notify();
  }
}
