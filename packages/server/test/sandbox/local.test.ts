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
import type { SandboxSpec } from '../../src/sandbox/driver.ts';
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

if (hasBwrap) sandboxConformance('local with bubblewrap', localDriver(BWRAP), { hardening: true });
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
        `${folder}/workspace\n${folder}/workspace\n${folder}/tmp\n`.replaceAll('//', '/'),
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
      for (const hidden of ['root', 'home', 'work', 'var', 'srv'])
        expect(top).not.toContain(hidden);
      expect((await sandbox.exec(['ls', root])).exitCode).not.toBe(0);
      expect((await sandbox.exec(['cat', `/proc/${process.pid}/environ`])).stdout).not.toContain(
        'LUCID',
      );
      expect((await sandbox.exec(['cat', '/etc/shadow'])).stdout).toBe('');
      const caps = await sandbox.exec(['grep', 'CapEff', '/proc/self/status']);
      expect(caps.stdout).toMatch(/CapEff:\s+0+\n/);
      await sandbox.remove();
    });

    it('shares the host network only with sandboxes on the bridge network', async () => {
      const server = net.createServer((socket) => socket.end('hello from the host\n'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as net.AddressInfo;
      const connect = ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3`];
      const bridged = await driver.create({ ...spec, network: 'bridge' });
      const closed = await driver.create(spec);
      try {
        expect((await bridged.exec(connect, { timeoutMs: 5000 })).stdout).toBe(
          'hello from the host\n',
        );
        expect((await closed.exec(connect, { timeoutMs: 5000 })).exitCode).not.toBe(0);
      } finally {
        server.close();
        await bridged.remove();
        await closed.remove();
      }
    });
  }
});
