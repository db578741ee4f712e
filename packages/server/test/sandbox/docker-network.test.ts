import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox, SandboxSpec } from '../../src/sandbox/driver.ts';
import { DockerDriver } from '../../src/sandbox/docker/docker-driver.ts';
import {
  ensureSandboxNetwork,
  networkGateway,
  NETWORK_LABEL,
  SANDBOX_NETWORK,
  type NetworkDetails,
} from '../../src/sandbox/docker/sandbox-network.ts';
import { freePort } from '../support/test-server.ts';
import { dockerTestEngine } from './docker-engine.ts';

const run = promisify(execFile);
const engine = await dockerTestEngine('docker-network.test.ts');
const localEngine = !process.env.DOCKER_HOST || process.env.DOCKER_HOST.startsWith('unix:');
const root = process.getuid?.() === 0;

const SPEC: SandboxSpec = {
  labels: { 'lucid.test': 'docker-network' },
  limits: { memoryBytes: 256 * 1024 * 1024, cpus: 1, pids: 128 },
  network: 'bridge',
};

/** What a sandbox meets asking `url`: the HTTP status, or curl's exit code when nothing answered. */
async function ask(sandbox: Sandbox, url: string): Promise<string> {
  const result = await sandbox.exec([
    'bash',
    '-c',
    'code=$(curl -s -o /dev/null -w "%{http_code}" --connect-timeout 5 --max-time 10 "$1"); ' +
      'exit=$?; [ "$code" = 000 ] && echo "no answer (curl $exit)" || echo "HTTP $code"',
    'ask',
    url,
  ]);
  return result.stdout.trim();
}

