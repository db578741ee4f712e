/**
 * @module sandbox/local/network
 * A bubblewrap sandbox's own network. Each sandbox on the bridge network gets one network
 * namespace, held by a relay (`relay.mjs`, run by the host's node under bubblewrap) that listens
 * where Lucid's URL points inside the sandbox — an address of the namespace's loopback and Lucid's
 * port — and passes every connection to the Unix socket where Lucid answers sandboxes on the host.
 * Each command joins that namespace (`nsenter`) before bubblewrap starts it, so all the commands of
 * a sandbox share one loopback, as in a container. The namespace has no other interface: nothing
 * else is reachable, neither the host's services nor link-local addresses nor the internet.
 *
 * A command joins the namespace through the holder's /proc entry, then checks, before anything of
 * the sandbox runs, that the namespace it joined is the one the relay reported: a holder that died
 * and whose process id was reused cannot lead a command anywhere else.
 */
import { readlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnProcess, type SpawnedProcess } from '../../process/spawn.ts';
import type { LucidEndpoint } from '../driver.ts';
import { childrenOf, killProcessTree } from './processes.ts';
import { systemFolderArgs } from './system-view.ts';

const RELAY_SCRIPT = fileURLToPath(new URL('./relay.mjs', import.meta.url));
const INSIDE = {
  node: '/run/lucid/node',
  relay: '/run/lucid/relay.mjs',
  socket: '/run/lucid/lucid.sock',
};
/** How long a relay may take to listen. */
const START_MS = 20_000;

/** Where a sandbox finds Lucid, from the URL it is given. */
export interface LucidAddress {
  /** The address the relay listens on, in the sandbox. */
  listen: string;
  port: number;
  /** Lucid's host name, which the sandbox's /etc/hosts maps to its loopback. */
  hostName?: string;
  /** An address that is not a loopback one, added to the namespace's loopback. */
  addToLoopback?: string;
  socket: string;
}

/**
 * Where a sandbox reaches Lucid, from its URL: a loopback address or a host name are answered on
 * the sandbox's loopback; any other address is added to it.
 *
 * @example
 * lucidAddress({ url: 'http://127.0.0.1:3000', socket })  // { listen: '127.0.0.1', port: 3000, … }
 * lucidAddress({ url: 'https://lucid.example.com', socket }) // { listen: '127.0.0.1', port: 443, hostName: … }
 */
export function lucidAddress(endpoint: LucidEndpoint): LucidAddress {
  const url = new URL(endpoint.url);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const base = { port, socket: endpoint.socket };
  if (host === 'localhost') return { ...base, listen: '127.0.0.1' };
  const family = net.isIP(host);
  if (family === 0) return { ...base, listen: '127.0.0.1', hostName: host };
  if ((family === 4 && host.startsWith('127.')) || host === '::1') return { ...base, listen: host };
  return { ...base, listen: host, addToLoopback: `${host}/${family === 4 ? 32 : 128}` };
}

/** The namespace a sandbox's commands join: its holder's host pid, and its `net:[inode]`. */
export interface NetworkNamespace {
  pid: number;
  net: string;
}

export interface SandboxNetworkTools {
  bwrap: string;
  /** iproute2's `ip`, to put a non-loopback address of Lucid's on the loopback. */
  ip: string | null;
  /** The node binary that runs the relay. */
  node: string;
}

interface Holder {
  child: SpawnedProcess;
  namespace: NetworkNamespace;
  address: LucidAddress;
  alive: boolean;
}

/**
 * One sandbox's network: started on a command's first need, started again when the relay died or
 * Lucid's address changed, stopped with the sandbox.
 *
 * @example
 * const network = new SandboxNetwork(tools, () => driverAddress);
 * const namespace = await network.enter(); // then nsenter --net=/proc/<pid>/ns/net …
 */
export class SandboxNetwork {
  private holder: Promise<Holder> | null = null;
  private closed = false;

  constructor(
    private readonly tools: SandboxNetworkTools,
    private readonly address: () => LucidAddress | null,
  ) {}

