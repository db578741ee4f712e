/**
 * @module sandbox/docker/path-probe
 * Proves, for `lucid doctor`, what a docker sandbox reaches: two throwaway sandboxes on Lucid's
 * network, one listening, the other asking Lucid's sandbox endpoint (the real one, or a stand-in
 * the probe opens on the gateway when nothing listens there), the API beside it, a link-local
 * address (169.254.169.254) and the listening sandbox.
 */
import { createServer, type Server } from 'node:http';
import type Docker from 'dockerode';
import type { DockerDriver } from './docker-driver.ts';
import type { FirewallState } from './firewall.ts';
import { SANDBOX_NETWORK, type SandboxNetwork } from './sandbox-network.ts';
import type { Sandbox } from '../driver.ts';

/** The link-local address the probe asks: where clouds serve instance metadata. */
export const METADATA_ADDRESS = '169.254.169.254';
const PEER_PORT = 8080;

/** What one request from the probing sandbox met. */
export interface Attempt {
  /** The HTTP status, or null when no answer came. */
  status: number | null;
  /** True when the connection was refused at once (a firewall's reject, or no listener). */
  refused: boolean;
}

export interface PathProbe {
  network: SandboxNetwork;
  firewall: FirewallState;
  /** Lucid's sandbox endpoint as sandboxes name it, and where that leads. */
  endpoint: {
    url: string;
    /** `gateway:port`, when the URL is host.docker.internal's. */
    address: string | null;
    /** Who was asked: Lucid itself, or the probe's stand-in because nothing listened there. */
    answeredBy: 'lucid' | 'stand-in';
    /** Why the probe could not stand in, when it could not. */
    problem: string | null;
    git: Attempt;
    /** The API's `/healthz` through the same endpoint (Lucid only). */
    api: Attempt | null;
  };
  metadata: Attempt;
  peer: {
    address: string;
    /** True when the listening sandbox answered itself, so that its silence elsewhere means something. */
    listening: boolean;
    attempt: Attempt;
  };
}

export interface ProbeOptions {
  docker: Docker;
  driver: DockerDriver;
  /** The port Lucid listens on. */
  port: number;
  /** LUCID_SANDBOX_URL, when set. */
  sandboxUrl?: string | undefined;
}

const PROBE_SCRIPT = `attempt() { curl -s -o /dev/null -w '%{http_code}' --connect-timeout 5 --max-time 10 "$1"; echo " $?"; }
echo "git $(attempt "$1/git/")"
echo "api $(attempt "$1/healthz")"
echo "metadata $(attempt "http://${METADATA_ADDRESS}/")"
echo "peer $(attempt "http://$2:${PEER_PORT}/")"`;

const PEER_SCRIPT = `node -e "require('http').createServer((q, r) => r.end('peer')).listen(${PEER_PORT})" >/dev/null 2>&1 &
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:${PEER_PORT}/ && exit 0; sleep 0.05; done
exit 1`;

/**
 * @example
 * const probe = await probeSandboxPath({ docker, driver, port: 3000 });
 * probe.endpoint.git.status; // 404: Lucid answered
 */
export async function probeSandboxPath(options: ProbeOptions): Promise<PathProbe> {
  const { docker, driver, port, sandboxUrl } = options;
  const { network, firewall } = await driver.prepareNetwork();
  const url = sandboxUrl ?? `http://host.docker.internal:${port}`;
  let problem: string | null = null;
  const standIn = sandboxUrl
    ? null
    : await listenInstead(network.gateway, port).catch((error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE') {
          problem =
            code === 'EADDRNOTAVAIL'
              ? `${network.gateway} is not an address of this machine (is the engine on another host?)`
              : String(error);
        }
        return null;
      });
  const opened = standIn && firewall.enforced ? await driver.allowHostPort(port) : null;
  const made: Sandbox[] = [];
  const spec = {
    labels: { 'lucid.doctor': '1' },
    limits: { memoryBytes: 256 * 1024 * 1024, cpus: 1, pids: 64 },
    network: 'bridge' as const,
  };
  try {
    const peer = await driver.create(spec);
    made.push(peer);
    const prober = await driver.create(spec);
    made.push(prober);
    const listening = (await peer.exec(['bash', '-c', PEER_SCRIPT])).exitCode === 0;
    const info = await docker.getContainer(peer.id).inspect();
    const peerAddress = info.NetworkSettings.Networks[SANDBOX_NETWORK]?.IPAddress ?? '';
    const { stdout } = await prober.exec(['bash', '-c', PROBE_SCRIPT, 'probe', url, peerAddress]);
    const seen = attempts(stdout);
    return {
      network,
      firewall,
      endpoint: {
        url,
        address: sandboxUrl ? null : `${network.gateway}:${port}`,
        answeredBy: standIn ? 'stand-in' : 'lucid',
        problem,
        git: seen.git,
        api: standIn ? null : seen.api,
      },
      metadata: seen.metadata,
      peer: { address: `${peerAddress}:${PEER_PORT}`, listening, attempt: seen.peer },
    };
  } finally {
    await Promise.all(made.map((sandbox) => sandbox.remove().catch(() => undefined)));
    if (standIn) await new Promise((resolve) => standIn.close(resolve));
    if (opened?.enforced) await driver.revokeHostPort(port);
  }
}

/** A listener answering sandboxes in Lucid's stead while Lucid does not run. */
function listenInstead(host: string, port: number): Promise<Server> {
  const server = createServer((_req, res) => res.end('lucid doctor\n'));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

function attempts(stdout: string): Record<'git' | 'api' | 'metadata' | 'peer', Attempt> {
  const found = new Map<string, Attempt>();
  for (const line of stdout.split('\n')) {
    const [name, status, exit] = line.trim().split(/\s+/);
    if (!name || status === undefined) continue;
    const code = Number(status);
    found.set(name, { status: code > 0 ? code : null, refused: exit === '7' });
  }
  const none: Attempt = { status: null, refused: false };
  return {
    git: found.get('git') ?? none,
    api: found.get('api') ?? none,
    metadata: found.get('metadata') ?? none,
    peer: found.get('peer') ?? none,
  };
}
