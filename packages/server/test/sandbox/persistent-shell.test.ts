/**
 * The persistent shell over a plain bash, for what the conformance suite cannot provoke through a
 * driver: output arriving one byte at a time, a shell that dies, a command that takes the output
 * streams away, and every character the quoting must carry.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killProcessTree, killShellChildren } from '../../src/sandbox/local/processes.ts';
import {
  PersistentShell,
  ShellExitedError,
  ansiCQuote,
  type PersistentShellOptions,
} from '../../src/sandbox/persistent-shell.ts';

let folder: string;
const shells: PersistentShell[] = [];

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'lucid-shell-'));
});

afterAll(async () => {
  await Promise.all(shells.map((shell) => shell.close()));
  await rm(folder, { recursive: true, force: true });
});

/** Passes a stream on one byte per chunk. */
function oneByteAtATime(source: Readable): Readable {
  const out = new PassThrough();
  source.on('data', (chunk: Buffer) => {
    for (const byte of chunk) out.write(Buffer.from([byte]));
  });
  source.on('end', () => out.end());
  return out;
}

function startShell(options: PersistentShellOptions & { split?: boolean } = {}): PersistentShell {
  const child = spawn('bash', ['--noprofile', '--norc'], {
    cwd: folder,
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid as number;
  const shell = new PersistentShell(
    {
      stdin: child.stdin,
      stdout: options.split ? oneByteAtATime(child.stdout) : child.stdout,
      stderr: options.split ? oneByteAtATime(child.stderr) : child.stderr,
      killChildren: () => killShellChildren(pid),
      interrupt: async () => void process.kill(pid, 'SIGUSR1'),
      close: () => killProcessTree(pid),
    },
    options,
  );
  shells.push(shell);
  return shell;
}

describe('PersistentShell', () => {
  it('finds the markers in output that arrives one byte at a time', async () => {
    const shell = startShell({ split: true });
    const result = await shell.run('printf "ünï ✓\\n"; echo err >&2; (exit 6)');
    expect(result).toMatchObject({ exitCode: 6, stdout: 'ünï ✓\n', stderr: 'err\n' });
    const lookalike = await shell.run("printf '\\n__lucid_'; printf '\\n__lu' >&2");
    expect(lookalike).toMatchObject({ exitCode: 0, stdout: '\n__lucid_', stderr: '\n__lu' });
    expect((await shell.run('echo next')).stdout).toBe('next\n');
  });

  it('carries every character of a command through its quoting', async () => {
    const shell = startShell();
    let all = '';
    for (let code = 1; code < 128; code++) all += String.fromCharCode(code);
    all += 'ünïcödé ✓ 😀';
    const result = await shell.run(`printf '%s' ${ansiCQuote(all)}`);
    expect(result.stdout).toBe(all);
  });

  it('fails the running and later commands once the shell dies', async () => {
    const shell = startShell();
    await expect(shell.run('kill -9 $$')).rejects.toBeInstanceOf(ShellExitedError);
    expect(shell.alive).toBe(false);
    await expect(shell.run('echo late')).rejects.toBeInstanceOf(ShellExitedError);
  });

  it('ends the shell when a stopped command never gives it back', async () => {
    const shell = startShell({ killGraceMs: 500 });
    const result = await shell.run('exec 3>&1 4>&2 >/dev/null 2>&1; sleep 100', {
      timeoutMs: 200,
    });
    expect(result.timedOut).toBe(true);
    expect(shell.alive).toBe(false);
    await expect(shell.run('echo late')).rejects.toBeInstanceOf(ShellExitedError);
  });

  it('fails a command that closes the output streams, and ends that shell', async () => {
    const shell = startShell();
    await expect(shell.run('exec >&- 2>&-; sleep 100')).rejects.toBeInstanceOf(ShellExitedError);
    expect(shell.alive).toBe(false);
  });

  it('does not run a command whose signal is already aborted', async () => {
    const shell = startShell();
    const result = await shell.run('touch never', { signal: AbortSignal.abort() });
    expect(result.cancelled).toBe(true);
    expect((await shell.run('ls')).stdout).not.toContain('never');
  });
});