function listen(host: string, port = 0): Promise<Server> {
  const server = createServer((_req, res) => res.end('host\n'));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** This host's address on its own network: not loopback, not a Docker bridge's. */
function hostAddress(): string {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (name.startsWith('docker') || name.startsWith('br-') || name.startsWith('lucid')) continue;
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  throw new Error('this host has no address but loopback');
}

describe('the gateway of a Docker network', () => {
  it("is the subnet's first address when the IPAM settings name none", () => {
    expect(networkGateway({ IPAM: { Config: [{ Subnet: '172.17.0.0/16' }] } })).toBe('172.17.0.1');
    expect(networkGateway({ IPAM: { Config: [{ Subnet: '10.1.2.128/25' }] } })).toBe('10.1.2.129');
    expect(
      networkGateway({
        IPAM: { Config: [{ Subnet: 'fd00::/64' }, { Subnet: '10.9.0.0/24', Gateway: '10.9.0.7' }] },
      }),
    ).toBe('10.9.0.7');
    expect(networkGateway({ IPAM: { Config: [{ Subnet: 'fd00::/64' }] } })).toBeNull();
    expect(networkGateway({ IPAM: null })).toBeNull();
  });

  it.skipIf(engine.skipReason !== null || !localEngine)(
    'is the address of the bridge on this host, on an engine whose default bridge names no gateway',
    async () => {
      const bridge = (await engine.docker.getNetwork('bridge').inspect()) as NetworkDetails;
      const name = bridge.Options?.['com.docker.network.bridge.name'] ?? 'docker0';
      // `ip` lists an interface that is down, as docker0 is while no container runs.
      const { stdout } = await run('ip', ['-4', '-o', 'addr', 'show', 'dev', name]);
      const address = /inet (\S+)\//.exec(stdout)?.[1];
      expect(address).toBeDefined();
      expect(networkGateway(bridge)).toBe(address);
    },
  );
});

describe.skipIf(engine.skipReason !== null)("Lucid's sandbox network", () => {
  const driver = new DockerDriver({ docker: engine.docker, image: engine.image });
  const made: Sandbox[] = [];
  const servers: Server[] = [];

  async function sandbox(): Promise<Sandbox> {
    const created = await driver.create(SPEC);
    made.push(created);
    return created;
  }

  afterAll(async () => {
    await Promise.all(made.map((s) => s.remove()));
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('is made when missing, once however many ask at once, labelled, with inter-container traffic off', async () => {
    const which = {
      name: `lucid-test-net-${process.pid}`,
      bridge: `lucidt${process.pid % 100_000}`,
    };
    try {
      const networks = await Promise.all(
        [1, 2, 3, 4].map(() => ensureSandboxNetwork(engine.docker, which)),
      );
      expect(new Set(networks.map((n) => n.id)).size).toBe(1);
      expect(networks[0]).toMatchObject({ name: which.name, bridge: which.bridge });
      const info = (await engine.docker.getNetwork(networks[0]!.id).inspect()) as NetworkDetails;
      expect(info.Labels).toMatchObject({ [NETWORK_LABEL]: 'sandboxes' });
      expect(info.Options).toMatchObject({ 'com.docker.network.bridge.enable_icc': 'false' });
      expect(networkGateway(info)).toBe(networks[0]!.gateway);
      const named = (await engine.docker.listNetworks()).filter((n) => n.Name === which.name);
      expect(named).toHaveLength(1);

      await engine.docker.getNetwork(networks[0]!.id).remove();
      await engine.docker.createNetwork({ Name: which.name, Driver: 'bridge' });
      await expect(ensureSandboxNetwork(engine.docker, which)).rejects.toThrow(
        `A Docker network named ${which.name} exists that Lucid did not make: remove it ` +
          `(docker network rm ${which.name}) and Lucid makes its own.`,
      );
    } finally {
      await engine.docker
        .getNetwork(which.name)
        .remove()
        .catch(() => undefined);
    }
  });

  it("is Lucid's own on every engine a driver makes sandboxes on", async () => {
    const { network } = await driver.prepareNetwork();
    const info = (await engine.docker.getNetwork(network.id).inspect()) as NetworkDetails;
    expect(info.Name).toBe(SANDBOX_NETWORK);
    expect(info.Labels).toMatchObject({ [NETWORK_LABEL]: 'sandboxes' });
    expect(info.Options).toMatchObject({ 'com.docker.network.bridge.enable_icc': 'false' });
  });

  it('puts sandboxes on it, where host.docker.internal is its gateway', async () => {
    const { network } = await driver.prepareNetwork();
    const box = await sandbox();
    const info = await engine.docker.getContainer(box.id).inspect();
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([SANDBOX_NETWORK]);
    const hosts = await box.exec(['getent', 'hosts', 'host.docker.internal']);
    expect(hosts.stdout.split(/\s+/)[0]).toBe(network.gateway);
  });

  it('keeps two sandboxes from reaching each other', async () => {
    const [listener, other] = await Promise.all([sandbox(), sandbox()]);
    const started = await listener.exec([
      'bash',
      '-c',
      `node -e "require('http').createServer((q, r) => r.end('peer')).listen(8080)" >/dev/null 2>&1 &
       for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:8080/ && exit 0; sleep 0.05; done; exit 1`,
    ]);
    expect(started.exitCode).toBe(0);
    const info = await engine.docker.getContainer(listener.id).inspect();
    const address = info.NetworkSettings.Networks[SANDBOX_NETWORK]?.IPAddress;
    expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await ask(listener, `http://${address}:8080/`)).toBe('HTTP 200');
    expect(await ask(other, `http://${address}:8080/`)).toMatch(/^no answer/);
  });

  it.skipIf(!localEngine)(
    'lets sandboxes reach this host only at the ports allowed, on the gateway',
    async () => {
      const { network } = await driver.prepareNetwork();
      const everywhere = await listen('0.0.0.0');
      servers.push(everywhere);
      const port = portOf(everywhere);
      const box = await sandbox();
      const elsewhere = `http://${hostAddress()}:${port}/`;
      const gateway = `http://${network.gateway}:${port}/`;
      expect(await ask(box, gateway)).toMatch(/^no answer/);
      expect(await ask(box, elsewhere)).toMatch(/^no answer/);

      expect(await driver.allowHostPort(port)).toEqual({ enforced: true });
      try {
        expect(await ask(box, gateway)).toBe('HTTP 200');
        expect(await ask(box, 'http://host.docker.internal:' + port + '/')).toBe('HTTP 200');
        expect(await ask(box, elsewhere)).toMatch(/^no answer/);
      } finally {
        await driver.revokeHostPort(port);
      }
      expect(await ask(box, gateway)).toMatch(/^no answer/);
    },
  );

  describe.skipIf(!localEngine || !root)('link-local addresses', () => {
    const id = String(process.pid % 100_000);
    const local = { link: `lucidml${id}`, peer: `lucidmp${id}`, address: '169.254.169.254' };
    const remote = {
      namespace: `lucid-meta-${id}`,
      link: `lucidmr${id}`,
      peer: `lucidmn${id}`,
      address: '169.254.170.2',
    };
    let namespaced: ChildProcess | null = null;
    const ip = (...args: string[]) => run('ip', args);

    beforeAll(async () => {
      // On this host: a link-local address of its own (a veth pair stands in for a dummy link).
      await ip('link', 'add', local.link, 'type', 'veth', 'peer', 'name', local.peer);
      await ip('addr', 'add', `${local.address}/32`, 'dev', local.link);
      await ip('link', 'set', local.link, 'up');
      await ip('link', 'set', local.peer, 'up');
      // Beyond it, as a cloud's metadata service is: in a network namespace, routed to.
      await ip('netns', 'add', remote.namespace);
      await ip('link', 'add', remote.link, 'type', 'veth', 'peer', 'name', remote.peer);
      await ip('link', 'set', remote.peer, 'netns', remote.namespace);
      const inside = (...args: string[]) => ip('netns', 'exec', remote.namespace, 'ip', ...args);
      await inside('addr', 'add', `${remote.address}/32`, 'dev', remote.peer);
      await inside('link', 'set', remote.peer, 'up');
      await inside('route', 'add', 'default', 'dev', remote.peer);
      await ip('link', 'set', remote.link, 'up');
      await ip('route', 'add', `${remote.address}/32`, 'dev', remote.link);
    });
    afterAll(async () => {
      namespaced?.kill();
      await ip('link', 'del', local.link).catch(() => undefined);
      await ip('link', 'del', remote.link).catch(() => undefined);
      await ip('netns', 'del', remote.namespace).catch(() => undefined);
    });

    it('are unreachable from a sandbox, on this host and beyond it', async () => {
      const here = await listen(local.address);
      servers.push(here);
      const port = await freePort();
      namespaced = spawn('ip', [
        'netns',
        'exec',
        remote.namespace,
        process.execPath,
        '-e',
        `require('http').createServer((q, r) => r.end('metadata')).listen(${port}, '${remote.address}', () => console.log('up'))`,
      ]);
      await new Promise<void>((resolve, reject) => {
        namespaced?.stdout?.once('data', () => resolve());
        namespaced?.once('exit', (code) => reject(new Error(`the listener exited with ${code}`)));
      });
      const urls = [
        `http://${local.address}:${portOf(here)}/`,
        `http://${remote.address}:${port}/`,
      ];
      for (const url of urls) expect((await fetch(url)).status, url).toBe(200);

      const box = await sandbox();
      for (const url of urls) expect(await ask(box, url), url).toMatch(/^no answer/);
    });
  });
});
