/**
 * The local sandbox driver: the conformance suite with bubblewrap (when installed) and without it,
 * then what only the local driver does — confining its own file operations to the workspace,
 * hiding the host with bubblewrap, limits through prlimit, and sandboxes outliving the driver.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSpawnHost, stopSpawnHost } from '../../src/process/spawn.ts';
import type { SandboxDriver, SandboxSpec } from '../../src/sandbox/driver.ts';
import { LocalDriver } from '../../src/sandbox/local/local-driver.ts';
import { sandboxConformance } from './conformance.ts';

// Programs start from the spawn host, as in the server.
beforeAll(() => startSpawnHost());
afterAll(() => stopSpawnHost());

const BWRAP = '/usr/bin/bwrap';
const hasBwrap = existsSync(BWRAP);

const spec: SandboxSpec = {
  labels: { 'lucid.test': 'local' },
  limits: { memoryBytes: 2 * 1024 ** 3, cpus: 1, pids: 512 },
  network: 'none',
};

/** Every /etc entry a bubblewrap sandbox may see. */
const ETC_ALLOWED =
  /^(alternatives|ld\.so\.(cache|conf|conf\.d)|ssl|pki|localtime|timezone|gitconfig|os-release|protocols|services|mime\.types|magic|perl|java-\d.*|python3(\.\d+)?|passwd|group|hosts|nsswitch\.conf|mtab)$/;

/** A command that connects to `host`:`port` and prints the first line it is sent. */
function connectTo(host: string, port: number): string[] {
  return ['bash', '-c', `exec 3<>/dev/tcp/${host}/${port} && read -r line <&3 && echo "$line"`];
}

/** A service on the host's loopback that a sandbox must not reach. */
async function hostListener() {
  const server = net.createServer((socket) => socket.end('host secret\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Stands in for Lucid's socket for sandboxes: greets every connection. */
async function socketListener() {
  const folder = await mkdtemp(path.join(tmpdir(), 'lucid-socket-'));
  const socket = path.join(folder, 'lucid.sock');
  const server = net.createServer((client) => client.end('lucid through the socket\n'));
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(folder, { recursive: true, force: true });
    },
  };
}

async function tempRoot(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'lucid-sandboxes-'));
}

/** A driver under bubblewrap, or (null) unconfined. */
function newDriver(root: string, bwrap: string | null): LocalDriver {
  return bwrap ? new LocalDriver({ root, bwrap }) : new LocalDriver({ root, unconfined: true });
}

