/**
 * @module sandbox/select-driver
 * Picks the sandbox driver the configuration asks for: `docker` (an engine must answer), `local`,
 * or `auto`: docker when an engine answers within a second, else local, with a warning that its
 * isolation is weaker. A docker driver's network is made and fenced here already, so that what
 * cannot be enforced is said at start (by the server and by `lucid runner` alike).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { ConfigError, type Config } from '../config.ts';
import type { SandboxDriver } from './driver.ts';
import { DockerDriver } from './docker/docker-driver.ts';
import { connectDocker, engineAddress, pingEngine, type EngineInfo } from './docker/engine.ts';
import { LocalDriver } from './local/local-driver.ts';

/** How long `auto` waits for a Docker engine to answer. */
export const AUTO_PING_MS = 1000;

const BWRAP = '/usr/bin/bwrap';

export interface SelectedDriver {
  driver: SandboxDriver;
  /** The engine docker sandboxes run on; null for the local driver. */
  engine: EngineInfo | null;
  /** Lines worth a warning at start: weaker isolation, a missing image. */
  warnings: string[];
}

export interface SelectDriverOptions {
  /** The engine client; one for `DOCKER_HOST` or the local socket by default. */
  docker?: Docker;
}

/**
 * @example
 * const { driver, warnings } = await selectDriver(config);
 * logger.info(`sandboxes: ${driver.kind} (${driver.isolation})`);
 */
export async function selectDriver(
  config: Pick<Config, 'dataDir' | 'sandbox'>,
  options: SelectDriverOptions = {},
): Promise<SelectedDriver> {
  const choice = config.sandbox.driver;
  if (choice === 'local')
    return { driver: localDriver(config.dataDir), engine: null, warnings: [] };

  const docker = options.docker ?? connectDocker();
  const engine = await pingEngine(docker, choice === 'docker' ? 5000 : AUTO_PING_MS);
  if (engine) {
    const warnings: string[] = [];
    const image = config.sandbox.image;
    if (
      !(await docker
        .getImage(image)
        .inspect()
        .then(
          () => true,
          () => false,
        ))
    ) {
      warnings.push(
        `The sandbox image ${image} is not on the Docker engine; build it with: lucid sandbox build`,
      );
    }
    const driver = new DockerDriver({ docker, image });
    if (config.sandbox.network === 'bridge') warnings.push(...(await networkWarnings(driver)));
    return { driver, engine, warnings };
  }
  if (choice === 'docker') {
    throw new ConfigError([
      `LUCID_SANDBOX is docker, but no Docker engine answers at ${await engineAddress(docker)}: ` +
        'start dockerd, point DOCKER_HOST at an engine, or set LUCID_SANDBOX=auto',
    ]);
  }
  const driver = localDriver(config.dataDir);
  return {
    driver,
    engine: null,
    warnings: [
      `No Docker engine answers at ${await engineAddress(docker)}, so sandboxes use the local driver, ` +
        `whose isolation is weaker: ${driver.isolation}`,
    ],
  };
}

/** What keeps docker sandboxes from being fenced as they should, if anything. */
async function networkWarnings(driver: DockerDriver): Promise<string[]> {
  try {
    const { network, firewall } = await driver.prepareNetwork();
    if (firewall.enforced) return [];
    return [
      `Sandboxes are not fenced on the Docker engine's host: ${firewall.reason}. They can reach ` +
        `every port of that host at ${network.gateway} and link-local addresses such as ` +
        '169.254.169.254; lucid doctor checks it',
    ];
  } catch (error) {
    return [
      `Lucid's Docker network for sandboxes is not ready (${error instanceof Error ? error.message : String(error)}); ` +
        'it is made again as sandboxes start',
    ];
  }
}

function localDriver(dataDir: string): LocalDriver {
  return new LocalDriver({
    root: path.join(dataDir, 'sandboxes'),
    bwrap: existsSync(BWRAP) ? BWRAP : null,
  });
}
