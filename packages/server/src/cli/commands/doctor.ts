/**
 * @module cli/commands/doctor
 * `lucid doctor`: checks what Lucid needs on this machine, one line each (✓ or ✗, and what to do),
 * and exits non-zero when something required is missing. With docker sandboxes it proves their
 * path: from a throwaway sandbox on Lucid's network it reaches Lucid's sandbox endpoint, and finds
 * the metadata range and another sandbox out of reach.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { ConfigError, loadListenConfig, loadSandboxConfig, type Config } from '../../config.ts';
import type Docker from 'dockerode';
import { DockerDriver } from '../../sandbox/docker/docker-driver.ts';
import { connectDocker, pingEngine, engineAddress } from '../../sandbox/docker/engine.ts';
import {
  METADATA_ADDRESS,
  probeSandboxPath,
  type Attempt,
} from '../../sandbox/docker/path-probe.ts';
import { selectDriver } from '../../sandbox/select-driver.ts';

const run = promisify(execFile);
const MIN_NODE = [20, 19] as const;
const BWRAP = '/usr/bin/bwrap';

interface Check {
  ok: boolean;
  /** A failed required check makes the command fail; a failed optional one only informs. */
  required: boolean;
  text: string;
  /** Works, but worth a person's attention (shown with `!`). */
  warning?: boolean;
}

const passed = (text: string): Check => ({ ok: true, required: false, text });
const failed = (text: string, required = true): Check => ({ ok: false, required, text });

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check what Lucid needs on this machine: Node.js, git, Docker, the sandbox image…')
    .action(async () => {
      const checks: Check[] = [nodeCheck(), await gitCheck()];
      if (existsSync('.env')) process.loadEnvFile('.env');
      let config: Pick<Config, 'dataDir' | 'sandbox' | 'port'>;
      try {
        config = { ...loadSandboxConfig(process.env), ...loadListenConfig(process.env) };
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        checks.push(failed(`Configuration: ${error.problems.join('; ')}`));
        config = { ...loadSandboxConfig({}), ...loadListenConfig({}) };
      }
      const sandbox = await sandboxChecks(config);
      checks.push(...sandbox.checks);
      checks.push(await bwrapCheck(config, sandbox.engine));
      checks.push(await dataDirCheck(config.dataDir));

      for (const check of checks) {
        console.log(`${check.ok ? '✓' : check.warning ? '!' : '✗'} ${check.text}`);
      }
      const missing = checks.filter((check) => !check.ok && check.required).length;
      if (missing > 0) {
        console.log(`\n${missing} required check${missing === 1 ? '' : 's'} failed.`);
        process.exitCode = 1;
      } else {
        console.log('\nEverything Lucid needs is here.');
      }
    });
}

function nodeCheck(): Check {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? passed(`Node.js ${process.version}`)
    : failed(
        `Node.js ${process.version} is too old: install Node.js ${MIN_NODE.join('.')} or newer`,
      );
}

async function gitCheck(): Promise<Check> {
  try {
    const { stdout } = await run('git', ['--version']);
    return passed(`${stdout.trim().replace(/^git version/, 'git')}`);
  } catch {
    return failed('git is not installed: install it (apt-get install git)');
  }
}

/** The Docker engine, the sandbox image, the driver the configuration picks, and the sandbox path. */
async function sandboxChecks(
  config: Pick<Config, 'dataDir' | 'sandbox' | 'port'>,
): Promise<{ checks: Check[]; engine: boolean }> {
  let docker;
  try {
    docker = connectDocker();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { checks: [failed(`Docker engine: ${error.problems.join('; ')}`)], engine: false };
  }
  const wantsDocker = config.sandbox.driver === 'docker';
  const local = config.sandbox.driver === 'local' || config.sandbox.driver === 'local-unsafe';
  const engine = await pingEngine(docker, 3000);
  const checks: Check[] = [];
  if (engine) {
    checks.push(
      passed(`Docker engine ${engine.version} (API ${engine.apiVersion}) at ${engine.address}`),
    );
    const image = config.sandbox.image;
    const info = await docker
      .getImage(image)
      .inspect()
      .catch(() => null);
    checks.push(
      info
        ? passed(`Sandbox image ${image} (${Math.round(info.Size / 1024 / 1024)} MiB)`)
        : failed(
            `Sandbox image ${image} is not built: run lucid sandbox build ` +
              '(--base IMAGE where debian:bookworm-slim cannot be pulled)',
            !local,
          ),
    );
  } else {
    checks.push(
      failed(
        `No Docker engine answers at ${await engineAddress(docker)}: install Docker and start it, ` +
          'or point DOCKER_HOST at an engine' +
          (wantsDocker
            ? ''
            : ' (optional: sandboxes fall back to the local driver and bubblewrap)'),
        wantsDocker,
      ),
    );
  }
  if (!wantsDocker || engine) {
    const { driver, refusal } = await selectDriver(config, { docker });
    const how = config.sandbox.driver === 'auto' ? 'LUCID_SANDBOX=auto picks' : 'LUCID_SANDBOX is';
    const text = `Sandbox driver: ${how} ${config.sandbox.driver === 'local-unsafe' ? 'local-unsafe' : driver.kind}`;
    if (refusal) checks.push(failed(`${text}, but no sandbox can run: ${refusal}`));
    else if (config.sandbox.driver === 'local-unsafe') {
      checks.push({
        ok: false,
        required: false,
        warning: true,
        text: `${text}; isolation: ${driver.isolation}`,
      });
    } else checks.push(passed(`${text}; isolation: ${driver.isolation}`));
    if (!refusal && driver instanceof DockerDriver && config.sandbox.network === 'bridge') {
      checks.push(...(await pathChecks(docker, driver, config)));
    }
  } else {
    checks.push(failed('Sandbox driver: LUCID_SANDBOX is docker, but no engine answers'));
  }
  return { checks, engine: engine !== null };
}