function localDriver(bwrap: string | null) {
  return async () => {
    const root = await tempRoot();
    return {
      driver: newDriver(root, bwrap),
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  };
}

if (hasBwrap) {
  sandboxConformance('local with bubblewrap', localDriver(BWRAP), { hardening: true });
  // Every command then joins the sandbox's own network through nsenter.
  sandboxConformance(
    'local with bubblewrap, on the bridge network',
    async () => {
      const root = await tempRoot();
      const lucid = await socketListener();
      const driver = newDriver(root, BWRAP);
      driver.reachLucid({ url: 'http://127.0.0.1:9', socket: lucid.socket });
      const bridged: SandboxDriver = {
        kind: driver.kind,
        isolation: driver.isolation,
        create: (made) => driver.create({ ...made, network: 'bridge' }),
        get: (id) => driver.get(id),
        list: (labels) => driver.list(labels),
      };
      return {
        driver: bridged,
        cleanup: async () => {
          await lucid.close();
          await rm(root, { recursive: true, force: true });
        },
      };
    },
    { hardening: true },
  );
}
sandboxConformance('local without bubblewrap', localDriver(null));

describe.each([
  ...(hasBwrap ? [{ mode: 'bubblewrap', bwrap: BWRAP }] : []),
  { mode: 'plain', bwrap: null },
])('local driver ($mode)', ({ mode, bwrap }) => {
  let root: string;
  let driver: LocalDriver;

  beforeAll(async () => {
    root = await tempRoot();
    driver = newDriver(root, bwrap);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('says how isolated its sandboxes are', () => {
    expect(driver.kind).toBe('local');
    expect(driver.isolation.startsWith(mode === 'bubblewrap' ? 'bubblewrap:' : 'none')).toBe(true);
  });

  it('refuses paths outside the workspace', async () => {
    const sandbox = await driver.create(spec);
    await expect(sandbox.readFile('/etc/passwd')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(sandbox.readFile('/workspace/../sandbox.json')).rejects.toMatchObject({
      code: 'bad_request',
    });
    await expect(sandbox.writeFile('../escape.txt', 'x')).rejects.toMatchObject({
      code: 'bad_request',
    });
    expect(existsSync(path.join(root, sandbox.id, 'escape.txt'))).toBe(false);
    await expect(sandbox.listFiles('/')).rejects.toMatchObject({ code: 'bad_request' });
    await sandbox.remove();
  });

  it('does not follow symbolic links out of the workspace', async () => {
    const sandbox = await driver.create(spec);
    const outside = await mkdtemp(path.join(tmpdir(), 'lucid-outside-'));
    try {
      await writeFile(path.join(outside, 'host.txt'), 'host file');
      const link = await sandbox.exec([
        'bash',
        '-c',
        `ln -s ${outside} dir && ln -s ${outside}/host.txt file && ln -s ${outside}/new.txt dangling`,
      ]);
      expect(link.exitCode).toBe(0);
      await expect(sandbox.readFile('/workspace/dir/host.txt')).rejects.toMatchObject({
        code: 'bad_request',
      });
      await expect(sandbox.readFile('/workspace/file')).rejects.toMatchObject({
        code: 'bad_request',
      });
      await expect(sandbox.listFiles('/workspace/dir')).rejects.toMatchObject({
        code: 'bad_request',
      });
      await expect(sandbox.writeFile('/workspace/dir/new.txt', 'x')).rejects.toMatchObject({
        code: 'bad_request',
      });
      await expect(sandbox.writeFile('/workspace/file', 'changed')).rejects.toMatchObject({
        code: 'bad_request',
      });
      await expect(sandbox.writeFile('/workspace/dangling', 'x')).rejects.toMatchObject({
        code: 'bad_request',
      });
      expect(await readFile(path.join(outside, 'host.txt'), 'utf8')).toBe('host file');
      expect(existsSync(path.join(outside, 'new.txt'))).toBe(false);
    } finally {
      await sandbox.remove();
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('never reads or writes a host file through a path swapped for a link', async () => {
    const sandbox = await driver.create(spec);
    const host = await mkdtemp(path.join(tmpdir(), 'lucid-host-'));
    const swapping = new AbortController();
    try {
      await writeFile(path.join(host, 'f.txt'), 'host secret');
      await sandbox.writeFile('/workspace/f.txt', 'inside');
      await sandbox.writeFile('/workspace/d/f.txt', 'inside');
      // Swaps f.txt between a file and a link to the host's, and the folder d between a folder
      // and a link to the host's, as fast as it can, until stopped.
      const swapper = sandbox.exec(
        [
          'perl',
          '-e',
          'my $host = shift; while (1) { ' +
            'symlink("$host/f.txt", "f.link"); rename("f.link", "f.txt"); ' +
            'open(my $out, ">", "f.new"); print $out "inside"; close($out); rename("f.new", "f.txt"); ' +
            'rename("d", "d.real"); symlink($host, "d"); unlink("d"); rename("d.real", "d"); }',
          host,
        ],
        { signal: swapping.signal },
      );
      const outcomes = new Set<string>();
      for (let i = 0; i < 1500; i++) {
        const read = await sandbox.readFile('/workspace/f.txt').then(
          (content) => content.toString(),
          (error: { code?: string }) => error.code ?? 'error',
        );
        expect(read).not.toBe('host secret');
        outcomes.add(read);
        await sandbox.writeFile('/workspace/d/f.txt', 'written').catch(() => undefined);
        expect(await readFile(path.join(host, 'f.txt'), 'utf8')).toBe('host secret');
      }
      expect(outcomes).toContain('inside');
      expect(
        [...outcomes].every((outcome) => ['inside', 'bad_request', 'not_found'].includes(outcome)),
      ).toBe(true);
      swapping.abort();
      expect((await swapper).cancelled).toBe(true);
    } finally {
      swapping.abort();
      await sandbox.remove();
      await rm(host, { recursive: true, force: true });
    }
  });

  it('caps the memory of each process through prlimit', async () => {
    const sandbox = await driver.create(spec);
    const result = await sandbox.exec(['bash', '-c', 'ulimit -d']);
    expect(result.stdout.trim()).toBe(String(spec.limits.memoryBytes / 1024));
    await sandbox.remove();
  });

  it('abandons a busy loop on timeout without losing the shell or its directory', async () => {
    const sandbox = await driver.create(spec);
    const shell = await sandbox.shell();
    await shell.run('mkdir -p here && cd here && export KEPT=yes');
    const looping = await shell.run('f() { while :; do :; done; }; while :; do f; done', {
      timeoutMs: 300,
    });
    expect(looping.timedOut).toBe(true);
    expect(await sandbox.shell()).toBe(shell);
    expect((await shell.run('basename "$PWD"; echo $KEPT')).stdout).toBe('here\nyes\n');
    await sandbox.remove();
  });

  it('keeps sandboxes on disk for a driver started later, until they are removed', async () => {
    const sandbox = await driver.create({ ...spec, labels: { 'lucid.task': 'kept' } });
    await sandbox.writeFile('/workspace/kept.txt', 'still here');
    const later = newDriver(root, bwrap);
    const found = await later.get(sandbox.id);
    expect(found).not.toBeNull();
    expect((await found?.readFile('/workspace/kept.txt'))?.toString()).toBe('still here');
    expect((await later.list({ 'lucid.task': 'kept' })).map((info) => info.id)).toEqual([
      sandbox.id,
    ]);
    await found?.remove();
    expect(existsSync(path.join(root, sandbox.id))).toBe(false);
    expect(await driver.get(sandbox.id)).toBeNull();
  });

  if (mode === 'plain') {
    it('runs commands in the workspace folder with a clean environment', async () => {
      const sandbox = await driver.create(spec);
      const result = await sandbox.exec(['bash', '-c', 'pwd; echo "$HOME"; echo "$TMPDIR"']);
      const folder = path.join(root, sandbox.id);
      expect(result.stdout).toBe(
        `${folder}/workspace\n${folder}/home\n${folder}/tmp\n`.replaceAll('//', '/'),
      );
      await expect(sandbox.exec(['pwd'], { cwd: '/etc' })).rejects.toMatchObject({
        code: 'bad_request',
      });
      await sandbox.remove();
    });
  }

  if (mode === 'bubblewrap') {
    it('shows the sandbox none of the host beyond its system folders', async () => {
      const sandbox = await driver.create(spec);
      const listing = await sandbox.exec(['ls', '/']);
      const top = listing.stdout.trim().split('\n');
      expect(top).toContain('workspace');
      expect(top).toContain('usr');
      for (const hidden of ['root', 'work', 'var', 'srv']) expect(top).not.toContain(hidden);
      // Of /home, only the sandbox's own: none of the host's.
      expect((await sandbox.exec(['ls', '-A', '/home'])).stdout).toBe('lucid\n');
      expect((await sandbox.exec(['ls', root])).exitCode).not.toBe(0);
      expect((await sandbox.exec(['cat', `/proc/${process.pid}/environ`])).stdout).not.toContain(
        'LUCID',
      );
      expect((await sandbox.exec(['cat', '/etc/shadow'])).stdout).toBe('');
      const caps = await sandbox.exec(['grep', 'CapEff', '/proc/self/status']);
      expect(caps.stdout).toMatch(/CapEff:\s+0+\n/);
      await sandbox.remove();
    });

    it("gives the sandbox's user a writable HOME of its own, outside the checkout", async () => {
      const sandbox = await driver.create(spec);
      const result = await sandbox.exec([
        'bash',
        '-c',
        'echo "$HOME"; getent passwd "$(id -u)" | cut -d: -f6; mkdir -p ~/.npm && touch ~/.npm/x && ls -A /workspace',
      ]);
      const [home, passwdHome, listing = ''] = result.stdout.split('\n');
      expect(home).toBe('/home/lucid');
      if (process.getuid?.() !== 0) expect(passwdHome).toBe('/home/lucid');
      expect(listing).not.toContain('.npm');
      expect(existsSync(path.join(root, sandbox.id, 'home', '.npm', 'x'))).toBe(true);
      await sandbox.remove();
    });

    it('shows the sandbox only the /etc files programs need', async () => {
      const sandbox = await driver.create(spec);
      const listing = await sandbox.exec(['ls', '-A', '/etc']);
      const names = listing.stdout.trim().split('\n');
      expect(names).toEqual(expect.arrayContaining(['passwd', 'group', 'hosts', 'ld.so.cache']));
      for (const name of names) expect(name).toMatch(ETC_ALLOWED);
      for (const absent of [
        '/etc/shadow',
        '/etc/gshadow',
        '/etc/ssh',
        '/etc/sudoers',
        '/etc/hostname',
      ]) {
        expect((await sandbox.exec(['test', '-e', absent])).exitCode, absent).not.toBe(0);
      }
      const users = (await sandbox.exec(['cut', '-d:', '-f1', '/etc/passwd'])).stdout;
      expect(users.trim().split('\n').sort()).toEqual(
        process.getuid?.() === 0 ? ['nobody', 'root'] : ['nobody', 'root', 'sandbox'],
      );
      // What commands need of /etc still works: awk through /etc/alternatives, a user name.
      const tools = await sandbox.exec(['bash', '-c', 'echo a b | awk "{print \\$2}"; id -un']);
      expect(tools.stdout).toBe(`b\n${process.getuid?.() === 0 ? 'root' : 'sandbox'}\n`);
      await sandbox.remove();
    });

    it('reaches nothing on the bridge network until told where Lucid is', async () => {
      const host = await hostListener();
      const bridged = await driver.create({ ...spec, network: 'bridge' });
      try {
        const result = await bridged.exec(connectTo('127.0.0.1', host.port), { timeoutMs: 5000 });
        expect(result.stdout).not.toContain('host secret');
        expect(result.exitCode).not.toBe(0);
      } finally {
        await host.close();
        await bridged.remove();
      }
    });
  }
});

describe.skipIf(!hasBwrap)("a bridge sandbox's own network", () => {
  let root: string;
  let driver: LocalDriver;
  let lucid: Awaited<ReturnType<typeof socketListener>>;
  let host: Awaited<ReturnType<typeof hostListener>>;

  beforeAll(async () => {
    root = await tempRoot();
    driver = new LocalDriver({ root, bwrap: BWRAP });
    lucid = await socketListener();
    host = await hostListener();
  });

  afterAll(async () => {
    await lucid.close();
    await host.close();
    await rm(root, { recursive: true, force: true });
  });

  it("reaches Lucid at its URL's address and port, and nothing else", async () => {
    driver.reachLucid({ url: `http://127.0.0.1:${host.port}`, socket: lucid.socket });
    const sandbox = await driver.create({ ...spec, network: 'bridge' });
    try {
      // Lucid's port answers through the socket, though the host's own listener holds it.
      const own = await sandbox.exec(connectTo('127.0.0.1', host.port), { timeoutMs: 5000 });
      expect(own.stdout).toBe('lucid through the socket\n');
      const other = await hostListener();
      try {
        const result = await sandbox.exec(connectTo('127.0.0.1', other.port), { timeoutMs: 5000 });
        expect(result.stdout).toBe('');
        expect(result.exitCode).not.toBe(0);
      } finally {
        await other.close();
      }
      const linkLocal = await sandbox.exec(connectTo('169.254.169.254', 80), { timeoutMs: 5000 });
      expect(linkLocal.exitCode).not.toBe(0);
      const interfaces = await sandbox.exec([
        'bash',
        '-c',
        'tail -n +3 /proc/net/dev | cut -d: -f1',
      ]);
      expect(interfaces.stdout.trim()).toBe('lo');
    } finally {
      await sandbox.remove();
    }
  });

  it('gives all the commands of a sandbox one network, apart from other sandboxes', async () => {
    driver.reachLucid({ url: `http://127.0.0.1:${host.port}`, socket: lucid.socket });
    const sandbox = await driver.create({ ...spec, network: 'bridge' });
    const other = await driver.create({ ...spec, network: 'bridge' });
    try {
      const shell = await sandbox.shell();
      const serve =
        'exec 3<>/dev/tcp/127.0.0.1/' + host.port + ' && read -r line <&3 && echo "$line"';
      expect((await shell.run(serve)).stdout).toBe('lucid through the socket\n');
      const own = await sandbox.exec(['readlink', '/proc/self/ns/net']);
      const again = await sandbox.exec(['readlink', '/proc/self/ns/net']);
      const theirs = await other.exec(['readlink', '/proc/self/ns/net']);
      expect(own.stdout).toBe(again.stdout);
      expect((await shell.run('readlink /proc/self/ns/net')).stdout).toBe(own.stdout);
      expect(theirs.stdout).not.toBe(own.stdout);
    } finally {
      await sandbox.remove();
      await other.remove();
    }
  });

  it("answers for Lucid's host name on any port, and for an address of another network", async () => {
    driver.reachLucid({ url: 'https://lucid.example.test', socket: lucid.socket });
    const named = await driver.create({ ...spec, network: 'bridge' });
    try {
      const hosts = await named.exec(['getent', 'hosts', 'lucid.example.test']);
      expect(hosts.stdout).toMatch(/^127\.0\.0\.1\s.*\blucid\.example\.test\b/);
      const reached = await named.exec(connectTo('lucid.example.test', 443), { timeoutMs: 5000 });
      expect(reached.stdout).toBe('lucid through the socket\n');
    } finally {
      await named.remove();
    }
    driver.reachLucid({ url: 'http://10.213.7.9:8080', socket: lucid.socket });
    const addressed = await driver.create({ ...spec, network: 'bridge' });
    try {
      const reached = await addressed.exec(connectTo('10.213.7.9', 8080), { timeoutMs: 5000 });
      expect(reached.stdout).toBe('lucid through the socket\n');
      const beside = await addressed.exec(connectTo('10.213.7.10', 8080), { timeoutMs: 5000 });
      expect(beside.exitCode).not.toBe(0);
    } finally {
      await addressed.remove();
    }
  });
});
