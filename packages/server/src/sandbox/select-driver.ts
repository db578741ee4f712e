/**
 * @module sandbox/select-driver
 * Picks the sandbox driver the configuration asks for: `docker` (an engine must answer), `local`
 * (bubblewrap must work), `auto` (docker when an engine answers within a second, else local), or
 * `local-unsafe` (commands unconfined, only when chosen by name, with a warning). Where `local` or
 * `auto` find no way to confine commands, the driver refuses every sandbox, saying what to install
 * or set: nothing falls back to running commands unconfined. A docker driver's network is made and
 * fenced here already, so that what cannot be enforced is said at start (by the server and by
 * `lucid runner` alike).
 */
import path from 'node:path';
import type Docker from 'dockerode';
import { ConfigError, type Config } from '../config.ts';
import { spawnProcess } from '../process/spawn.ts';
import type { SandboxDriver } from './driver.ts';
import { DockerDriver } from './docker/docker-driver.ts';
import { connectDocker, engineAddress, pingEngine, type EngineInfo } from './docker/engine.ts';
import { findTool, LocalDriver } from './local/local-driver.ts';
import { RefusingDriver } from './local/refusing-driver.ts';
import { systemFolderArgs } from './local/system-view.ts';

/** How long `auto` waits for a Docker engine to answer. */
export const AUTO_PING_MS = 1000;

export interface SelectedDriver {
  driver: SandboxDriver;
  /** The engine docker sandboxes run on; null for the local driver. */
  engine: EngineInfo | null;
  /** Lines worth a warning at start: weaker isolation, a missing image. */
  warnings: string[];
  /**
   * Why no sandbox can run here and what to do, when the driver refuses every sandbox (a run
   * then fails with this); null when sandboxes run.
   */
  refusal: string | null;
}

export interface SelectDriverOptions {
  /** The engine client; one for `DOCKER_HOST` or the local socket by default. */
  docker?: Docker;
  /** Path of `bwrap`, null when there is none; found on the usual paths by default. */
  bwrap?: string | null;
}

/** The warning `local-unsafe` gives at every start. */
export const UNCONFINED_WARNING =
  "LUCID_SANDBOX=local-unsafe: agents' commands run UNCONFINED as this server's own user: they " +
  'can read and change everything that user can, the data dir with its database and encryption ' +
  'key included, and reach every network. Use it only where every repository and prompt is ' +
  'trusted; install bubblewrap or Docker to confine them.';

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
  const root = path.join(config.dataDir, 'sandboxes');
  if (choice === 'local-unsafe') {
    const driver = new LocalDriver({ root, unconfined: true });
    return { driver, engine: null, warnings: [UNCONFINED_WARNING], refusal: null };
  }
  if (choice === 'local') return confinedLocal(root, options, 'LUCID_SANDBOX is local, but');

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
    return { driver, engine, warnings, refusal: null };
  }
  if (choice === 'docker') {
    throw new ConfigError([
      `LUCID_SANDBOX is docker, but no Docker engine answers at ${await engineAddress(docker)}: ` +
        'start dockerd, point DOCKER_HOST at an engine, or set LUCID_SANDBOX=auto',
    ]);
  }
  const address = await engineAddress(docker);
  const selected = await confinedLocal(
    root,
    options,
    `no Docker engine answers at ${address} and`,
    ', or start Docker',
  );
  if (!selected.refusal) {
    selected.warnings.push(
      `No Docker engine answers at ${address}, so sandboxes use the local driver: ` +
        selected.driver.isolation,
    );
  }
  return selected;
}

/** What keeps local sandboxes from being confined, and what fixes it. */
interface Problem {
  what: string;
  fix: string;
}

/** The bubblewrap driver, or a driver refusing every sandbox when bubblewrap cannot confine one. */
async function confinedLocal(
  root: string,
  options: SelectDriverOptions,
  lead: string,
  orDocker = '',
): Promise<SelectedDriver> {
  const bwrap = options.bwrap === undefined ? findTool('bwrap') : options.bwrap;
  const problem: Problem | null = !bwrap
    ? {
        what: 'bubblewrap is not installed',
        fix: `install bubblewrap (apt-get install bubblewrap)${orDocker}`,
      }
    : !findTool('nsenter')
      ? { what: "util-linux's nsenter is missing", fix: `install util-linux${orDocker}` }
      : await bubblewrapProblem(bwrap, orDocker);
  if (problem) {
    const refusal =
      `Agents' commands cannot run here: ${lead} ${problem.what}, so no sandbox can be ` +
      `confined. To run them, ${problem.fix}; or set LUCID_SANDBOX=local-unsafe to run them ` +
      "unconfined as the server's own user; or set LUCID_RUNNER_SLOTS=0 to leave runs to " +
      'remote runners.';
    return { driver: new RefusingDriver(refusal), engine: null, warnings: [], refusal };
  }
  return {
    driver: new LocalDriver({ root, bwrap: bwrap as string }),
    engine: null,
    warnings: [],
    refusal: null,
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

/** Why bubblewrap cannot make a sandbox here (user namespaces off, say), or null when it can. */
async function bubblewrapProblem(bwrap: string, orDocker: string): Promise<Problem | null> {
  const fix = `allow unprivileged user namespaces${orDocker}`;
  try {
    const child = await spawnProcess(
      bwrap,
      ['--unshare-all', '--die-with-parent', ...systemFolderArgs(), '--', 'true'],
      { env: { PATH: '/usr/bin:/bin' }, cwd: '/' },
    );
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout.resume();
    child.stderr.resume();
    child.stdin.end();
    const { code } = await child.closed;
    if (code === 0) return null;
    return { what: `bubblewrap fails (${errors.trim() || `exit code ${code}`})`, fix };
  } catch (error) {
    return { what: `bubblewrap cannot start (${(error as Error).message})`, fix };
  }
}
