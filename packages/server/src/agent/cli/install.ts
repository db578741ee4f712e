/**
 * @module agent/cli/install
 * The runner's agent cache: each enabled CLI agent's pinned packages, installed once with npm into
 * `<cache>/<name>@<version>` on the runner's host, and mounted read-only into every sandbox at
 * /opt/lucid/agents. A version is installed into a temporary folder and renamed into place, so a
 * half-finished install is never used; an installed version is kept until the cache is deleted.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { spawnProcess } from '../../process/spawn.ts';
import { installFolder, type CliAgentDefinition } from './cli-agent.ts';

/**
 * Installs what is missing; returns the cache folder.
 *
 * @example
 * await installCliAgents({ cacheDir: '/var/lib/lucid/agents', agents: [claudeCode] });
 */
export async function installCliAgents({
  cacheDir,
  agents,
  log,
}: {
  cacheDir: string;
  agents: CliAgentDefinition[];
  log?: (message: string) => void;
}): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  for (const agent of agents) {
    const target = path.join(cacheDir, installFolder(agent));
    if (existsSync(target)) continue;
    const packages = agent.packages({ os: process.platform, arch: process.arch });
    log?.(`Installing ${packages.join(' ')} into ${target}`);
    const staging = await mkdtemp(path.join(cacheDir, '.installing-'));
    try {
      await npmInstall(staging, packages);
      // Readable by the sandbox's user (mkdtemp makes it private).
      await chmod(staging, 0o755);
      await rename(staging, target);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      // Another runner sharing the cache finished the same install first.
      if (!existsSync(target)) throw error;
    }
  }
  return cacheDir;
}

/** What npm needs of the runner's environment to reach its registry: proxies, extra CAs, the registry. */
function npmEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
  };
  for (const [name, value] of Object.entries(process.env)) {
    if (
      /^(https?_proxy|no_proxy|node_extra_ca_certs|npm_config_(registry|cafile|proxy|https_proxy))$/i.test(
        name,
      )
    ) {
      env[name] = value;
    }
  }
  return env;
}

async function npmInstall(prefix: string, packages: string[]): Promise<void> {
  const child = await spawnProcess(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
      ...packages,
    ],
    { env: npmEnv(), cwd: prefix },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  child.stderr.resume();
  child.stdout.resume();
  child.stdin.end();
  const { code } = await child.closed;
  if (code !== 0) {
    throw new Error(`npm install ${packages.join(' ')} failed (exit ${code}): ${stderr.trim()}`);
  }
}
