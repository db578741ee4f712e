/**
 * @module sandbox/repo-warm-pools
 * Warm sandboxes that already hold a repository's objects, one small pool per recently active
 * repository, so a new task's run fetches only what changed since and checks out its branch
 * instead of cloning. A pooled sandbox (a ready one from the general warm pool, else one made and
 * labelled `lucid.repo`) is primed by the caller (a fetch with a token of a run on that
 * repository, which is not left behind); the pool it sits in is its repository's, and it is only
 * ever given to a run on that repository. The least recently active repository's pool is emptied
 * when another one needs the room.
 */
import type { Sandbox, SandboxDriver, SandboxSpec } from './driver.ts';
import { POOL_LABEL } from './warm-pool.ts';

/** The label naming the repository a pooled sandbox holds. */
export const REPO_LABEL = 'lucid.repo';

export interface RepoWarmPoolsOptions {
  /** Makes the pools' sandboxes (a driver, or the runner's timed maker over one). */
  driver: Pick<SandboxDriver, 'create'>;
  /** The spec of every pooled sandbox; `lucid.pool` and `lucid.repo` are added to its labels. */
  spec: SandboxSpec;
  /** Sandboxes kept ready per repository (0: none). */
  size: number;
  /** Repositories kept warm at once. */
  repositories: number;
  /**
   * A started sandbox to prime at once, when one is ready (the runner's general warm pool): the
   * token that primes it may not outlive a short run, so no time is lost making a container.
   */
  takeReady?: () => Sandbox | null;
  onError: (error: unknown) => void;
}

interface RepoPool {
  ready: Sandbox[];
  making: number;
  lastActive: number;
}

/**
 * @example
 * const pools = new RepoWarmPools({ driver, spec, size: 2, repositories: 4, onError });
 * pools.fill(repoId, (sandbox) => fetchInto(sandbox, claim.git));
 * const sandbox = pools.take(repoId) ?? (await driver.create(spec));
 */
export class RepoWarmPools {
  private readonly pools = new Map<string, RepoPool>();
  private readonly filling = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: RepoWarmPoolsOptions) {}

  /** Ids of every pooled sandbox, all repositories together. */
  get ids(): Set<string> {
    return new Set([...this.pools.values()].flatMap((pool) => pool.ready.map((s) => s.id)));
  }

  /** Ids of the sandboxes ready for runs on `repoId`. */
  idsFor(repoId: string): Set<string> {
    return new Set(this.pools.get(repoId)?.ready.map((sandbox) => sandbox.id) ?? []);
  }

  /**
   * Marks the repository active and makes sandboxes for it in the background until its pool is
   * full, each primed with `prime` (which needs a token valid for the repository now); a sandbox
   * it fails on is removed.
   */
  fill(repoId: string, prime: (sandbox: Sandbox) => Promise<void>): void {
    if (this.closed || this.options.size === 0) return;
    const pool = this.poolOf(repoId);
    const missing = this.options.size - pool.ready.length - pool.making;
    for (let i = 0; i < missing; i++) {
      pool.making++;
      const made = this.make(repoId, prime)
        .then(
          async (sandbox) => {
            if (this.closed || this.pools.get(repoId) !== pool) await sandbox.remove();
            else pool.ready.push(sandbox);
          },
          (error: unknown) => this.options.onError(error),
        )
        .finally(() => {
          pool.making--;
          this.filling.delete(made);
        });
      this.filling.add(made);
    }
  }

  /** A ready sandbox holding `repoId`'s objects, now the caller's; null when none is ready. */
  take(repoId: string): Sandbox | null {
    const pool = this.pools.get(repoId);
    if (!pool) return null;
    pool.lastActive = performance.now();
    return pool.ready.shift() ?? null;
  }

  /** Stops refilling and removes every pooled sandbox. */
  async drain(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.filling]);
    const left = [...this.pools.values()].flatMap((pool) => pool.ready.splice(0));
    this.pools.clear();
    await Promise.allSettled(left.map((sandbox) => sandbox.remove()));
  }

  /** The repository's pool, made room for by emptying the least recently active one. */
  private poolOf(repoId: string): RepoPool {
    const known = this.pools.get(repoId);
    if (known) {
      known.lastActive = performance.now();
      return known;
    }
    if (this.pools.size >= this.options.repositories) {
      const [oldest] = [...this.pools.entries()].sort((a, b) => a[1].lastActive - b[1].lastActive);
      if (oldest) {
        this.pools.delete(oldest[0]);
        for (const sandbox of oldest[1].ready.splice(0)) {
          sandbox.remove().catch((error: unknown) => this.options.onError(error));
        }
      }
    }
    const pool: RepoPool = { ready: [], making: 0, lastActive: performance.now() };
    this.pools.set(repoId, pool);
    return pool;
  }

  private async make(repoId: string, prime: (sandbox: Sandbox) => Promise<void>): Promise<Sandbox> {
    const { driver, spec } = this.options;
    const sandbox =
      this.options.takeReady?.() ??
      (await driver.create({
        ...spec,
        labels: { ...spec.labels, [POOL_LABEL]: '1', [REPO_LABEL]: repoId },
      }));
    try {
      await prime(sandbox);
    } catch (error) {
      await sandbox.remove().catch(() => undefined);
      throw error;
    }
    return sandbox;
  }
}
