import { createServer } from 'node:http';
import { networkInterfaces } from 'node:os';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSandboxAccess, SandboxGate } from '../src/http/sandbox-listener.ts';
import type { Sandbox } from '../src/sandbox/driver.ts';
import { DockerDriver } from '../src/sandbox/docker/docker-driver.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { dockerTestEngine } from './sandbox/docker-engine.ts';
import { pushedRepo } from './support/tasks.ts';
import { freePort, startTestServer, type TestServer } from './support/test-server.ts';

const engine = await dockerTestEngine('sandbox-listener.test.ts');
const localEngine = !process.env.DOCKER_HOST || process.env.DOCKER_HOST.startsWith('unix:');

/** This host's address on its own network: not loopback, not a Docker bridge's. */
function hostAddress(): string {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (name.startsWith('docker') || name.startsWith('br-') || name.startsWith('lucid')) continue;
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  throw new Error('this host has no address but loopback');
}

describe
  .skipIf(engine.skipReason !== null || !localEngine)
  .each([{ host: '127.0.0.1' }, { host: '0.0.0.0' }])(
  'a sandbox asking Lucid, listening on HOST=$host',
  ({ host }) => {
    let server: TestServer;
    let user: TestUser;
    let driver: DockerDriver;
    let sandbox: Sandbox;
    let base: string;
    let repoId: string;

    beforeAll(async () => {
      driver = new DockerDriver({ docker: engine.docker, image: engine.image });
      server = await startTestServer({
        env: { HOST: host },
        runner: { driver, slots: 1, pollMs: 100, warmPool: 0 },
      });
      base = `http://127.0.0.1:${server.config.port}`;
      user = await signUp(base);
      repoId = (await pushedRepo(base, user, 'sandbox-gate')).id;
      sandbox = await driver.create({
        labels: { 'lucid.test': 'sandbox-listener' },
        limits: { memoryBytes: 256 * 1024 * 1024, cpus: 1, pids: 128 },
        network: 'bridge',
      });
    });
    afterAll(async () => {
      await sandbox?.remove();
      await server?.close();
    });

    /** The status and body a sandbox gets for `path` at Lucid's sandbox endpoint. */
    async function fromSandbox(path: string): Promise<{ status: string; body: string }> {
      const result = await sandbox.exec([
        'curl',
        '-s',
        '--max-time',
        '10',
        '-w',
        '\n%{http_code}',
        '-H',
        `Authorization: Bearer ${user.token}`,
        `http://host.docker.internal:${server.config.port}${path}`,
      ]);
      const lines = result.stdout.split('\n');
      return { status: lines.pop() ?? '', body: lines.join('\n') };
    }

    it('reaches the git endpoint through the gateway, and nothing else of Lucid', async () => {
      const refs = await sandbox.exec([
        'git',
        'ls-remote',
        `http://lucid:${user.token}@host.docker.internal:${server.config.port}/git/${repoId}.git`,
      ]);
      expect(refs.stderr).toBe('');
      expect(refs.stdout).toMatch(/^[0-9a-f]{40}\trefs\/heads\/main$/m);

      for (const path of ['/api/v1/me', '/api/v1/repos', '/healthz', '/', '/api/docs']) {
        const answer = await fromSandbox(path);
        expect(answer.status, path).toBe('404');
        expect(JSON.parse(answer.body), path).toEqual({
          error: {
            code: 'not_found',
            message: 'Sandboxes reach only the git endpoint and the LLM gateway here.',
          },
        });
      }
      const llm = await fromSandbox('/llm/anthropic/v1/models');
      expect(llm.status).toBe('401');

      const me = await request<{ email: string }>(base, 'GET', '/api/v1/me', { token: user.token });
      expect(me.status).toBe(200);
    });

    it("is not reached at the host's other addresses", async () => {
      const result = await sandbox.exec([
        'bash',
        '-c',
        'curl -s -o /dev/null --connect-timeout 5 --max-time 10 "$1"; echo $?',
        'probe',
        `http://${hostAddress()}:${server.config.port}/healthz`,
      ]);
      expect(result.stdout.trim()).not.toBe('0');
    });
  },
);

describe.skipIf(engine.skipReason !== null || !localEngine)('opening the way for sandboxes', () => {
  it('tries again until it can listen on the gateway, saying why meanwhile and once when it works', async () => {
    const driver = new DockerDriver({ docker: engine.docker, image: engine.image });
    const { network } = await driver.prepareNetwork();
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, network.gateway, resolve));

    const gate = new SandboxGate();
    const app = Fastify();
    app.addHook('onRequest', gate.hook);
    app.get('/git/*', async () => 'git\n');
    app.get('/api/v1/me', async () => 'api\n');
    await app.ready();
    const lines: string[] = [];
    const access = await openSandboxAccess({
      app,
      driver,
      gate,
      port,
      listen: true,
      log: {
        info: (line) => lines.push(`info: ${line}`),
        warn: (line) => lines.push(`warn: ${line}`),
      },
      retryMs: 20,
    });
    const sandbox = await driver.create({
      labels: { 'lucid.test': 'sandbox-listener' },
      limits: { memoryBytes: 256 * 1024 * 1024, cpus: 1, pids: 128 },
      network: 'bridge',
    });
    try {
      expect(lines).toEqual([
        `warn: sandboxes cannot reach Lucid yet: another program listens on port ${port} of ` +
          "the sandbox network's gateway; trying again",
      ]);
      await new Promise((resolve) => squatter.close(resolve));
      expect(await access.ready).toBe(`http://${network.gateway}:${port}`);
      expect(lines.slice(1)).toEqual([
        `info: sandboxes reach Lucid at http://${network.gateway}:${port} (host.docker.internal ` +
          'on the Docker network lucid-sandboxes), fenced by its firewall',
      ]);
      const url = `http://host.docker.internal:${port}`;
      const git = await sandbox.exec(['curl', '-s', `${url}/git/x`]);
      expect(git.stdout).toBe('git\n');
      const api = await sandbox.exec(['curl', '-s', `${url}/api/v1/me`]);
      expect(api.stdout).not.toContain('api');
    } finally {
      await sandbox.remove();
      await access.close();
      await app.close();
    }
  });
});