  /** The namespace to run a command in; null when Lucid's address is not known (no network). */
  async enter(): Promise<NetworkNamespace | null> {
    if (this.closed) throw new Error('The sandbox was removed.');
    const address = this.address();
    if (!address) return null;
    for (;;) {
      const pending = this.holder;
      if (pending) {
        const holder = await pending.catch(() => null);
        if (holder?.alive && holder.address === address) return holder.namespace;
        if (this.holder !== pending) continue;
        if (holder) await this.stop(holder);
      }
      const starting = this.start(address);
      this.holder = starting;
      try {
        return (await starting).namespace;
      } catch (error) {
        if (this.holder === starting) this.holder = null;
        throw error;
      }
    }
  }

  /** Stops the relay; the namespace goes when its last process ends. */
  async close(): Promise<void> {
    this.closed = true;
    const holder = await this.holder?.catch(() => null);
    this.holder = null;
    if (holder) await this.stop(holder);
  }

  private async stop(holder: Holder): Promise<void> {
    holder.alive = false;
    await killProcessTree(holder.child.pid);
  }

  private async start(address: LucidAddress): Promise<Holder> {
    const { bwrap, ip, node } = this.tools;
    const relay = [INSIDE.node, INSIDE.relay, INSIDE.socket, String(address.port), address.listen];
    let command = relay;
    if (address.addToLoopback) {
      if (!ip) {
        throw new Error(
          `Lucid's URL names the address ${address.listen}, which a local sandbox can answer only ` +
            "with iproute2's ip on the host: install iproute2, or give Lucid's URL a host name.",
        );
      }
      command = [
        '/bin/sh',
        '-c',
        '"$0" address add "$1" dev lo && shift && exec "$@"',
        path.join('/run/lucid', 'ip'),
        address.addToLoopback,
        ...relay,
      ];
    }
    const capabilities = [
      ...(address.port < 1024 ? ['CAP_NET_BIND_SERVICE'] : []),
      ...(address.addToLoopback ? ['CAP_NET_ADMIN'] : []),
    ];
    const args = [
      '--unshare-user',
      '--unshare-net',
      '--die-with-parent',
      '--new-session',
      '--cap-drop',
      'ALL',
      ...capabilities.flatMap((name) => ['--cap-add', name]),
      ...systemFolderArgs(),
      '--ro-bind',
      node,
      INSIDE.node,
      '--ro-bind',
      RELAY_SCRIPT,
      INSIDE.relay,
      '--ro-bind',
      address.socket,
      INSIDE.socket,
      ...(address.addToLoopback && ip ? ['--ro-bind', ip, '/run/lucid/ip'] : []),
      '--',
      ...command,
    ];
    const child = await spawnProcess(bwrap, args, {
      env: { PATH: '/usr/bin:/bin' },
      cwd: '/',
      detached: true,
    });
    child.stdin.on('error', () => undefined);
    let errors = '';
    child.stderr.on(
      'data',
      (chunk: Buffer) => (errors = `${errors}${chunk.toString()}`.slice(-4096)),
    );
    child.stderr.resume();
    try {
      await ready(child);
      const [pid] = await childrenOf(child.pid);
      if (pid === undefined) throw new Error('the relay is gone');
      const netNs = await readlink(`/proc/${pid}/ns/net`);
      if (netNs === (await readlink('/proc/self/ns/net'))) {
        throw new Error('the relay runs in the host network');
      }
      const holder: Holder = { child, namespace: { pid, net: netNs }, address, alive: true };
      void child.exited.then(() => (holder.alive = false));
      return holder;
    } catch (error) {
      await killProcessTree(child.pid);
      const reason = errors.trim() || (error as Error).message;
      throw new Error(`The sandbox's network could not start: ${reason}`);
    }
  }
}

/** Resolves once the relay says it listens; fails when it exits first or takes too long. */
function ready(child: SpawnedProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('the relay did not start in time')), START_MS);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (!seen.includes('ready\n')) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stdout.resume();
      resolve();
    };
    child.stdout.on('data', onData);
    child.stdout.resume();
    void child.exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`the relay exited with code ${code}`));
    });
  });
}
