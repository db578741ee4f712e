/**
 * @module bench/sandbox/shim-memory
 * The memory of the engine's per-container process (`containerd-shim`), which holds a sandbox's
 * stdio and waits on it from outside its cgroup: its proportional set size (resident memory with
 * the pages it shares with the other shims divided among them), or its RSS where the kernel does
 * not tell. Only measurable when the engine runs on this machine; null otherwise.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { currentRss } from '../lib/memory.ts';

function proportional(pid: number): number | null {
  try {
    const match = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * @example
 * const bytes = shimMemory(container.id); // 7.9 MiB, or null
 */
export function shimMemory(containerId: string): number | null {
  let total: number | null = null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith('containerd-shim')) continue;
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(containerId)) continue;
      const pid = Number(entry);
      total = (total ?? 0) + (proportional(pid) ?? currentRss(pid) ?? 0);
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}
