/**
 * Tests of the server's own runner on a real sandbox driver: the drivers they run on (local
 * always, Docker where an engine and the sandbox image are there), and a test server whose runner
 * works on one of them, with a user signed up; closing it removes the runner's sandboxes.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunnerOptions } from '../../src/server.ts';
import { DockerDriver } from '../../src/sandbox/docker/docker-driver.ts';
import type { SandboxDriver } from '../../src/sandbox/driver.ts';
import { LocalDriver } from '../../src/sandbox/local/local-driver.ts';
import type { DockerTestEngine } from '../sandbox/docker-engine.ts';
import { signUp, type TestUser } from './client.ts';
import { startTestServer, type TestServer } from './test-server.ts';

export interface DriverUnderTest {
  name: string;
  /** Why the tests on this driver are skipped, or null when they run. */
  skip: string | null;
  make: () => Promise<SandboxDriver>;
}

/**
 * The local driver in a fresh folder, and the Docker driver on `engine`.
 *
 * @example
 * describe.each(sandboxDrivers(await dockerTestEngine('x.test.ts')))('on $name', ({ skip, make }) => { … });
 */
export function sandboxDrivers(engine: DockerTestEngine): DriverUnderTest[] {
  return [
    {
      name: 'local',
      skip: null,
      make: async () => new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
    },
    {
      name: 'docker',
      skip: engine.skipReason,
      make: async () => new DockerDriver({ docker: engine.docker, image: engine.image }),
    },
  ];
}

export interface RunnerServer {
  server: TestServer;
  user: TestUser;
  /** The id of the server's own runner, which labels its sandboxes. */
  runnerId: string;
  /** Closes the server, then removes every sandbox its runner left on the driver. */
  close: () => Promise<void>;
}

/**
 * A test server whose own runner has one slot on `driver`, a 5 s lease, a 2 min run limit and a
 * 100 ms poll unless `runner` says otherwise.
 *
 * @example
 * const { server, user, runnerId, close } = await startRunnerServer(driver, { runner: { warmPool: 0 } });
 */
export async function startRunnerServer(
  driver: SandboxDriver,
  options: { env?: Record<string, string>; runner?: Omit<RunnerOptions, 'driver'> } = {},
): Promise<RunnerServer> {
  const server = await startTestServer({
    ...(options.env ? { env: options.env } : {}),
    runner: {
      driver,
      slots: 1,
      leaseMs: 5_000,
      maxRuntimeMs: 120_000,
      pollMs: 100,
      ...options.runner,
    },
  });
  const runnerId = (await readFile(path.join(server.dataDir, 'runner-id'), 'utf8')).trim();
  const user = await signUp(server.url);
  return {
    server,
    user,
    runnerId,
    close: async () => {
      await server.close();
      for (const info of await driver.list({ 'lucid.runner': runnerId })) {
        await (await driver.get(info.id))?.remove();
      }
    },
  };
}
