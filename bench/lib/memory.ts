/**
 * @module bench/lib/memory
 * Resident memory from /proc: current (VmRSS) and peak (VmHWM), of this process or another. Linux
 * lets a process reset its peak to its current size, so the peak of one phase can be read alone.
 */
import { readFileSync, writeFileSync } from 'node:fs';

function status(field: 'VmHWM' | 'VmRSS', pid: number | 'self'): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match?.[1] ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** VmHWM in bytes, or null where /proc is not there. */
export function peakRss(pid: number | 'self' = 'self'): number | null {
  return status('VmHWM', pid);
}

/** VmRSS in bytes, or null where /proc is not there. */
export function currentRss(pid: number | 'self' = 'self'): number | null {
  return status('VmRSS', pid);
}

/** Resets VmHWM to the current resident size; false when the kernel does not allow it. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
