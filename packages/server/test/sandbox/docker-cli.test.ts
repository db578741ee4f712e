import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandboxImage, ImageBuildError } from '../../src/sandbox/docker/build-image.ts';
import { DockerDriver } from '../../src/sandbox/docker/docker-driver.ts';
import { cliUser, type CliUser } from '../support/cli.ts';
import { freePort, startTestServer } from '../support/test-server.ts';
import { dockerTestEngine } from './docker-engine.ts';

const engine = await dockerTestEngine('docker-cli.test.ts');
const localEngine = !process.env.DOCKER_HOST || process.env.DOCKER_HOST.startsWith('unix:');
const NO_ENGINE = 'unix:///nonexistent/docker.sock';

let cli: CliUser;
let dataDir: string;

beforeAll(async () => {
  cli = await cliUser();
  if (process.env.DOCKER_HOST) cli.env.DOCKER_HOST = process.env.DOCKER_HOST;
  dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-doctor-'));
});

describe('lucid sandbox build', () => {
  it('refuses image names that are not image names, before asking the engine', async () => {
    const tag = await cli.run(['sandbox', 'build', '--tag', 'Not A Tag'], {
      env: { DOCKER_HOST: NO_ENGINE },
    });
    expect(tag.code).toBe(2);
    expect(tag.stderr).toBe(
      'lucid: --tag must name an image such as lucid-sandbox:latest (got "Not A Tag")\n',
    );
    const base = await cli.run(['sandbox', 'build', '--base', 'debian:', '--tag', 'x:1'], {
      env: { DOCKER_HOST: NO_ENGINE },
    });
    expect(base.code).toBe(2);
    expect(base.stderr).toContain('--base must name an image');
    const fromEnv = await cli.run(['sandbox', 'build'], {
      env: { DOCKER_HOST: NO_ENGINE, LUCID_SANDBOX_IMAGE: 'UPPER/case' },
    });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain('LUCID_SANDBOX_IMAGE must name an image');
    const unknown = await cli.run(['sandbox', 'build', '--bogus'], {
      env: { DOCKER_HOST: NO_ENGINE },
    });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
  });

  it('says so when no engine answers', async () => {
    const result = await cli.run(['sandbox', 'build'], { env: { DOCKER_HOST: NO_ENGINE } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `lucid: No Docker engine answers at ${NO_ENGINE}: start dockerd, or point DOCKER_HOST at one.\n`,
    );
  });
});

describe('lucid doctor', () => {
  it('reports a missing engine, and fails when the configuration needs one', async () => {
    const result = await cli.run(['doctor'], {
      env: { DOCKER_HOST: NO_ENGINE, LUCID_DATA_DIR: dataDir, LUCID_SANDBOX: 'docker' },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✓ Node\.js v\d+\.\d+\.\d+$/m);
    expect(result.stdout).toMatch(/^✓ git \d+\.\d+/m);
    expect(result.stdout).toContain(`✗ No Docker engine answers at ${NO_ENGINE}: install Docker`);
    expect(result.stdout).toContain(
      '✗ Sandbox driver: LUCID_SANDBOX is docker, but no engine answers',
    );
    expect(result.stdout).toContain(`✓ Data dir ${dataDir} is writable`);
    expect(result.stdout).toMatch(/\n2 required checks failed\.\n$/);

    const auto = await cli.run(['doctor'], {
      env: { DOCKER_HOST: NO_ENGINE, LUCID_DATA_DIR: dataDir },
    });
    expect(auto.stdout).toContain(
      '(optional: sandboxes fall back to the local driver and bubblewrap)',
    );
    expect(auto.stdout).toMatch(
      /^✓ Sandbox driver: LUCID_SANDBOX=auto picks local; isolation: bubblewrap: /m,
    );
  });

  it('warns that local-unsafe runs commands unconfined', async () => {
    const result = await cli.run(['doctor'], {
      env: { DOCKER_HOST: NO_ENGINE, LUCID_DATA_DIR: dataDir, LUCID_SANDBOX: 'local-unsafe' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^! Sandbox driver: LUCID_SANDBOX is local-unsafe; isolation: none \(LUCID_SANDBOX=local-unsafe\): commands run unconfined/m,
    );
  });

  it('fails on a data dir it cannot write, and on a wrong setting', async () => {
    const file = path.join(dataDir, 'a-file');
    await writeFile(file, '');
    const result = await cli.run(['doctor'], {
      env: { DOCKER_HOST: NO_ENGINE, LUCID_DATA_DIR: path.join(file, 'data') },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `✗ Data dir ${path.join(file, 'data')} is not writable (ENOTDIR)`,
    );
    const wrong = await cli.run(['doctor'], {
      env: { DOCKER_HOST: NO_ENGINE, LUCID_DATA_DIR: dataDir, LUCID_SANDBOX: 'vm' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain(
      '✗ Configuration: LUCID_SANDBOX must be docker, local, local-unsafe or auto (got "vm")',
    );
  });

  it.skipIf(engine.skipReason !== null)(
    'reports the engine, the image with its size, and the driver auto picks',
    async () => {
      const result = await cli.run(['doctor'], {
        env: { LUCID_DATA_DIR: dataDir, LUCID_SANDBOX_IMAGE: engine.image },
      });
      expect(result.stdout).toMatch(/^✓ Docker engine \S+ \(API \d+\.\d+\) at \S+$/m);
      expect(result.stdout).toMatch(
        new RegExp(
          `^✓ Sandbox image ${engine.image.replace(/[.:]/g, '\\$&')} \\(\\d+ MiB\\)$`,
          'm',
        ),
      );
      expect(result.stdout).toMatch(
        /^✓ Sandbox driver: LUCID_SANDBOX=auto picks docker; isolation: a Docker container per sandbox/m,
      );
      expect(result.stdout).toMatch(/^[✓✗] bubblewrap/m);

      const missing = await cli.run(['doctor'], {
        env: { LUCID_DATA_DIR: dataDir, LUCID_SANDBOX_IMAGE: 'lucid-no-such-image:never' },
      });
      expect(missing.code).toBe(1);
      expect(missing.stdout).toContain(
        '✗ Sandbox image lucid-no-such-image:never is not built: run lucid sandbox build',
      );
    },
  );
});

describe.skipIf(engine.skipReason !== null || !localEngine)(
  "lucid doctor on a sandbox's path",
  () => {
    const driver = new DockerDriver({ docker: engine.docker, image: engine.image });
    const doctor = (port: number) =>
      cli.run(['doctor'], {
        env: { LUCID_DATA_DIR: dataDir, LUCID_SANDBOX_IMAGE: engine.image, PORT: String(port) },
      });

    it('reaches a running Lucid from a sandbox, and finds the API, 169.254.169.254 and other sandboxes out of reach', async () => {
      const server = await startTestServer({
        runner: { driver, slots: 1, pollMs: 100, warmPool: 0 },
      });
      const { port } = server.config;
      let result;
      try {
        result = await doctor(port);
      } finally {
        await server.close();
      }
      const { network } = await driver.prepareNetwork();
      expect(result.stdout).toContain(
        `✓ Sandbox network lucid-sandboxes: gateway ${network.gateway} (subnet ${network.subnet}, ` +
          `bridge ${network.bridge}), inter-container traffic off\n`,
      );
      expect(result.stdout).toContain(
        `✓ Sandbox firewall: on the engine's host sandboxes reach only Lucid's port (${port}) at ` +
          `${network.gateway}, and nothing in 169.254.0.0/16\n`,
      );
      expect(result.stdout).toContain(
        `✓ From a sandbox, Lucid answers at http://host.docker.internal:${port} ` +
          `(${network.gateway}:${port}), and refuses it the API\n`,
      );
      expect(result.stdout).toContain(
        '✓ From a sandbox, 169.254.169.254 is unreachable (refused)\n',
      );
      expect(result.stdout).toMatch(
        /^✓ From a sandbox, another sandbox \(\d+\.\d+\.\d+\.\d+:8080\) is unreachable \(refused\)$/m,
      );
      expect(result.code, result.stdout).toBe(0);
      const left = await engine.docker.listContainers({
        all: true,
        filters: { label: ['lucid.doctor=1'] },
      });
      expect(left).toEqual([]);
    });

    it('answers in place of Lucid where it does not listen, to prove the path all the same', async () => {
      const port = await freePort();
      const result = await doctor(port);
      const { network } = await driver.prepareNetwork();
      expect(result.stdout).toContain(
        `✓ From a sandbox, http://host.docker.internal:${port} (${network.gateway}:${port}) is ` +
          'reachable: Lucid does not listen there now, so doctor answered in its stead\n',
      );
      expect(result.code, result.stdout).toBe(0);
    });
  },
);

describe.skipIf(engine.skipReason !== null)('building an image through the Engine API', () => {
  const tag = `lucid-test-build:${process.pid}`;
  let context: string;

  beforeAll(async () => {
    context = await mkdtemp(path.join(tmpdir(), 'lucid-build-'));
  });
  afterAll(async () => {
    await engine.docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
    await rm(context, { recursive: true, force: true });
  });

  it('sends the folder, passes the base image, and streams the log', async () => {
    await writeFile(
      path.join(context, 'Dockerfile'),
      'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY note.txt /note.txt\nRUN cat /note.txt\n',
    );
    await writeFile(path.join(context, 'note.txt'), 'sent with the context\n');
    const log: string[] = [];
    const id = await buildSandboxImage({
      docker: engine.docker,
      tag,
      baseImage: engine.image,
      contextDir: context,
      onLog: (text) => log.push(text),
    });
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(log.join('')).toContain('sent with the context');
    const image = await engine.docker.getImage(tag).inspect();
    expect(image.Id).toBe(id);
  });

  it("fails with the engine's message when a step fails", async () => {
    await writeFile(
      path.join(context, 'Dockerfile'),
      'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN exit 3\n',
    );
    await expect(
      buildSandboxImage({
        docker: engine.docker,
        tag,
        baseImage: engine.image,
        contextDir: context,
      }),
    ).rejects.toThrow(ImageBuildError);
    await expect(
      buildSandboxImage({
        docker: engine.docker,
        tag,
        baseImage: engine.image,
        contextDir: context,
      }),
    ).rejects.toThrow(/returned a non-zero code: 3/);
  });
});
