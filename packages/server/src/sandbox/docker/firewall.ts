/**
 * @module sandbox/docker/firewall
 * The firewall around Lucid's sandbox network, on the engine's host. Lucid asks the engine itself to
 * run firewall.sh in a short-lived container of the sandbox image (which carries Debian's iptables)
 * with the host's network and NET_ADMIN, so it works wherever the engine runs (a remote host
 * included) for whoever may use the engine, without Lucid running as root. Where that cannot be
 * done (an image without iptables, an engine that does not manage iptables), the result says why.
 */
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { engineMessage, statusOf } from './engine.ts';
import type { SandboxNetwork } from './sandbox-network.ts';

const script = readFileSync(new URL('./firewall.sh', import.meta.url), 'utf8');

/** The label on the firewall's short-lived containers. */
export const FIREWALL_LABEL = 'lucid.firewall';

/** Whether the firewall fences the network, and why not when it does not. */
export type FirewallState = { enforced: true } | { enforced: false; reason: string };

export interface FenceOptions {
  /** The image to run iptables from: the sandbox image. */
  image: string;
  network: Pick<SandboxNetwork, 'bridge' | 'gateway'>;
  /** Ports on the host, at the network's gateway, that sandboxes may reach from now on. */
  allow?: number[];
  /** Ports sandboxes may no longer reach. */
  revoke?: number[];
}

/**
 * Applies the sandbox network's firewall (rules already there are kept) and the port changes asked.
 *
 * @example
 * const state = await fenceSandboxNetwork(docker, { image, network, allow: [3000] });
 * if (!state.enforced) log.warn(`sandboxes are not fenced: ${state.reason}`);
 */
export async function fenceSandboxNetwork(
  docker: Docker,
  { image, network, allow = [], revoke = [] }: FenceOptions,
): Promise<FirewallState> {
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      Image: image,
      Entrypoint: ['bash', '-c', script, 'lucid-firewall'],
      Cmd: [
        network.bridge,
        network.gateway,
        ...allow.map((port) => `allow:${port}`),
        ...revoke.map((port) => `revoke:${port}`),
      ],
      User: '0:0',
      Tty: true,
      Labels: { [FIREWALL_LABEL]: '1' },
      HostConfig: {
        NetworkMode: 'host',
        UsernsMode: 'host',
        CapDrop: ['ALL'],
        CapAdd: ['NET_ADMIN'],
        SecurityOpt: ['no-new-privileges'],
        ReadonlyRootfs: true,
        Tmpfs: { '/run': 'rw,size=1m', '/tmp': 'rw,size=1m' },
        RestartPolicy: { Name: 'no' },
      },
    });
  } catch (error) {
    if (statusOf(error) === 404 && /no such image/i.test(String(error))) {
      return notEnforced(
        `the firewall runs from the sandbox image ${image}, which is not on the engine`,
      );
    }
    return notEnforced(`the engine refused the firewall's container (${engineMessage(error)})`);
  }
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    if (StatusCode === 0) return { enforced: true };
    const log = ((await container.logs({ stdout: true, stderr: true })) as Buffer)
      .toString('utf8')
      .trim();
    const last = log.split(/\r?\n/).at(-1)?.trim();
    return notEnforced(last || `iptables exited with ${StatusCode}`);
  } catch (error) {
    return notEnforced(`the firewall's container failed (${engineMessage(error)})`);
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

function notEnforced(reason: string): FirewallState {
  return { enforced: false, reason };
}
