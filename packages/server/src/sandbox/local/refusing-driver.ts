/**
 * @module sandbox/local/refusing-driver
 * The driver of a host where no sandbox can run confined (no Docker engine, no working
 * bubblewrap) and running commands unconfined was not chosen: it makes no sandbox, and each run
 * fails with the reason and what to install or set, so nothing ever runs unconfined by accident.
 */
import type { Sandbox, SandboxDriver, SandboxInfo } from '../driver.ts';

/**
 * @example
 * const driver = new RefusingDriver('bubblewrap is not installed: install it …');
 * await driver.create(spec); // throws with that reason
 */
export class RefusingDriver implements SandboxDriver {
  readonly kind = 'local' as const;
  readonly isolation: string;

  constructor(private readonly reason: string) {
    this.isolation = `none: no sandbox runs here, so runs fail (${reason})`;
  }

  create(): Promise<Sandbox> {
    return Promise.reject(new Error(this.reason));
  }

  async get(): Promise<Sandbox | null> {
    return null;
  }

  async list(): Promise<SandboxInfo[]> {
    return [];
  }
}
