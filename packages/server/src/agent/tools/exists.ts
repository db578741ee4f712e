/**
 * @module agent/tools/exists
 * Whether a path exists in the sandbox.
 */
import type { Sandbox } from '../../sandbox/driver.ts';

export async function exists(sandbox: Sandbox, absolute: string): Promise<boolean> {
  return (await sandbox.exec(['test', '-e', absolute])).exitCode === 0;
}
