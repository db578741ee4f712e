/**
 * @module test/sandbox/conformance
 * The behaviour every sandbox driver must have, as one vitest suite. A driver's test file calls
 * `sandboxConformance(name, makeDriver)`; drivers that really isolate pass `{ hardening: true }` to
 * also check what a sandbox must not reach (the network, the host's system files, the exact
 * `/workspace` path).
 *
 * Commands use only bash and coreutils. Checks that a killed command left nothing behind look both
 * at /proc from a new command and at a heartbeat file the command's background child kept writing,
 * since a driver may give each command its own PID namespace.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox, SandboxDriver, SandboxSpec } from '../../src/sandbox/driver.ts';

export interface ConformanceOptions {
  /** Also check isolation that only a real sandbox provides (namespaces, read-only system). */
  hardening?: boolean;
}

export type MakeDriver = () => Promise<{ driver: SandboxDriver; cleanup?: () => Promise<void> }>;

const CUT = /\n\[… \d+ bytes of output cut …\]\n/;

function unique(): string {
  return randomBytes(6).toString('hex');
}

/** A `sleep` whose argument no other process on the host has. */
function uniqueSleep(): string {
  return `sleep ${(1000 + Math.random() * 1000).toFixed(3)}`;
}

function specWith(labels: Record<string, string>, extra: Partial<SandboxSpec> = {}): SandboxSpec {
  return {
    labels,
    limits: { memoryBytes: 1024 ** 3, cpus: 1, pids: 512 },
    network: 'none',
    ...extra,
  };
}

/** Command lines of every process the sandbox can see from a new command. */
async function visibleCommandLines(sandbox: Sandbox): Promise<string> {
  const result = await sandbox.exec([
    'bash',
    '-c',
    'for f in /proc/[0-9]*/cmdline; do tr "\\000" " " < "$f" 2>/dev/null; echo; done',
  ]);
  return result.stdout;
}

async function sizeOf(sandbox: Sandbox, path: string): Promise<number> {
  try {
    return (await sandbox.readFile(path)).length;
  } catch {
    return 0;
  }
}

/** Asserts that whatever appends to `path` has stopped. */
async function expectHeartbeatStopped(sandbox: Sandbox, path: string): Promise<void> {
  const before = await sizeOf(sandbox, path);
  await delay(400);
  expect(await sizeOf(sandbox, path)).toBe(before);
}

/**
 * Registers the conformance suite for one driver.
 *
 * @example
 * sandboxConformance('local (bubblewrap)', async () => ({ driver: new LocalDriver({ root }) }), {
 *   hardening: true,
 * });
 */
