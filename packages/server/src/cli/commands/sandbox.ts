/**
 * @module cli/commands/sandbox
 * `lucid sandbox build`: builds the sandbox image from `sandbox-image/` through the Docker Engine
 * API, streaming the build log.
 */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { ConfigError, loadSandboxConfig } from '../../config.ts';
import {
  buildSandboxImage,
  DEFAULT_BASE_IMAGE,
  ImageBuildError,
} from '../../sandbox/docker/build-image.ts';
import { connectDocker, engineAddress, pingEngine } from '../../sandbox/docker/engine.ts';
import { isImageReference } from '../../sandbox/docker/image-reference.ts';
import { CliError } from '../cli-error.ts';

interface BuildOptions {
  base: string;
  tag?: string;
}

export function sandboxCommand(): Command {
  const sandbox = new Command('sandbox').description('manage the sandboxes agents run in');
  sandbox
    .command('build')
    .description('build the sandbox image (sandbox-image/Dockerfile) with the Docker engine')
    .option('--base <image>', 'base image (the BASE_IMAGE build argument)', DEFAULT_BASE_IMAGE)
    .option('--tag <image>', 'name of the image to build (default: LUCID_SANDBOX_IMAGE)')
    .action(async (options: BuildOptions) => {
      const tag = options.tag ?? defaultTag();
      for (const [flag, value] of [
        ['--base', options.base],
        [options.tag === undefined ? 'LUCID_SANDBOX_IMAGE' : '--tag', tag],
      ] as const) {
        if (!isImageReference(value)) {
          throw new CliError(
            `${flag} must name an image such as lucid-sandbox:latest (got ${JSON.stringify(value)})`,
            2,
          );
        }
      }
      const docker = connectDocker();
      if (!(await pingEngine(docker, 3000))) {
        throw new CliError(
          `No Docker engine answers at ${await engineAddress(docker)}: start dockerd, or point DOCKER_HOST at one.`,
        );
      }
      console.log(`Building ${tag} from ${options.base}`);
      let id: string;
      try {
        id = await buildSandboxImage({
          docker,
          tag,
          baseImage: options.base,
          onLog: (text) => process.stdout.write(text),
        });
      } catch (error) {
        if (error instanceof ImageBuildError) {
          throw new CliError(`The sandbox image did not build: ${error.message}`);
        }
        throw error;
      }
      const image = await docker.getImage(tag).inspect();
      console.log(`Built ${tag} (${id.replace(/^sha256:/, '').slice(0, 12)}, ${mib(image.Size)})`);
    });
  return sandbox;
}

function defaultTag(): string {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadSandboxConfig(process.env).sandbox.image;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 78);
    throw error;
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}
