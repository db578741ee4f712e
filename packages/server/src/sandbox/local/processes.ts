/**
 * @module sandbox/local/processes
 * Finds and kills the processes a sandbox started, by reading /proc: a command's whole tree (its
 * descendants, their process groups and sessions), or everything a shell started but the shell.
 */
import { readdir, readFile } from 'node:fs/promises';

interface ProcessEntry {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
  /** Clock ticks after boot when the process started. */
  start: number;
}

/** Every live (not zombie) process of the host, as /proc shows it at this moment. */
async function snapshot(): Promise<ProcessEntry[]> {
  const names = await readdir('/proc');
  const entries = await Promise.all(
    names.filter((name) => /^\d+$/.test(name)).map((name) => readEntry(name)),
  );
  return entries.filter((entry): entry is ProcessEntry => entry !== null);
}

async function readEntry(pid: string): Promise<ProcessEntry | null> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [state, ppid, pgrp, session, start] = [
    fields[0],
    ...[1, 2, 3, 19].map((i) => Number(fields[i])),
  ];
  if (state === 'Z' || state === 'X') return null;
  if (ppid === undefined || pgrp === undefined || session === undefined || start === undefined) {
    return null;
  }
  return { pid: Number.parseInt(stat, 10), ppid, pgrp, session, start };
}

function descendants(all: ProcessEntry[], root: number): Set<number> {
  const children = new Map<number, number[]>();
  for (const entry of all) {
    const list = children.get(entry.ppid) ?? [];
    list.push(entry.pid);
    children.set(entry.ppid, list);
  }
  const found = new Set<number>();
  const stack = [root];
  while (stack.length) {
    for (const child of children.get(stack.pop() as number) ?? []) {
      if (!found.has(child)) {
        found.add(child);
        stack.push(child);
      }
    }
  }
  return found;
}

/** The server's own process group and session, never to be killed. */
const server = readEntry('self').then((entry) => ({
  pgrp: entry?.pgrp ?? process.pid,
  session: entry?.session ?? -1,
}));

function kill(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Kills the process groups of `targets` (but `spareGroup` and the server's), then each target. */
async function killAll(targets: ProcessEntry[], spareGroup: number | null): Promise<void> {
  const { pgrp } = await server;
  for (const group of new Set(targets.map((entry) => entry.pgrp))) {
    if (group > 1 && group !== pgrp && group !== spareGroup) kill(-group);
  }
  for (const entry of targets) if (entry.pid !== process.pid) kill(entry.pid);
}

/**
 * SIGKILLs a process, everything below it, and what else lives in their sessions (so what a command
 * left running in the background dies with it). Safe to call when it is gone.
 *
 * @example
 * await killProcessTree(child.pid);
 */
export async function killProcessTree(root: number): Promise<void> {
  const { session: serverSession } = await server;
  for (let round = 0; round < 3; round++) {
    const all = await snapshot();
    const below = descendants(all, root);
    const sessions = new Set<number>([root]);
    for (const entry of all) {
      if (entry.pid === root || below.has(entry.pid)) sessions.add(entry.session);
    }
    sessions.delete(serverSession);
    sessions.delete(0);
    sessions.delete(1);
    const targets = all.filter(
      (entry) => entry.pid === root || below.has(entry.pid) || sessions.has(entry.session),
    );
    if (targets.length === 0) return;
    await killAll(targets, null);
  }
}

/**
 * The live children of a process, oldest first.
 *
 * @example
 * const [first] = await childrenOf(child.pid);
 */
export async function childrenOf(parent: number): Promise<number[]> {
  return (await snapshot())
    .filter((entry) => entry.ppid === parent)
    .sort((a, b) => a.start - b.start)
    .map((entry) => entry.pid);
}

/**
 * The bash of a persistent shell, given the process the driver spawned: that process itself, or
 * with bubblewrap the first child of its namespace's init (spawned → init → bash).
 */
export async function findShellPid(spawned: number, throughInit: boolean): Promise<number | null> {
  if (!throughInit) return spawned;
  const all = await snapshot();
  const first = (parent: number) =>
    all.filter((entry) => entry.ppid === parent).sort((a, b) => a.start - b.start)[0];
  const init = first(spawned);
  return init ? (first(init.pid)?.pid ?? null) : null;
}

/**
 * SIGKILLs everything a shell started — its descendants and whatever else lives in its session,
 * such as orphaned background jobs — but not the shell or the processes above it.
 *
 * @example
 * await killShellChildren(shellPid);
 */
export async function killShellChildren(shell: number): Promise<void> {
  const { session: serverSession } = await server;
  for (let round = 0; round < 3; round++) {
    const all = await snapshot();
    const self = all.find((entry) => entry.pid === shell);
    if (!self) return;
    const ancestors = new Set<number>();
    const byPid = new Map(all.map((entry) => [entry.pid, entry]));
    for (let at = byPid.get(self.ppid); at && !ancestors.has(at.pid); at = byPid.get(at.ppid)) {
      ancestors.add(at.pid);
    }
    const below = descendants(all, shell);
    const targets = all.filter(
      (entry) =>
        entry.pid !== shell &&
        !ancestors.has(entry.pid) &&
        (below.has(entry.pid) ||
          (entry.session === self.session && self.session !== serverSession)),
    );
    if (targets.length === 0) return;
    await killAll(targets, self.pgrp);
  }
}
