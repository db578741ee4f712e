import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, signUp, type TestUser } from './support/client.ts';
import { authedUrl, git, gitOk } from './support/git.ts';
import { freePort } from './support/test-server.ts';

const bin = fileURLToPath(new URL('../bin/lucid.js', import.meta.url));
const PUSH_BYTES = 200 * 1024 * 1024;

let child: ChildProcess;
let baseUrl: string;
let dataDir: string;
let user: TestUser;

/** Resident memory of a process, now (VmRSS) or at its peak (VmHWM), in bytes. */
async function rss(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
  if (!kb) throw new Error(`no ${field} in /proc status`);
  return Number(kb) * 1024;
}

/**
 * Measures the peak memory of a process while `work` runs: the kernel's peak counter, reset
 * first where the kernel allows it, and frequent samples of the current size as well.
 */
async function peakDuring(pid: number, work: () => Promise<void>): Promise<number> {
  const reset = await writeFile(`/proc/${pid}/clear_refs`, '5').then(
    () => true,
    () => false,
  );
  let sampled = await rss(pid, 'VmRSS');
  const sampler = setInterval(() => {
    rss(pid, 'VmRSS').then(
      (now) => (sampled = Math.max(sampled, now)),
      () => {},
    );
  }, 20);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return reset ? Math.max(sampled, await rss(pid, 'VmHWM')) : sampled;
}

async function waitForHealth(url: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the server did not come up');
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'lucid-large-'));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [bin, 'serve'], {
    env: {
      PATH: process.env.PATH,
      HOME: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LUCID_PUBLIC_URL: baseUrl,
      LUCID_DATA_DIR: path.join(dataDir, 'server'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitForHealth(baseUrl);
  user = await signUp(baseUrl);
});

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('a large push', () => {
  it('streams 200 MB through the git server in bounded memory, and it clones back intact', async () => {
    const repo = await request<{ cloneUrl: string }>(baseUrl, 'POST', '/api/v1/repos/ingest', {
      token: user.token,
      json: { name: 'large' },
    });
    const local = path.join(dataDir, 'local');
    await gitOk(['init', '--quiet', '--initial-branch=main', local]);
    // Random bytes do not compress: the pack on the wire is as large as the file.
    const file = createWriteStream(path.join(local, 'blob.bin'));
    for (let written = 0; written < PUSH_BYTES; written += 1024 * 1024) {
      if (!file.write(randomBytes(1024 * 1024))) await once(file, 'drain');
    }
    file.end();
    await once(file, 'finish');
    await gitOk(['add', 'blob.bin'], local);
    await gitOk(['-c', 'core.compression=0', 'commit', '--quiet', '-m', 'large'], local);

    const pid = child.pid ?? 0;
    const before = await rss(pid, 'VmRSS');
    let push = { code: -1, stderr: '' };
    const peak = await peakDuring(pid, async () => {
      push = await git(
        [
          '-c',
          'pack.compression=0',
          'push',
          '--quiet',
          authedUrl(repo.body.cloneUrl, user.token),
          'main',
        ],
        local,
      );
    });
    expect(push.stderr).toBe('');
    expect(push.code).toBe(0);
    const growth = peak - before;
    console.log(
      `large push: ${PUSH_BYTES / 2 ** 20} MiB pushed; server RSS ${(before / 2 ** 20).toFixed(0)} MiB before, ${(peak / 2 ** 20).toFixed(0)} MiB at peak`,
    );
    // Buffering the body would need at least its size; streaming needs a few socket buffers.
    expect(growth).toBeLessThan(64 * 1024 * 1024);

    const clone = path.join(dataDir, 'clone');
    await gitOk(['clone', '--quiet', '--bare', authedUrl(repo.body.cloneUrl, user.token), clone]);
    const ours = (await gitOk(['rev-parse', 'HEAD:blob.bin'], local)).trim();
    expect((await gitOk(['rev-parse', 'main:blob.bin'], clone)).trim()).toBe(ours);
    // Pushing and cloning 200 MB twice takes half a minute here, more on a busy machine.
  }, 180_000);
});
