/**
 * @module sandbox/docker/docker-driver
 * The `docker` sandbox driver: one hardened container per sandbox (see container-config.ts),
 * driven through the Docker Engine API with dockerode, never the docker CLI. Containers are found
 * again by their `lucid.sandbox` label, so a new process picks up the sandboxes of an old one.
 * Sandboxes with a network join Lucid's own (sandbox-network.ts), which the driver makes and fences
 * (firewall.ts) on the engine it drives before its first such sandbox, wherever it runs.
 */
import Docker from 'dockerode';
import { AppError } from '../../errors.ts';
import type { SandboxDriver, SandboxInfo, SandboxSpec } from '../driver.ts';
import { containerConfig, SANDBOX_LABEL, specLabels } from './container-config.ts';
import { DockerSandbox } from './docker-sandbox.ts';
import { engineAddress, pingEngine, statusOf } from './engine.ts';
import { fenceSandboxNetwork, type FirewallState } from './firewall.ts';
import { readOomKills } from './oom-kills.ts';
import { ensureSandboxNetwork, type SandboxNetwork } from './sandbox-network.ts';

export interface DockerDriverOptions {
  /** The engine client; one for `DOCKER_HOST` or the local socket by default. */
  docker?: Docker;
  /** Image of sandboxes whose spec names none. */
  image: string;
}

/** Lucid's sandbox network on the driver's engine, and whether its firewall holds. */
export interface PreparedNetwork {
  network: SandboxNetwork;
  firewall: FirewallState;
}

/**
 * @example
 * const driver = new DockerDriver({ image: 'lucid-sandbox:latest' });
 * const sandbox = await driver.create({ labels: { 'lucid.task': id }, network: 'bridge', limits });
 * // on the network lucid-sandboxes; host.docker.internal is its gateway
 * const { stdout } = await sandbox.exec(['git', '--version']);
 */
export class DockerDriver implements SandboxDriver {
  readonly kind = 'docker' as const;
  readonly isolation =
    'a Docker container per sandbox: non-root user, no capabilities, no-new-privileges, ' +
    'read-only root filesystem, memory, CPU and process limits, its own network namespace ' +
    "on Lucid's sandbox network, apart from the other sandboxes";
  private readonly docker: Docker;
  private readonly image: string;
  private prepared: Promise<PreparedNetwork> | null = null;

  constructor(options: DockerDriverOptions) {
    this.docker = options.docker ?? new Docker();
    this.image = options.image;
  }

  /** Asks the engine whether it answers (`/readyz`); throws, saying where, when it does not in 2 s. */
  async ping(): Promise<void> {
    if (await pingEngine(this.docker, 2_000)) return;
    throw new Error(`no answer from ${await engineAddress(this.docker)} within 2 s`);
  }

  async create(spec: SandboxSpec): Promise<DockerSandbox> {
    const container = await this.createContainer(spec, true);
    try {
      await container.start();
    } catch (error) {
      await container.remove({ force: true, v: true }).catch(() => undefined);
      throw error;
    }
    return new DockerSandbox(this.docker, container, { ...spec.labels }, 0);
  }

  /**
   * The sandbox with this full container id (64 hex digits), or null. The engine would also
   * resolve a name or an id's prefix: neither is taken, so an id names one sandbox only.
   */
  async get(id: string): Promise<DockerSandbox | null> {
    if (!/^[0-9a-f]{64}$/.test(id)) return null;
    const container = this.docker.getContainer(id);
    let info: Docker.ContainerInspectInfo;
    try {
      info = await container.inspect();
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
    const labels = info.Config.Labels ?? {};
    if (info.Id !== id || labels[SANDBOX_LABEL] !== '1') return null;
    if (!info.State.Running) await container.start();
    const found = this.docker.getContainer(info.Id);
    return new DockerSandbox(
      this.docker,
      found,
      specLabels(labels),
      await readOomKills(this.docker, found),
    );
  }

  async list(labels: Record<string, string> = {}): Promise<SandboxInfo[]> {
    const filters = [`${SANDBOX_LABEL}=1`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
    const containers = await this.docker.listContainers({ all: true, filters: { label: filters } });
    return containers.map((container) => ({
      id: container.Id,
      labels: specLabels(container.Labels),
      createdAt: new Date(container.Created * 1000),
      running: container.State === 'running',
    }));
  }

  /**
   * Makes Lucid's sandbox network on the engine when it is missing and applies its firewall; once
   * per driver, and again after a failure or when the network has gone.
   *
   * @example
   * const { network, firewall } = await driver.prepareNetwork();
   * if (!firewall.enforced) log.warn(`sandboxes are not fenced: ${firewall.reason}`);
   */
  prepareNetwork(): Promise<PreparedNetwork> {
    if (!this.prepared) {
      const preparing = (async () => {
        const network = await ensureSandboxNetwork(this.docker);
        const firewall = await fenceSandboxNetwork(this.docker, { image: this.image, network });
        return { network, firewall };
      })();
      this.prepared = preparing;
      preparing.catch(() => {
        if (this.prepared === preparing) this.prepared = null;
      });
    }
    return this.prepared;
  }

  /** Lets sandboxes reach `port` on the engine's host at the network's gateway (Lucid's listener). */
  async allowHostPort(port: number): Promise<FirewallState> {
    const { network } = await this.prepareNetwork();
    return fenceSandboxNetwork(this.docker, { image: this.image, network, allow: [port] });
  }

  /** Closes `port` to sandboxes again. */
  async revokeHostPort(port: number): Promise<FirewallState> {
    const { network } = await this.prepareNetwork();
    return fenceSandboxNetwork(this.docker, { image: this.image, network, revoke: [port] });
  }

  private async createContainer(spec: SandboxSpec, retry: boolean): Promise<Docker.Container> {
    const image = spec.image ?? this.image;
    const prepared = spec.network === 'bridge' ? await this.prepareNetwork() : null;
    try {
      return await this.docker.createContainer(
        containerConfig(spec, this.image, prepared?.network ?? null),
      );
    } catch (error) {
      if (statusOf(error) === 404 && /no such image/i.test(String(error))) {
        throw new AppError(
          'unavailable',
          `The sandbox image ${image} is not on the Docker engine; build it with: lucid sandbox build`,
        );
      }
      if (prepared && retry && statusOf(error) === 404 && /network/i.test(String(error))) {
        // Someone removed the network since: make it again.
        this.prepared = null;
        return this.createContainer(spec, false);
      }
      throw error;
    }
  }
}
