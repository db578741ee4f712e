/**
 * @module sandbox/warm-pool
 * Sandboxes made in advance, so a run starts in one at once rather than waiting for a container.
 * The pool keeps `size` sandboxes ready and makes a new one in the background each time one is
 * taken. Pooled sandboxes carry the `lucid.pool` label besides their owner's; labels cannot change
 * once a container exists, so a taken sandbox still says `lucid.pool`, and who owns it is recorded
 * elsewhere (by the runner, on the task).
 */
import type { Sandbox, SandboxDriver, SandboxSpec } from './driver.ts';

/** The label every pooled sandbox carries. */
export const POOL_LABEL = 'lucid.pool';

export interface WarmPoolOptions {
  /** Makes the pool's sandboxes (a driver, or the runner's timed maker over one). */
  driver: Pick<SandboxDriver, 'create'>;
  /** The spec of every pooled sandbox; `lucid.pool` is added to its labels. */
  spec: SandboxSpec;
  size: number;
  /** Told when making a sandbox fails (the pool tries again at the next take or fill). */
  onError: (error: unknown) => void;
}

/**
 * @example
 * const pool = new WarmPool({ driver, spec, size: 2, onError: (e) => log.warn(e) });
 * pool.fill();
 * const sandbox = (await pool.take()) ?? (await driver.create(spec));
 */
export class WarmPool {
  private readonly ready: Sandbox[] = [];
  private making = 0;
  private filling: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: WarmPoolOptions) {}

  /** Ids of the sandboxes waiting in the pool. */
  get ids(): Set<string> {
    return new Set(this.ready.map((sandbox) => sandbox.id));
  }

  /** Makes sandboxes in the background until the pool is full. */
  fill(): void {
    if (this.closed) return;
    const missing = this.options.size - this.ready.length - this.making;
    for (let i = 0; i < missing; i++) {
      this.making++;
      const made = this.options.driver
        .create({
          ...this.options.spec,
          labels: { ...this.options.spec.labels, [POOL_LABEL]: '1' },
        })
        .then(
          async (sandbox) => {
            if (this.closed) await sandbox.remove();
            else this.ready.push(sandbox);
          },
          (error: unknown) => this.options.onError(error),
        )
        .finally(() => this.making--);
      this.filling = Promise.all([this.filling, made]).then(() => undefined);
    }
  }

  /** A ready sandbox, now the caller's; null when none is ready. Starts making its replacement. */
  take(): Sandbox | null {
    const sandbox = this.ready.shift() ?? null;
    this.fill();
    return sandbox;
  }

  /** Stops refilling and removes every sandbox still in the pool. */
  async drain(): Promise<void> {
    this.closed = true;
    await this.filling;
    const left = this.ready.splice(0);
    await Promise.allSettled(left.map((sandbox) => sandbox.remove()));
  }
}
