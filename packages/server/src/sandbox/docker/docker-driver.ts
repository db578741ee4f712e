/**
 * @module sandbox/docker/docker-driver
 * The `docker` sandbox driver: one hardened container per sandbox (see container-config.ts),
 * driven through the Docker Engine API with dockerode, never the docker CLI. Containers are found
 * again by their `lucid.sandbox` label, so a new process picks up the sandboxes of an old one.
 */
import Docker from 'dockerode';
import { AppError } from '../../errors.ts';
import type { SandboxDriver, SandboxInfo, SandboxSpec } from '../driver.ts';
import { containerConfig, SANDBOX_LABEL, specLabels } from './container-config.ts';
import { DockerSandbox } from './docker-sandbox.ts';
import { statusOf } from './engine.ts';
import { readOomKills } from './oom-kills.ts';

export interface DockerDriverOptions {
  /** The engine client; one for `DOCKER_HOST` or the local socket by default. */
  docker?: Docker;
  /** Image of sandboxes whose spec names none. */
  image: string;
}

/**
 * @example
 * const driver = new DockerDriver({ image: 'lucid-sandbox:latest' });
 * const sandbox = await driver.create({ labels: { 'lucid.task': id }, network: 'bridge', limits });
 * const { stdout } = await sandbox.exec(['git', '--version']);
 */
export class DockerDriver implements SandboxDriver {
  readonly kind = 'docker' as const;
  readonly isolation =
    'a Docker container per sandbox: non-root user, no capabilities, no-new-privileges, ' +
    'read-only root filesystem, memory, CPU and process limits, its own network namespace';
  private readonly docker: Docker;
  private readonly image: string;

  constructor(options: DockerDriverOptions) {
    this.docker = options.docker ?? new Docker();
    this.image = options.image;
  }

  async create(spec: SandboxSpec): Promise<DockerSandbox> {
    const image = spec.image ?? this.image;
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(containerConfig(spec, this.image));
    } catch (error) {
      if (statusOf(error) === 404 && /no such image/i.test(String(error))) {
        throw new AppError(
          'unavailable',
          `The sandbox image ${image} is not on the Docker engine; build it with: lucid sandbox build`,
        );
      }
      throw error;
    }
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
}