/** Lucid's sandbox network, its firewall, and what a sandbox on it reaches. */
async function pathChecks(
  docker: Docker,
  driver: DockerDriver,
  config: Pick<Config, 'sandbox' | 'port'>,
): Promise<Check[]> {
  let probe;
  try {
    probe = await probeSandboxPath({
      docker,
      driver,
      port: config.port,
      sandboxUrl: config.sandbox.url,
    });
  } catch (error) {
    return [failed(`Sandbox path: ${error instanceof Error ? error.message : String(error)}`)];
  }
  const { network, firewall, endpoint, metadata, peer } = probe;
  const checks: Check[] = [
    passed(
      `Sandbox network ${network.name}: gateway ${network.gateway} (subnet ${network.subnet}, ` +
        `bridge ${network.bridge}), inter-container traffic off`,
    ),
    firewall.enforced
      ? passed(
          `Sandbox firewall: on the engine's host sandboxes reach only Lucid's port ` +
            `(${config.port}) at ${network.gateway}, and nothing in 169.254.0.0/16`,
        )
      : failed(
          `Sandbox firewall is not enforced: ${firewall.reason}; sandboxes can reach every port ` +
            `of the engine's host and 169.254.0.0/16`,
          false,
        ),
  ];
  const where = `${endpoint.url}${endpoint.address ? ` (${endpoint.address})` : ''}`;
  if (endpoint.git.status === null) {
    checks.push(
      failed(
        `From a sandbox, nothing answers at ${where} (${reach(endpoint.git)})` +
          (endpoint.problem ? `: ${endpoint.problem}; set LUCID_SANDBOX_URL` : ''),
      ),
    );
  } else if (endpoint.answeredBy === 'stand-in') {
    checks.push(
      passed(
        `From a sandbox, ${where} is reachable: Lucid does not listen there now, so doctor ` +
          'answered in its stead',
      ),
    );
  } else if (endpoint.api && endpoint.api.status !== 404) {
    checks.push(
      failed(
        `From a sandbox, Lucid answers at ${where}, and its API too (/healthz: ` +
          `${reach(endpoint.api)}): sandboxes must reach only /git/ and /llm/`,
      ),
    );
  } else {
    checks.push(passed(`From a sandbox, Lucid answers at ${where}, and refuses it the API`));
  }
  if (metadata.status !== null) {
    checks.push(failed(`From a sandbox, ${METADATA_ADDRESS} answers (HTTP ${metadata.status})`));
  } else if (firewall.enforced) {
    checks.push(passed(`From a sandbox, ${METADATA_ADDRESS} is unreachable (${reach(metadata)})`));
  } else {
    checks.push(
      failed(
        `From a sandbox, ${METADATA_ADDRESS} does not answer here, but nothing keeps sandboxes ` +
          'from it where something does',
        false,
      ),
    );
  }
  if (!peer.listening) {
    checks.push(failed(`Another sandbox could not listen at ${peer.address} to be probed`, false));
  } else if (peer.attempt.status !== null) {
    checks.push(
      failed(`From a sandbox, another sandbox (${peer.address}) answers: they must not meet`),
    );
  } else {
    checks.push(
      passed(
        `From a sandbox, another sandbox (${peer.address}) is unreachable (${reach(peer.attempt)})`,
      ),
    );
  }
  return checks;
}

function reach(attempt: Attempt): string {
  if (attempt.status !== null) return `HTTP ${attempt.status}`;
  return attempt.refused ? 'refused' : 'no answer';
}

async function bwrapCheck(config: Pick<Config, 'sandbox'>, engine: boolean): Promise<Check> {
  if (!existsSync(BWRAP)) {
    const needed =
      config.sandbox.driver === 'local' || (config.sandbox.driver === 'auto' && !engine);
    return failed(
      'bubblewrap is not installed: install it (apt-get install bubblewrap); local sandboxes ' +
        'need it to run confined (optional with Docker)',
      needed,
    );
  }
  const version = await run(BWRAP, ['--version']).then(
    ({ stdout }) => stdout.trim(),
    () => 'bubblewrap',
  );
  return passed(`${version} at ${BWRAP}`);
}

async function dataDirCheck(dataDir: string): Promise<Check> {
  const probe = path.join(dataDir, `.doctor-${process.pid}`);
  try {
    const created = await mkdir(dataDir, { recursive: true });
    await writeFile(probe, '');
    await rm(probe);
    if (created) await rm(created, { recursive: true });
    return passed(
      `Data dir ${dataDir} is writable${created ? ' (it is made on first start)' : ''}`,
    );
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    return failed(
      `Data dir ${dataDir} is not writable (${reason}): fix its permissions or set LUCID_DATA_DIR`,
    );
  }
}
