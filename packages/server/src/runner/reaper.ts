/**
 * @module runner/reaper
 * Looks after the sandboxes a runner made (those labelled `lucid.runner: <its id>`). A task's
 * sandbox with no run for `idleMs` is reaped: its workspace is saved as a snapshot commit in the
 * task's repository (runner/workspace-snapshot.ts), the task records the commit in place of the
 * sandbox, and the sandbox is removed; the task's next run restores it. When the runner starts, its
 * sandboxes that no task uses any more (orphans, and a warm pool left by a crash) are removed, and
 * each sweep removes those that lost their task since (a deleted task's), but never one a run in
 * flight uses.
 * Which task owns a sandbox is the task's record, asked of the backend: labels cannot say it, as a
 * pooled sandbox gets its task only when taken.
 *
 * Each sweep also looks at the sandboxes on the engine made by other runners, and removes those
 * whose runner Lucid says is gone (removed, or offline for long, holding no run): a deleted
 * remote runner's, or those of a server whose data dir, and so runner id, changed. A runner id
 * Lucid never knew (another Lucid sharing the engine) is left alone.
 */
import type { Sandbox, SandboxDriver, SandboxInfo } from '../sandbox/driver.ts';
import type { RunnerBackend } from './backend.ts';
import { RUNNER_LABEL, TASK_LABEL } from './sandbox-owner.ts';
import { saveWorkspace } from './workspace-snapshot.ts';

export interface ReaperLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface ReaperOptions {
  backend: RunnerBackend;
  driver: SandboxDriver;
  runnerId: string;
  /** A task's sandbox unused this long is reaped. */
  idleMs: number;
  /** True while the task has a run in flight on this runner: its sandbox is never reaped. */
  busy(taskId: string): boolean;
  /** Ids of the runner's warm pool, which belong to no task and are not reaped. */
  pooled(): Set<string>;
  /** Ids of the sandboxes runs in flight use (one may not be recorded on its task yet). */
  inUse(): Set<string>;
  log: ReaperLog;
}

/**
 * @example
 * const reaper = new Reaper({ backend, driver, runnerId, idleMs, busy, pooled, log });
 * await reaper.removeOrphans();
 * reaper.start();
 * reaper.touch(sandbox.id); // after each run
 */
