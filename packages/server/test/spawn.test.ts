import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  spawnProcess,
  startSpawnHost,
  stopSpawnHost,
  type SpawnedProcess,
} from '../src/process/spawn.ts';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' };

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

async function run(proc: SpawnedProcess, input?: Buffer) {
  const out = collect(proc.stdout);
  const err = collect(proc.stderr);
  proc.stdin.end(input);
  const [stdout, stderr, status] = await Promise.all([out, err, proc.closed]);
  return { stdout, stderr, ...status };
}

for (const mode of ['through the spawn host', 'directly'] as const) {
  describe(`starting programs ${mode}`, () => {
    beforeAll(async () => {
      if (mode === 'through the spawn host') await startSpawnHost();
    });
    afterAll(() => stopSpawnHost());

    it('passes stdin through, keeps stdout and stderr apart, and reports the exit code', async () => {
      const proc = await spawnProcess('sh', ['-c', 'cat; echo oops >&2; exit 7'], { env });
      const result = await run(proc, Buffer.from('hello\n'));
      expect(result.stdout.toString()).toBe('hello\n');
      expect(result.stderr.toString()).toBe('oops\n');
      expect(result.code).toBe(7);
    });

    it('streams 20 MB each way intact', async () => {
      const data = randomBytes(20 * 1024 * 1024);
      const result = await run(await spawnProcess('cat', [], { env }), data);
      expect(result.stdout.equals(data)).toBe(true);
      expect(result.code).toBe(0);
    });

    it('runs many programs at once, each with its own output', async () => {
      const results = await Promise.all(
        Array.from({ length: 16 }, async (_, i) =>
          run(await spawnProcess('sh', ['-c', `echo ${i}; echo e${i} >&2`], { env, cwd: '/tmp' })),
        ),
      );
      results.forEach((r, i) => {
        expect(r.stdout.toString()).toBe(`${i}\n`);
        expect(r.stderr.toString()).toBe(`e${i}\n`);
      });
    });

    it('kills a program, and with group: true everything it started', async () => {
      const proc = await spawnProcess('sh', ['-c', 'sleep 300 & echo started; wait'], {
        env,
        detached: true,
      });
      let seen = '';
      const started = new Promise<void>((resolve) => {
        proc.stdout.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes('started')) resolve();
        });
      });
      proc.stdout.resume();
      const err = collect(proc.stderr);
      await started;
      proc.kill('SIGKILL', { group: true });
      const status = await proc.closed;
      await err;
      expect(status.signal).toBe('SIGKILL');
      const left = await run(
        await spawnProcess(
          'sh',
          ['-c', `kill -0 -- -${proc.pid} 2>/dev/null && echo alive || echo gone`],
          {
            env,
          },
        ),
      );
      expect(left.stdout.toString().trim()).toBe('gone');
    });

    it('fails clearly for a program that does not exist', async () => {
      await expect(spawnProcess('no-such-program-here', [], { env })).rejects.toThrow(/ENOENT/);
    });
  });
}
