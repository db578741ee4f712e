/**
 * What the docker tests need, looked up once per file: an engine that answers and the sandbox
 * image built on it. Tests that need them are skipped, with one line saying why, when either is
 * missing.
 */
import type Docker from 'dockerode';
import { connectDocker, pingEngine } from '../../src/sandbox/docker/engine.ts';

export interface DockerTestEngine {
  docker: Docker;
  image: string;
  /** Why the docker tests are skipped, or null when they run. */
  skipReason: string | null;
}

/** The image the tests run: LUCID_SANDBOX_IMAGE, or the one `lucid sandbox build` makes. */
export const testImage = process.env.LUCID_SANDBOX_IMAGE ?? 'lucid-sandbox:latest';

/**
 * @example
 * const engine = await dockerTestEngine('docker.test.ts');
 * describe.skipIf(engine.skipReason !== null)('…', () => { … });
 */
export async function dockerTestEngine(file: string): Promise<DockerTestEngine> {
  const docker = connectDocker();
  let skipReason: string | null = null;
  if (!(await pingEngine(docker, 2000))) {
    skipReason = 'no Docker engine answers (start dockerd, or set DOCKER_HOST)';
  } else if (
    !(await docker
      .getImage(testImage)
      .inspect()
      .then(
        () => true,
        () => false,
      ))
  ) {
    skipReason =
      `the image ${testImage} is missing; build it with: ` +
      'node packages/server/bin/lucid.js sandbox build --base lucid-sandbox-base:bookworm ' +
      '(or without --base where debian:bookworm-slim can be pulled)';
  }
  if (skipReason) console.log(`${file}: the tests that need Docker are skipped: ${skipReason}`);
  return { docker, image: testImage, skipReason };
}
