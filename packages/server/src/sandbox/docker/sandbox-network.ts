/**
 * @module sandbox/docker/sandbox-network
 * Lucid's own Docker network for sandboxes (`lucid-sandboxes`, bridge interface `lucid0`), made on
 * the engine when missing, by whichever process drives sandboxes there (the server's runner or a
 * `lucid runner` on another host). Inter-container traffic is off, so sandboxes never reach each
 * other; the host is theirs at the network's gateway, which `host.docker.internal` names.
 */
import type Docker from 'dockerode';
import { AppError } from '../../errors.ts';
import { engineMessage } from './engine.ts';

/** The network's name on every engine. */
export const SANDBOX_NETWORK = 'lucid-sandboxes';
/** The label marking the network as Lucid's. */
export const NETWORK_LABEL = 'lucid.network';
/** The name of the network's bridge interface on the engine's host. */
export const SANDBOX_BRIDGE = 'lucid0';

const ICC_OPTION = 'com.docker.network.bridge.enable_icc';
const BRIDGE_OPTION = 'com.docker.network.bridge.name';

/** Lucid's sandbox network as the engine reports it. */
export interface SandboxNetwork {
  id: string;
  name: string;
  /** The host's address on the network: where sandboxes reach Lucid. */
  gateway: string;
  subnet: string;
  /** The bridge interface on the engine's host. */
  bridge: string;
}

/** What the Engine API's network inspection holds that Lucid reads. */
export interface NetworkDetails {
  Id: string;
  Name: string;
  Created?: string;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
  IPAM?: { Config?: Array<{ Subnet?: string; Gateway?: string }> | null } | null;
}

/**
 * The host's IPv4 address on a network: the gateway its IPAM settings name or, where they name
 * none (the default bridge of Debian's Engine 20.10), the subnet's first address, which is the one
 * the engine gives its bridge. Null without an IPv4 subnet.
 *
 * @example
 * networkGateway({ Id: 'x', Name: 'bridge', IPAM: { Config: [{ Subnet: '172.17.0.0/16' }] } });
 * // '172.17.0.1'
 */
export function networkGateway(network: Pick<NetworkDetails, 'IPAM'>): string | null {
  const config = (network.IPAM?.Config ?? []).find((entry) => isIpv4Cidr(entry.Subnet));
  if (!config?.Subnet) return null;
  if (config.Gateway) return config.Gateway.replace(/\/\d+$/, '');
  const [base = '', bits = ''] = config.Subnet.split('/');
  const address = base.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  const first = address - (address % size) + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256).join('.');
}

function isIpv4Cidr(value: string | undefined): value is string {
  return value !== undefined && /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(value);
}

/** Which network: Lucid's by default; tests name one of their own. */
export interface NetworkName {
  name: string;
  bridge: string;
}

const LUCID: NetworkName = { name: SANDBOX_NETWORK, bridge: SANDBOX_BRIDGE };

/** The network named `name`, the oldest when a race made two. */
async function findNetwork(docker: Docker, name: string): Promise<NetworkDetails | null> {
  const listed = (await docker.listNetworks({ filters: { name: [name] } })) as NetworkDetails[];
  const [first] = listed
    .filter((network) => network.Name === name)
    .sort((a, b) => (a.Created ?? '').localeCompare(b.Created ?? '') || a.Id.localeCompare(b.Id));
  if (!first) return null;
  return (await docker.getNetwork(first.Id).inspect()) as NetworkDetails;
}

/**
 * Lucid's sandbox network on this engine, made first when it is missing. Safe to call from several
 * processes at once: the bridge's fixed name lets only one of them make it. Throws an `AppError`
 * (`unavailable`) when a network of that name is not Lucid's or lets containers reach each other.
 *
 * @example
 * const { gateway } = await ensureSandboxNetwork(docker); // '172.18.0.1'
 */
export async function ensureSandboxNetwork(
  docker: Docker,
  which: NetworkName = LUCID,
): Promise<SandboxNetwork> {
  return checked((await findNetwork(docker, which.name)) ?? (await createNetwork(docker, which)));
}

async function createNetwork(docker: Docker, which: NetworkName): Promise<NetworkDetails> {
  let failure: unknown = null;
  try {
    await docker.createNetwork({
      Name: which.name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: { [NETWORK_LABEL]: 'sandboxes' },
      Options: { [ICC_OPTION]: 'false', [BRIDGE_OPTION]: which.bridge },
    });
  } catch (error) {
    failure = error;
  }
  // Another process may have made it first: its bridge holds the name then, and this one failed.
  // The engine refuses the second bridge as soon as the first is in its store, a moment before it
  // lists the first network, so a failed make looks again for a while before giving up.
  for (let attempt = 0; attempt < (failure ? 20 : 1); attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    const found = await findNetwork(docker, which.name);
    if (found) return found;
  }
  throw new AppError(
    'unavailable',
    `The Docker network ${which.name} for sandboxes could not be made: ` +
      (failure ? engineMessage(failure) : 'the engine does not list it.'),
  );
}

function checked(network: NetworkDetails): SandboxNetwork {
  const fix = `remove it (docker network rm ${network.Name}) and Lucid makes its own`;
  if (network.Labels?.[NETWORK_LABEL] !== 'sandboxes') {
    throw new AppError(
      'unavailable',
      `A Docker network named ${network.Name} exists that Lucid did not make: ${fix}.`,
    );
  }
  if (network.Options?.[ICC_OPTION] !== 'false') {
    throw new AppError(
      'unavailable',
      `The Docker network ${network.Name} lets containers reach each other: ${fix}.`,
    );
  }
  const gateway = networkGateway(network);
  const subnet = (network.IPAM?.Config ?? []).find((entry) => isIpv4Cidr(entry.Subnet))?.Subnet;
  if (!gateway || !subnet) {
    throw new AppError(
      'unavailable',
      `The Docker network ${network.Name} has no IPv4 subnet: ${fix}.`,
    );
  }
  return {
    id: network.Id,
    name: network.Name,
    gateway,
    subnet,
    bridge: network.Options?.[BRIDGE_OPTION] ?? `br-${network.Id.slice(0, 12)}`,
  };
}
