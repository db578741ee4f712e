/**
 * @module bench/scale-out/host
 * The drill's machinery on this host: commands run as root (`ip`, PostgreSQL's binaries as the
 * postgres user), a list of undo steps run in reverse at the end, on failure and on Ctrl-C, and
 * network namespaces joined to the host by veth pairs, each with a default route to the host so
 * that one address on the host (on its loopback) is reachable from every namespace.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Runs a program; throws with its standard error when it fails. */
export async function sh(file: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await exec(file, args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`${file} ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`);
  }
}

/** Undo steps, run last-in first-out; each runs once, and a failing one does not stop the rest. */
export class Undo {
  private readonly steps: { name: string; run: () => Promise<unknown> }[] = [];
  private running: Promise<void> | null = null;

  /** Adds a step, to be run before the ones added earlier. */
  push(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  /** Runs every step still there, newest first. */
  all(): Promise<void> {
    this.running ??= (async () => {
      for (let step = this.steps.pop(); step; step = this.steps.pop()) {
        try {
          await step.run();
        } catch (error) {
          console.error(`cleanup: ${step.name}: ${(error as Error).message}`);
        }
      }
    })();
    return this.running;
  }
}

/** One namespace and the addresses on each end of its veth pair. */
export interface Namespace {
  name: string;
  /** The namespace's own address. */
  address: string;
  /** The host's end of the pair. */
  hostAddress: string;
}

/**
 * Adds `vip` to the host's loopback (an address every namespace reaches the host at) and the
 * namespaces, numbered from 1 in `subnet` (`10.231` gives 10.231.N.1 on the host, 10.231.N.2 in the
 * namespace). Leftovers of an interrupted run are removed first.
 */
export async function makeNetwork(
  undo: Undo,
  { prefix, subnet, vip, names }: { prefix: string; subnet: string; vip: string; names: string[] },
): Promise<Namespace[]> {
  await removeNetwork(prefix, names, vip);
  undo.push('network', () => removeNetwork(prefix, names, vip));
  await sh('ip', ['addr', 'add', `${vip}/32`, 'dev', 'lo']);
  const namespaces: Namespace[] = [];
  for (const [index, name] of names.entries()) {
    const ns = `${prefix}-${name}`;
    const hostEnd = `${prefix}${index + 1}h`;
    const nsEnd = `${prefix}${index + 1}n`;
    const hostAddress = `${subnet}.${index + 1}.1`;
    const address = `${subnet}.${index + 1}.2`;
    await sh('ip', ['netns', 'add', ns]);
    await sh('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd]);
    await sh('ip', ['link', 'set', nsEnd, 'netns', ns]);
    await sh('ip', ['addr', 'add', `${hostAddress}/24`, 'dev', hostEnd]);
    await sh('ip', ['link', 'set', hostEnd, 'up']);
    const inside = (...args: string[]) => sh('ip', ['netns', 'exec', ns, 'ip', ...args]);
    await inside('link', 'set', 'lo', 'up');
    await inside('addr', 'add', `${address}/24`, 'dev', nsEnd);
    await inside('link', 'set', nsEnd, 'up');
    await inside('route', 'add', 'default', 'via', hostAddress);
    namespaces.push({ name: ns, address, hostAddress });
  }
  return namespaces;
}

async function removeNetwork(prefix: string, names: string[], vip: string): Promise<void> {
  const existing = new Set(
    (await sh('ip', ['netns', 'list'])).split('\n').map((line) => line.split(' ')[0]),
  );
  for (const [index, name] of names.entries()) {
    if (existing.has(`${prefix}-${name}`)) await sh('ip', ['netns', 'del', `${prefix}-${name}`]);
    await sh('ip', ['link', 'del', `${prefix}${index + 1}h`]).catch(() => undefined);
  }
  await sh('ip', ['addr', 'del', `${vip}/32`, 'dev', 'lo']).catch(() => undefined);
}