export function sandboxConformance(
  name: string,
  makeDriver: MakeDriver,
  options: ConformanceOptions = {},
): void {
  describe(`sandbox driver conformance: ${name}`, () => {
    const suiteLabel = { 'lucid.conformance': unique() };
    let driver: SandboxDriver;
    let cleanup: (() => Promise<void>) | undefined;
    let sandbox: Sandbox;
    const created: Sandbox[] = [];

    async function create(labels: Record<string, string> = {}, extra: Partial<SandboxSpec> = {}) {
      const made = await driver.create(specWith({ ...suiteLabel, ...labels }, extra));
      created.push(made);
      return made;
    }

    beforeAll(async () => {
      process.env.LUCID_CONFORMANCE_CANARY = `canary-${unique()}`;
      ({ driver, cleanup } = await makeDriver());
      sandbox = await create({}, { env: { SPEC_VAR: 'from-spec', SHARED_VAR: 'spec' } });
    });

    afterAll(async () => {
      delete process.env.LUCID_CONFORMANCE_CANARY;
      await Promise.all(created.map((made) => made.remove().catch(() => undefined)));
      await cleanup?.();
    });

    describe('lifecycle', () => {
      it('finds a sandbox by labels and id, and forgets it once removed', async () => {
        const task = unique();
        const made = await create({ 'lucid.task': task, 'lucid.run': 'run-1' });
        expect(made.labels).toMatchObject({ 'lucid.task': task, 'lucid.run': 'run-1' });

        const found = await driver.list({ 'lucid.task': task });
        expect(found.map((info) => info.id)).toEqual([made.id]);
        expect(found[0]?.labels).toMatchObject({ 'lucid.task': task, 'lucid.run': 'run-1' });
        expect(found[0]?.createdAt).toBeInstanceOf(Date);
        expect(await driver.list({ 'lucid.task': task, 'lucid.run': 'run-2' })).toEqual([]);
        expect((await driver.list()).map((info) => info.id)).toContain(made.id);

        const again = await driver.get(made.id);
        expect(again?.id).toBe(made.id);
        expect(again?.labels).toMatchObject({ 'lucid.task': task });

        await made.remove();
        expect(await driver.get(made.id)).toBeNull();
        expect(await driver.list({ 'lucid.task': task })).toEqual([]);
      });

      it('answers null for an id it never made', async () => {
        expect(await driver.get('sbx_nosuchsandboxatall0')).toBeNull();
      });
    });

    describe('exec', () => {
      it('reports exit codes and keeps stdout and stderr apart', async () => {
        const ok = await sandbox.exec(['bash', '-c', 'echo out; echo err >&2']);
        expect(ok).toMatchObject({
          exitCode: 0,
          stdout: 'out\n',
          stderr: 'err\n',
          truncated: false,
          timedOut: false,
          cancelled: false,
          oomKilled: false,
        });
        expect(typeof ok.durationMs).toBe('number');
        const failed = await sandbox.exec(['bash', '-c', 'echo oops >&2; exit 3']);
        expect(failed.exitCode).toBe(3);
        expect(failed.stderr).toBe('oops\n');
        expect(failed.stdout).toBe('');
      });

      it('passes arguments as they are, without a shell', async () => {
        const result = await sandbox.exec(['printf', '%s|', 'a b', '$HOME', "it's", '*']);
        expect(result.stdout).toBe("a b|$HOME|it's|*|");
      });

      it('delivers stdin, then closes it', async () => {
        const text = await sandbox.exec(['cat'], { stdin: 'hello\nworld ✓' });
        expect(text.stdout).toBe('hello\nworld ✓');
        const bytes = await sandbox.exec(['wc', '-c'], { stdin: Buffer.from([0, 1, 2, 255]) });
        expect(bytes.stdout.trim()).toBe('4');
        const none = await sandbox.exec(['wc', '-c']);
        expect(none.stdout.trim()).toBe('0');
      });

      it('runs in /workspace by default and honours cwd', async () => {
        const dir = `cwd-${unique()}`;
        await sandbox.writeFile(`/workspace/top-${dir}.txt`, 'top');
        await sandbox.writeFile(`/workspace/${dir}/inner.txt`, 'inner');
        expect((await sandbox.exec(['cat', `top-${dir}.txt`])).stdout).toBe('top');
        const inner = await sandbox.exec(['cat', 'inner.txt'], { cwd: `/workspace/${dir}` });
        expect(inner.stdout).toBe('inner');
        if (options.hardening) {
          expect((await sandbox.exec(['pwd'])).stdout).toBe('/workspace\n');
          expect((await sandbox.exec(['pwd'], { cwd: `/workspace/${dir}` })).stdout).toBe(
            `/workspace/${dir}\n`,
          );
        }
      });

      it("sets the spec's and the command's environment, and nothing of the server's", async () => {
        const result = await sandbox.exec(
          ['bash', '-c', 'echo "$SPEC_VAR|$SHARED_VAR|$EXEC_VAR"; env'],
          { env: { EXEC_VAR: 'from-exec', SHARED_VAR: 'exec' } },
        );
        const [first, ...rest] = result.stdout.split('\n');
        expect(first).toBe('from-spec|exec|from-exec');
        const env = rest.join('\n');
        expect(env).toMatch(/^PATH=/m);
        expect(env).not.toContain('LUCID_CONFORMANCE_CANARY');
        expect(env).not.toContain(process.env.LUCID_CONFORMANCE_CANARY);
      });

      it('streams output through onOutput, in order, while the command runs', async () => {
        const go = `go-${unique()}`;
        const chunks: { stream: string; chunk: string }[] = [];
        let released: Promise<void> | null = null;
        const result = await sandbox.exec(
          [
            'bash',
            '-c',
            `echo ready; for i in $(seq 500); do [ -e ${go} ] && break; sleep 0.02; done; ` +
              `[ -e ${go} ] || exit 9; for i in 1 2 3; do echo "line $i"; done; echo done >&2`,
          ],
          {
            onOutput: (stream, chunk) => {
              chunks.push({ stream, chunk });
              if (stream === 'stdout' && chunk.includes('ready')) {
                released ??= sandbox.writeFile(`/workspace/${go}`, '');
              }
            },
          },
        );
        await released;
        expect(result.exitCode).toBe(0);
        const stdout = chunks.filter((c) => c.stream === 'stdout').map((c) => c.chunk);
        const stderr = chunks.filter((c) => c.stream === 'stderr').map((c) => c.chunk);
        expect(stdout.join('')).toBe('ready\nline 1\nline 2\nline 3\n');
        expect(stdout.join('')).toBe(result.stdout);
        expect(stderr.join('')).toBe('done\n');
      });

      it('cuts output beyond the cap, keeping its head and tail', async () => {
        const streamed: string[] = [];
        const result = await sandbox.exec(
          [
            'bash',
            '-c',
            'echo HEAD-START; yes 0123456789 | head -n 20000; echo TAIL-END; echo e >&2',
          ],
          {
            maxOutputBytes: 2000,
            onOutput: (stream, chunk) => stream === 'stdout' && streamed.push(chunk),
          },
        );
        expect(result.exitCode).toBe(0);
        expect(result.truncated).toBe(true);
        expect(result.stdout.startsWith('HEAD-START\n0123456789\n')).toBe(true);
        expect(result.stdout.endsWith('0123456789\nTAIL-END\n')).toBe(true);
        expect(result.stdout).toMatch(CUT);
        expect(result.stdout.length).toBeLessThan(2200);
        expect(result.stderr).toBe('e\n');
        const all = streamed.join('');
        expect(all.startsWith('HEAD-START\n')).toBe(true);
        expect(all).not.toContain('TAIL-END');
        expect(all.length).toBeLessThan(2400);
      });

      it('keeps everything when the output fits', async () => {
        const result = await sandbox.exec(['bash', '-c', 'yes ab | head -n 100'], {
          maxOutputBytes: 300,
        });
        expect(result.truncated).toBe(false);
        expect(result.stdout).toBe('ab\n'.repeat(100));
      });

      it('kills a timed-out command and the processes it started', async () => {
        const sleep = uniqueSleep();
        const beat = `beat-${unique()}`;
        const result = await sandbox.exec(
          [
            'bash',
            '-c',
            `(while :; do echo x >> ${beat}; sleep 0.05; done) & ${sleep} & echo started; ${sleep}`,
          ],
          { timeoutMs: 1500 },
        );
        expect(result.timedOut).toBe(true);
        expect(result.cancelled).toBe(false);
        expect(result.exitCode).not.toBe(0);
        expect(result.stdout).toBe('started\n');
        expect(await visibleCommandLines(sandbox)).not.toContain(sleep);
        await expectHeartbeatStopped(sandbox, `/workspace/${beat}`);
      });

      it('kills a cancelled command and the processes it started', async () => {
        const sleep = uniqueSleep();
        const beat = `beat-${unique()}`;
        const controller = new AbortController();
        const result = await sandbox.exec(
          [
            'bash',
            '-c',
            `(while :; do echo x >> ${beat}; sleep 0.05; done) & ${sleep} & echo started; ${sleep}`,
          ],
          {
            signal: controller.signal,
            onOutput: (_stream, chunk) => chunk.includes('started') && controller.abort(),
          },
        );
        expect(result.cancelled).toBe(true);
        expect(result.timedOut).toBe(false);
        expect(result.exitCode).not.toBe(0);
        expect(await visibleCommandLines(sandbox)).not.toContain(sleep);
        await expectHeartbeatStopped(sandbox, `/workspace/${beat}`);
      });

      it('does not start a command whose signal is already aborted', async () => {
        const file = `never-${unique()}`;
        const result = await sandbox.exec(['touch', file], { signal: AbortSignal.abort() });
        expect(result.cancelled).toBe(true);
        await expect(sandbox.readFile(`/workspace/${file}`)).rejects.toThrow();
      });
    });

    describe('persistent shell', () => {
      let box: Sandbox;
      beforeAll(async () => {
        box = await create({ 'lucid.shell': 'yes' }, { env: { SPEC_VAR: 'from-spec' } });
      });

      it('keeps the working directory and exported variables between runs', async () => {
        const shell = await box.shell();
        const first = await shell.run('mkdir -p sub && cd sub && export X=1 && echo $SPEC_VAR');
        expect(first).toMatchObject({ exitCode: 0, stdout: 'from-spec\n', stderr: '' });
        const second = await shell.run('pwd; echo "x=$X"');
        expect(second.stdout).toMatch(/\/sub\nx=1\n$/);
        if (options.hardening) expect(second.stdout).toBe('/workspace/sub\nx=1\n');
        expect(await box.shell()).toBe(shell);
        await shell.run('cd ..');
      });

      it('reports exit codes and keeps stdout and stderr apart', async () => {
        const shell = await box.shell();
        expect((await shell.run('false')).exitCode).toBe(1);
        expect((await shell.run('bash -c "exit 5"')).exitCode).toBe(5);
        const both = await shell.run('echo out; echo err >&2; (exit 7)');
        expect(both).toMatchObject({ exitCode: 7, stdout: 'out\n', stderr: 'err\n' });
        expect((await shell.run('printf "no newline"')).stdout).toBe('no newline');
        expect((await shell.run('true')).stdout).toBe('');
      });

      it('keeps quotes, multi-line scripts and heredocs intact', async () => {
        const shell = await box.shell();
        const script = [
          `echo "double \\"q\\" \\$HOME" 'single $HOME \\ "x"'`,
          'for i in 1 2; do',
          '  echo "loop $i"',
          'done',
          "cat <<'EOF'",
          "  literal $HOME `date` \\ 'q'",
          'EOF',
          'cat <<EOF',
          'expanded ${SPEC_VAR}',
          'EOF',
          "printf '%s\\n' tab$'\\t'end ünïcödé",
        ].join('\n');
        const result = await shell.run(script);
        expect(result.stderr).toBe('');
        expect(result.stdout).toBe(
          [
            `double "q" $HOME single $HOME \\ "x"`,
            'loop 1',
            'loop 2',
            "  literal $HOME `date` \\ 'q'",
            'expanded from-spec',
            'tab\tend',
            'ünïcödé',
            '',
          ].join('\n'),
        );
        const broken = await shell.run('echo "unterminated');
        expect(broken.exitCode).not.toBe(0);
        expect((await shell.run('echo still here')).stdout).toBe('still here\n');
      });

      it('gives a command that reads stdin an empty input, without eating the next command', async () => {
        const shell = await box.shell();
        const reader = await shell.run('cat; read -r line; echo "read=$? line=$line"');
        expect(reader.stdout).toBe('read=1 line=\n');
        expect((await shell.run('echo next')).stdout).toBe('next\n');
      });

      it('runs commands one at a time, in order', async () => {
        const shell = await box.shell();
        const [slow, quick] = await Promise.all([
          shell.run('echo a; sleep 0.2; echo b'),
          shell.run('echo c'),
        ]);
        expect(slow.stdout).toBe('a\nb\n');
        expect(quick.stdout).toBe('c\n');
      });

      it('streams output and cuts it beyond the cap', async () => {
        const shell = await box.shell();
        const go = `go-${unique()}`;
        const chunks: string[] = [];
        let released: Promise<void> | null = null;
        const streamed = await shell.run(
          `echo ready; for i in $(seq 500); do [ -e ${go} ] && break; sleep 0.02; done; ` +
            `[ -e ${go} ] || exit 9; echo finished`,
          {
            onOutput: (stream, chunk) => {
              if (stream !== 'stdout') return;
              chunks.push(chunk);
              if (chunk.includes('ready')) released ??= box.writeFile(`/workspace/${go}`, '');
            },
          },
        );
        await released;
        expect(streamed.exitCode).toBe(0);
        expect(chunks.join('')).toBe('ready\nfinished\n');

        const capped = await shell.run('echo HEAD; yes 0123456789 | head -n 20000; echo TAIL', {
          maxOutputBytes: 2000,
        });
        expect(capped.truncated).toBe(true);
        expect(capped.stdout.startsWith('HEAD\n')).toBe(true);
        expect(capped.stdout.endsWith('\nTAIL\n')).toBe(true);
        expect(capped.stdout).toMatch(CUT);
      });

      it('kills a timed-out command and its children, and stays usable where it was', async () => {
        const shell = await box.shell();
        await shell.run('mkdir -p kept && cd kept');
        const sleep = uniqueSleep();
        const beat = `beat-${unique()}`;
        const result = await shell.run(
          `(while :; do echo x >> ../${beat}; sleep 0.05; done) & echo started; bash -c '${sleep} & ${sleep}'`,
          { timeoutMs: 1500 },
        );
        expect(result.timedOut).toBe(true);
        expect(result.exitCode).not.toBe(0);
        expect(result.stdout).toBe('started\n');
        const after = await shell.run('pwd; cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\000" " "');
        expect(after.stdout.split('\n')[0]).toMatch(/\/kept$/);
        expect(after.stdout).not.toContain(sleep);
        expect(await visibleCommandLines(box)).not.toContain(sleep);
        await expectHeartbeatStopped(box, `/workspace/${beat}`);
        await shell.run('cd ..');
      });

      it('stops a cancelled command, and the next run works', async () => {
        const shell = await box.shell();
        const sleep = uniqueSleep();
        const controller = new AbortController();
        const result = await shell.run(`echo started; ${sleep}`, {
          signal: controller.signal,
          onOutput: (_stream, chunk) => chunk.includes('started') && controller.abort(),
        });
        expect(result.cancelled).toBe(true);
        expect(result.timedOut).toBe(false);
        expect((await shell.run('echo next')).stdout).toBe('next\n');
        expect(await visibleCommandLines(box)).not.toContain(sleep);
      });

      it('stops a busy loop that starts no process on timeout', async () => {
        const shell = await box.shell();
        const result = await shell.run('while :; do :; done', { timeoutMs: 300 });
        expect(result.timedOut).toBe(true);
        const next = await (await box.shell()).run('echo alive');
        expect(next.stdout).toBe('alive\n');
      });

      it('answers `exit` with its status, then opens a new shell', async () => {
        const shell = await box.shell();
        const exited = await shell.run('exit 4');
        expect(exited.exitCode).toBe(4);
        await expect(shell.run('echo late')).rejects.toThrow(/shell/);
        const fresh = await box.shell();
        expect(fresh).not.toBe(shell);
        expect((await fresh.run('echo again')).stdout).toBe('again\n');
      });
    });

    describe('files', () => {
      it('round-trips text, binary content, nested folders and names with spaces', async () => {
        const dir = `files-${unique()}`;
        const base = `/workspace/${dir}`;
        const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        await sandbox.writeFile(`${base}/nested/deep/note.txt`, 'hello ✓');
        await sandbox.writeFile(`${base}/blob.bin`, binary);
        await sandbox.writeFile(`${base}/with space/file name.txt`, 'spaced');
        expect((await sandbox.readFile(`${base}/nested/deep/note.txt`)).toString()).toBe('hello ✓');
        expect((await sandbox.readFile(`${base}/blob.bin`)).equals(binary)).toBe(true);
        expect((await sandbox.readFile(`${base}/with space/file name.txt`)).toString()).toBe(
          'spaced',
        );
        await sandbox.writeFile(`${base}/nested/deep/note.txt`, 'replaced');
        expect((await sandbox.readFile(`${base}/nested/deep/note.txt`)).toString()).toBe(
          'replaced',
        );

        const entries = await sandbox.listFiles(base);
        const byPath = new Map(entries.map((entry) => [entry.path, entry]));
        expect(byPath.get('nested')?.type).toBe('directory');
        expect(byPath.get('nested/deep')?.type).toBe('directory');
        expect(byPath.get('nested/deep/note.txt')).toMatchObject({ type: 'file', size: 8 });
        expect(byPath.get('blob.bin')).toMatchObject({ type: 'file', size: 256 });
        expect(byPath.get('with space/file name.txt')).toMatchObject({ type: 'file', size: 6 });
        expect(entries).toHaveLength(6);

        const nested = await sandbox.listFiles(`${base}/nested`);
        expect(nested.map((entry) => entry.path).sort()).toEqual(['deep', 'deep/note.txt']);
        expect(await sandbox.listFiles(base, { maxEntries: 2 })).toHaveLength(2);

        const seen = await sandbox.exec(['cat', `${dir}/nested/deep/note.txt`]);
        expect(seen.stdout).toBe('replaced');
      });

      it('lists files that commands wrote', async () => {
        const dir = `made-${unique()}`;
        const made = await sandbox.exec([
          'bash',
          '-c',
          `mkdir -p ${dir}/a && printf abc > ${dir}/a/x.txt && ln -s a/x.txt ${dir}/link`,
        ]);
        expect(made.exitCode).toBe(0);
        const entries = await sandbox.listFiles(`/workspace/${dir}`);
        const byPath = new Map(entries.map((entry) => [entry.path, entry]));
        expect(byPath.get('a')?.type).toBe('directory');
        expect(byPath.get('a/x.txt')).toMatchObject({ type: 'file', size: 3 });
        expect(byPath.get('link')?.type).toBe('symlink');
        expect((await sandbox.readFile(`/workspace/${dir}/a/x.txt`)).toString()).toBe('abc');
      });

      it('fails to read a file that does not exist', async () => {
        await expect(sandbox.readFile(`/workspace/missing-${unique()}`)).rejects.toThrow();
      });
    });

    describe('isolation', () => {
      it('keeps the files of two sandboxes apart', async () => {
        const other = await create();
        const name = `secret-${unique()}.txt`;
        await sandbox.writeFile(`/workspace/${name}`, 'mine');
        await expect(other.readFile(`/workspace/${name}`)).rejects.toThrow();
        expect((await other.exec(['ls', '-a'])).stdout).not.toContain(name);
        expect((await other.exec(['cat', name])).exitCode).not.toBe(0);
        await other.writeFile(`/workspace/${name}`, 'theirs');
        expect((await sandbox.readFile(`/workspace/${name}`)).toString()).toBe('mine');
        if (options.hardening) {
          await sandbox.exec(['bash', '-c', `echo mine > /tmp/${name}`]);
          expect((await other.exec(['ls', '-a', '/tmp'])).stdout).not.toContain(name);
        }
      });

      if (options.hardening) {
        it('cannot change the system files', async () => {
          const probe = `lucid-probe-${unique()}`;
          for (const folder of ['/usr', '/etc']) {
            const result = await sandbox.exec(['touch', `${folder}/${probe}`]);
            expect(result.exitCode).not.toBe(0);
          }
        });

        it('reaches no host port with network none', async () => {
          const server = net.createServer((socket) => socket.end('hello from the host\n'));
          await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
          const { port } = server.address() as net.AddressInfo;
          try {
            const result = await sandbox.exec(
              ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3`],
              { timeoutMs: 5000 },
            );
            expect(result.stdout).not.toContain('hello from the host');
            expect(result.exitCode).not.toBe(0);
          } finally {
            server.close();
          }
        });

        // Under a fully loaded machine the docker run once lost the background job before it
        // was seen in its own sandbox (cause not yet found); a real isolation failure repeats.
        it("does not see another sandbox's processes", { retry: 2 }, async () => {
          const other = await create();
          const sleep = uniqueSleep();
          const shell = await other.shell();
          await shell.run(`${sleep} >/dev/null 2>&1 &`);
          // The background job may not have started its program yet: look until it has.
          const own = await shell.run(
            'for i in $(seq 100); do cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\000" " " | ' +
              `grep -q "${sleep}" && break; sleep 0.05; done; ` +
              'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\000" " "',
          );
          expect(own.stdout).toContain(sleep);
          expect(await visibleCommandLines(sandbox)).not.toContain(sleep);
          await other.remove();
        });
      }
    });
  });
}
