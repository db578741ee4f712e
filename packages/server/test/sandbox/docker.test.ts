import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox, SandboxSpec } from '../../src/sandbox/driver.ts';
import { DockerDriver } from '../../src/sandbox/docker/docker-driver.ts';
import { sandboxConformance } from './conformance.ts';
import { dockerTestEngine } from './docker-engine.ts';

const engine = await dockerTestEngine('docker.test.ts');
const MiB = 1024 * 1024;

function spec(extra: Partial<SandboxSpec> = {}): SandboxSpec {
  return {
    labels: { 'lucid.test': 'docker-hardening' },
    limits: { memoryBytes: 512 * MiB, cpus: 1, pids: 256 },
    network: 'none',
    ...extra,
  };
}

/** Reads a cgroup file of the sandbox's own cgroup, on cgroup v2 or v1. */
async function cgroupFile(sandbox: Sandbox, v2: string, v1: string): Promise<string> {
  const result = await sandbox.exec([
    'bash',
    '-c',
    `cat /sys/fs/cgroup/${v2} 2>/dev/null || cat /sys/fs/cgroup/${v1}`,
  ]);
  return result.stdout;
}

describe.skipIf(engine.skipReason !== null)('docker driver', () => {
  sandboxConformance(
    'docker',
    async () => ({ driver: new DockerDriver({ docker: engine.docker, image: engine.image }) }),
    { hardening: true },
  );

  describe('hardening, seen from inside the container', () => {
    const driver = new DockerDriver({ docker: engine.docker, image: engine.image });
    const made: Sandbox[] = [];
    let sandbox: Sandbox;

    async function create(extra: Partial<SandboxSpec> = {}): Promise<Sandbox> {
      const sandbox = await driver.create(spec(extra));
      made.push(sandbox);
      return sandbox;
    }

    beforeAll(async () => {
      sandbox = await create({ labels: { 'lucid.test': 'docker-hardening', 'lucid.task': 't1' } });
    });
    afterAll(async () => {
      await Promise.all(made.map((sandbox) => sandbox.remove()));
    });

    it('runs as the non-root user lucid, with no capability and no new privileges', async () => {
      const id = await sandbox.exec(['id']);
      expect(id.stdout).toMatch(/^uid=1000\(lucid\) gid=1000\(lucid\)/);
      const status = await sandbox.exec(['grep', '-E', '^(Cap|NoNewPrivs)', '/proc/self/status']);
      const fields = Object.fromEntries(
        status.stdout
          .trim()
          .split('\n')
          .map((line) => line.split(/:\s+/)),
      );
      for (const cap of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
        expect(fields[cap]).toBe('0000000000000000');
      }
      expect(fields.NoNewPrivs).toBe('1');
      const sudo = await sandbox.exec(['bash', '-c', 'su -c true root </dev/null']);
      expect(sudo.exitCode).not.toBe(0);
    });

    it('has no engine socket', async () => {
      const result = await sandbox.exec([
        'bash',
        '-c',
        'ls -a /var/run /run; for s in /var/run/docker.sock /run/docker.sock; do [ -e $s ] && echo found $s; done; true',
      ]);
      expect(result.stdout).not.toContain('docker.sock');
    });

    it('writes only to /workspace, /tmp and the home folder, as uid 1000', async () => {
      for (const dir of ['/', '/etc', '/usr', '/usr/local/bin', '/var', '/opt']) {
        const result = await sandbox.exec(['bash', '-c', `echo x > ${dir}/lucid-probe`]);
        expect(result.exitCode, dir).not.toBe(0);
      }
      const root = await sandbox.exec(['bash', '-c', 'echo x > /lucid-probe']);
      expect(root.stderr).toMatch(/Read-only file system|Permission denied/);
      for (const dir of ['/workspace', '/tmp', '/home/lucid']) {
        const result = await sandbox.exec([
          'bash',
          '-c',
          `echo x > ${dir}/probe && stat -c %u ${dir}/probe`,
        ]);
        expect(result.stdout, dir).toBe('1000\n');
      }
      await sandbox.writeFile('/workspace/written.txt', 'x');
      expect((await sandbox.exec(['stat', '-c', '%u:%g', 'written.txt'])).stdout).toBe(
        '1000:1000\n',
      );
    });

    it('holds a git repository with commits in /workspace', async () => {
      const result = await sandbox.exec([
        'bash',
        '-c',
        'set -e; git config --global user.email a@example.com; git config --global user.name A; ' +
          'git init -q repo && cd repo && seq 1 1000 > n.txt && git add . && git commit -qm one && git log --oneline | wc -l',
      ]);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('1\n');
    });

    it('bounds a fork bomb by the process limit, and the sandbox survives it', async () => {
      const box = await create({ limits: { memoryBytes: 512 * MiB, cpus: 1, pids: 64 } });
      await box.writeFile('before.txt', 'kept');
      expect((await cgroupFile(box, 'pids.max', 'pids/pids.max')).trim()).toBe('64');
      // Every process keeps forking, so the limit stays reached until the driver stops them.
      const bomb = await box.exec(['bash', '-c', 'bomb() { while :; do bomb & done; }; bomb'], {
        timeoutMs: 2000,
      });
      expect(bomb.timedOut).toBe(true);
      expect(bomb.stderr).toMatch(/fork: (retry: )?Resource temporarily unavailable/);
      const after = await box.exec(['bash', '-c', 'echo alive; ls -d /proc/[0-9]* | wc -l']);
      expect(after.stdout.split('\n')[0]).toBe('alive');
      expect(Number(after.stdout.split('\n')[1])).toBeLessThan(10);
      expect((await box.readFile('before.txt')).toString()).toBe('kept');
    });

    it('reports a command the memory limit killed as oomKilled, and only that', async () => {
      const box = await create({ limits: { memoryBytes: 128 * MiB, cpus: 1, pids: 64 } });
      const hog = await box.exec(['python3', '-c', 'x = "x" * (512 * 1024 * 1024)']);
      expect(hog.oomKilled).toBe(true);
      expect(hog.exitCode).toBeNull();
      const killed = await box.exec(['bash', '-c', 'kill -KILL $$']);
      expect(killed.oomKilled).toBe(false);
      expect(killed.exitCode).toBe(137);
      expect((await box.exec(['echo', 'alive'])).stdout).toBe('alive\n');
    });

    it('has no route out on network none, and a route and the host name on bridge', async () => {
      const routes = (box: Sandbox) =>
        box
          .exec(['bash', '-c', 'tail -n +2 /proc/net/route; ls /sys/class/net'])
          .then((result) => result.stdout);
      const none = await routes(sandbox);
      expect(none.trim()).toBe('lo');
      const bridged = await create({ network: 'bridge' });
      expect(await routes(bridged)).toMatch(/^eth0\s+00000000\s/m);
      const hosts = await bridged.exec(['cat', '/etc/hosts']);
      expect(hosts.stdout).toMatch(/^\S+\s+host\.docker\.internal$/m);
    });

    it('answers a missing program or working directory on stderr with 127, as a shell would', async () => {
      const program = await sandbox.exec(['no-such-program', '--help']);
      expect(program).toMatchObject({ exitCode: 127, stdout: '' });
      expect(program.stderr).toMatch(/"no-such-program": executable file not found in \$PATH/);
      const cwd = await sandbox.exec(['pwd'], { cwd: '/workspace/no-such-folder' });
      expect(cwd).toMatchObject({ exitCode: 127, stdout: '' });
      expect(cwd.stderr).toContain('/workspace/no-such-folder');
      const text = await sandbox.exec(['bash', '-c', 'echo OCI; exit 126']);
      expect(text).toMatchObject({ exitCode: 126, stdout: 'OCI\n', stderr: '' });
    });

    it('labels the container, and applies the limits and the read-only root it asked for', async () => {
      const info = await engine.docker.getContainer(sandbox.id).inspect();
      expect(info.Config.Labels).toMatchObject({
        'lucid.sandbox': '1',
        'lucid.test': 'docker-hardening',
        'lucid.task': 't1',
      });
      expect(sandbox.labels).toEqual({ 'lucid.test': 'docker-hardening', 'lucid.task': 't1' });
      expect(info.HostConfig).toMatchObject({
        ReadonlyRootfs: true,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Memory: 512 * MiB,
        MemorySwap: 512 * MiB,
        NanoCpus: 1e9,
        PidsLimit: 256,
        NetworkMode: 'none',
        Init: true,
      });
      expect(info.HostConfig.Binds ?? []).toEqual([]);
      expect(info.Mounts.map((mount) => [mount.Type, mount.Destination]).sort()).toEqual([
        ['volume', '/home/lucid'],
        ['volume', '/workspace'],
      ]);
      const limit = await cgroupFile(sandbox, 'memory.max', 'memory/memory.limit_in_bytes');
      expect(Number(limit)).toBe(512 * MiB);
    });

    it('finds a sandbox again from a new driver, and starts it when it was stopped', async () => {
      const box = await create({
        labels: { 'lucid.test': 'docker-hardening', 'lucid.task': 't2' },
      });
      await box.writeFile('kept.txt', 'kept');
      await engine.docker.getContainer(box.id).stop({ t: 0 });
      const again = await new DockerDriver({ docker: engine.docker, image: engine.image }).get(
        box.id,
      );
      expect(again?.labels).toEqual({ 'lucid.test': 'docker-hardening', 'lucid.task': 't2' });
      expect((await again?.readFile('kept.txt'))?.toString()).toBe('kept');
      const other = await engine.docker.createContainer({ Image: engine.image, Cmd: ['true'] });
      try {
        expect(await driver.get(other.id)).toBeNull();
      } finally {
        await other.remove({ force: true });
      }
    });

    it('removes the container with its volumes', async () => {
      const box = await driver.create(spec());
      const info = await engine.docker.getContainer(box.id).inspect();
      const volumes = info.Mounts.map((mount) => mount.Name ?? '');
      await box.remove();
      await box.remove();
      await expect(engine.docker.getContainer(box.id).inspect()).rejects.toThrow(
        /no such container/i,
      );
      for (const name of volumes) {
        await expect(engine.docker.getVolume(name).inspect()).rejects.toThrow(/no such volume/i);
      }
    });

    it('says how to build the image when it is missing', async () => {
      const missing = new DockerDriver({
        docker: engine.docker,
        image: 'lucid-no-such-image:never',
      });
      await expect(missing.create(spec())).rejects.toThrow(
        'The sandbox image lucid-no-such-image:never is not on the Docker engine; build it with: lucid sandbox build',
      );
    });
  });
});
