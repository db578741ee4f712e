/**
 * @module bench/scale-out/processes
 * The drill's processes: `lucid serve` and `lucid runner` started inside a network namespace
 * (`ip netns exec`, which becomes the program: the child's pid is Lucid's), their output in a log
 * file, and killed with everything they started (sandboxes included), as when a host dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../packages/server/bin/lucid.js', import.meta.url));

/** Starts `lucid <args>` in namespace `ns` with exactly `env`, writing its output to `log`. */
export function startLucid(
  ns: string,
  args: string[],
  env: Record<string, string>,
  log: string,
): ChildProcess {
  const fd = openSync(log, 'a');
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, bin, ...args], {
    env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  return child;
}

/** The process and every process descended from it, by their parent ids in /proc. */
async function tree(root: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(ppid)) continue;
    const children = parents.get(ppid) ?? [];
    children.push(Number(entry));
    parents.set(ppid, children);
  }
  const all: number[] = [];
  for (const queue = [root]; queue.length > 0;) {
    const pid = queue.shift()!;
    all.push(pid);
    queue.push(...(parents.get(pid) ?? []));
  }
  return all;
}

/**
 * Kills the child and all it started with SIGKILL, at once (stopped first, so none of them
 * reacts to another's death); resolves once the child has exited.
 */
export async function killTree(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const pids = await tree(child.pid);
  for (const pid of pids) signal(pid, 'SIGSTOP');
  for (const pid of pids) signal(pid, 'SIGKILL');
  await exited;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}