export class Reaper {
  private readonly lastUse = new Map<string, number>();
  private readonly reaping = new Map<string, Promise<string | null>>();
  /** Sandboxes being snapshotted or removed: not orphans, whatever their task says meanwhile. */
  private readonly removing = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ReaperOptions) {}

  /** Notes that a sandbox was just used (a run started or ended in it). */
  touch(sandboxId: string): void {
    this.lastUse.set(sandboxId, Date.now());
  }

  /**
   * While the task's sandbox is being reaped: resolves to the snapshot commit that replaces it
   * (null when none was made). A run of the task waits for it before it starts.
   */
  pending(taskId: string): Promise<string | null> | undefined {
    return this.reaping.get(taskId);
  }

  /** Sweeps for idle sandboxes a few times per idle period (at most once a minute). */
  start(): void {
    const everyMs = Math.min(60_000, Math.max(100, Math.floor(this.options.idleMs / 4)));
    this.timer = setInterval(() => {
      this.sweeping = this.sweep().catch((error: unknown) =>
        this.options.log.warn({ err: error }, 'could not sweep idle sandboxes'),
      );
    }, everyMs);
  }

  /** Stops sweeping; resolves when the reaps under way are done. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping;
    await Promise.allSettled([...this.reaping.values()]);
  }

  /**
   * Reaps every sandbox of a task that has had no run for the idle time, and removes those no task
   * uses any more (a deleted task's) and those of runners gone; returns their ids.
   */
  async sweep(): Promise<string[]> {
    const { idleMs, busy } = this.options;
    const abandoned = await this.removeAbandoned();
    const { owned, orphans } = await this.ownedSandboxes();
    const now = Date.now();
    const reaps: Promise<string | null>[] = [];
    const reaped: string[] = [...abandoned];
    for (const info of orphans) {
      reaps.push(this.removeOrphan(info.id).then(() => (reaped.push(info.id), null)));
    }
    for (const { info, taskId } of owned) {
      const lastUse = this.lastUse.get(info.id) ?? info.createdAt.getTime();
      if (now - lastUse < idleMs || busy(taskId) || this.reaping.has(taskId)) continue;
      const reap = this.reap(info.id, taskId).finally(() => this.reaping.delete(taskId));
      this.reaping.set(taskId, reap);
      reaps.push(reap.then((sha) => (reaped.push(info.id), sha)));
    }
    const results = await Promise.allSettled(reaps);
    for (const result of results) {
      if (result.status === 'rejected') {
        this.options.log.warn({ err: result.reason }, 'could not reap an idle sandbox');
      }
    }
    return reaped;
  }

  /** Removes the runner's sandboxes that no task uses; call before the warm pool is filled. */
  async removeOrphans(): Promise<string[]> {
    const { backend, driver, runnerId, log } = this.options;
    const mine = await driver.list({ [RUNNER_LABEL]: runnerId });
    if (mine.length === 0) return [];
    const used = await backend.sandboxTasks(mine.map((info) => info.id));
    const orphans = mine.filter((info) => !used[info.id]);
    await Promise.all(
      orphans.map(async (info) => {
        await (await driver.get(info.id))?.remove();
      }),
    );
    if (orphans.length > 0) {
      log.info({ sandboxes: orphans.map((info) => info.id) }, 'removed sandboxes no task uses');
    }
    return orphans.map((info) => info.id);
  }

  private async ownedSandboxes(): Promise<{
    owned: { info: SandboxInfo; taskId: string }[];
    orphans: SandboxInfo[];
  }> {
    const { backend, driver, runnerId, pooled, inUse, busy } = this.options;
    const pool = pooled();
    const mine = (await driver.list({ [RUNNER_LABEL]: runnerId })).filter(
      (info) => !pool.has(info.id),
    );
    if (mine.length === 0) return { owned: [], orphans: [] };
    const owners = await backend.sandboxTasks(mine.map((info) => info.id));
    const used = inUse();
    const reaping = new Set(this.removing);
    return {
      owned: mine.flatMap((info) => {
        const taskId = owners[info.id];
        return taskId ? [{ info, taskId }] : [];
      }),
      orphans: mine.filter(
        (info) =>
          // Only a sandbox a task of this runner used (touched) lost its task: a pooled one being
          // made has none yet.
          !owners[info.id] &&
          this.lastUse.has(info.id) &&
          !used.has(info.id) &&
          !reaping.has(info.id) &&
          !(info.labels[TASK_LABEL] && busy(info.labels[TASK_LABEL])),
      ),
    };
  }

  /**
   * Removes the sandboxes on the engine whose runner (another than this one) Lucid says is gone;
   * answers their ids. A failure is logged, and the rest of the sweep goes on.
   */
  private async removeAbandoned(): Promise<string[]> {
    const { backend, driver, runnerId, log } = this.options;
    try {
      const others = (await driver.list()).filter((info) => {
        const owner = info.labels[RUNNER_LABEL];
        return owner !== undefined && owner !== runnerId;
      });
      if (others.length === 0) return [];
      const owners = [...new Set(others.map((info) => info.labels[RUNNER_LABEL] ?? ''))];
      const gone = new Set(await backend.goneRunners(owners));
      const abandoned = others.filter((info) => gone.has(info.labels[RUNNER_LABEL] ?? ''));
      const results = await Promise.allSettled(
        abandoned.map(async (info) => {
          await (await driver.get(info.id))?.remove();
          return info.id;
        }),
      );
      const removed = results.flatMap((result) => {
        if (result.status === 'fulfilled') return [result.value];
        log.warn({ err: result.reason }, 'could not remove a sandbox of a runner that is gone');
        return [];
      });
      if (removed.length > 0) {
        log.info({ sandboxes: removed }, 'removed sandboxes left by runners that are gone');
      }
      return removed;
    } catch (error) {
      log.warn({ err: error }, 'could not remove the sandboxes of runners that are gone');
      return [];
    }
  }

  private async removeOrphan(sandboxId: string): Promise<void> {
    this.removing.add(sandboxId);
    try {
      await (await this.options.driver.get(sandboxId))?.remove();
      this.lastUse.delete(sandboxId);
      this.options.log.info({ sandboxId }, 'removed a sandbox no task uses');
    } finally {
      this.removing.delete(sandboxId);
    }
  }

  private async reap(sandboxId: string, taskId: string): Promise<string | null> {
    this.removing.add(sandboxId);
    try {
      const sandbox = await this.options.driver.get(sandboxId);
      return sandbox ? await this.snapshotAndRemove(sandbox, taskId) : null;
    } finally {
      this.removing.delete(sandboxId);
    }
  }

  private async snapshotAndRemove(sandbox: Sandbox, taskId: string): Promise<string | null> {
    const { backend, log } = this.options;
    const sandboxId = sandbox.id;
    const grant = await backend.snapshotGrant(taskId, sandboxId);
    const sha = grant ? await saveWorkspace(sandbox, grant) : null;
    if (grant) await backend.recordSnapshot(taskId, sandboxId, sha);
    await sandbox.remove();
    this.lastUse.delete(sandboxId);
    log.info({ taskId, sandboxId, snapshot: sha }, 'reaped an idle sandbox');
    return sha;
  }
}
