/**
 * @module bench/agent-overhead/trajectory
 * The scripted work: cheap commands (`true`, `echo N`), one per step, then a final answer; and the
 * same commands run straight through a sandbox's persistent shell, for their raw cost.
 */
import type { SandboxShell } from '../../packages/server/src/sandbox/driver.ts';

/** Options the agent's `bash` tool passes to the persistent shell. */
export const SHELL_OPTIONS = { timeoutMs: 300_000, maxOutputBytes: 256 * 1024 };

/** `true` and `echo N` in turn. */
export function commands(steps: number): string[] {
  return Array.from({ length: steps }, (_, i) => (i % 2 === 0 ? 'true' : `echo ${i}`));
}

/** Raw cost of the trajectory's commands in the persistent shell: each sample, and each round's sum. */
export interface RawCost {
  samples: number[];
  roundTotals: number[];
}

/**
 * Runs every command `rounds` times through `shell` (after one round not counted), timing each
 * `shell.run` the way the bash tool calls it, output handler included.
 */
export async function rawCommandCost(
  shell: SandboxShell,
  list: readonly string[],
  rounds: number,
): Promise<RawCost> {
  const samples: number[] = [];
  const roundTotals: number[] = [];
  for (let round = -1; round < rounds; round++) {
    let total = 0;
    for (const command of list) {
      const started = performance.now();
      const result = await shell.run(command, { ...SHELL_OPTIONS, onOutput: () => {} });
      const elapsed = performance.now() - started;
      if (result.exitCode !== 0) throw new Error(`${command} exited with ${result.exitCode}`);
      if (round >= 0) samples.push(elapsed);
      total += elapsed;
    }
    if (round >= 0) roundTotals.push(total);
  }
  return { samples, roundTotals };
}
