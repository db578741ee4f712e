/**
 * @module bench/git-server/git
 * The real git client with a clean environment: no system or global config, no prompts, a HOME
 * of its own, and nothing inherited from the caller's environment but PATH.
 */
import { execFile, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';

/** The environment every git the benchmark runs gets (client and generator alike). */
export function cleanGitEnv(home: string = tmpdir()): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
  };
}

/**
 * Runs git and resolves with its standard output; throws with its standard error when it fails.
 *
 * @example
 * const head = await gitOk(['rev-parse', 'HEAD'], repoPath);
 */
export function gitOk(args: string[], cwd?: string, home?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd, env: cleanGitEnv(home), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`git ${args.join(' ')} failed: ${stderr.trim()}`));
        else resolve(stdout);
      },
    );
  });
}

/**
 * Runs git with its output discarded (so no pipe slows it down) and resolves with the wall time
 * in milliseconds from start to exit.
 */
export function timedGit(args: string[], options: { cwd?: string; home: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: cleanGitEnv(options.home),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 8192) stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const elapsed = performance.now() - started;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`git ${redact(args).join(' ')} failed (${code}): ${stderr.trim()}`));
    });
  });
}

/** Arguments with any password in a URL hidden, for error messages. */
export function redact(args: string[]): string[] {
  return args.map((arg) => arg.replace(/\/\/([^:/@]+):[^@/]+@/, '//$1:***@'));
}

/**
 * How long `spawn()` of a trivial git blocks this process's event loop, median of `samples`:
 * the fork behind it copies the page tables of the whole process, so it grows with its size.
 */
export async function spawnCost(samples = 15): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const child = spawn('git', ['--version'], { env: cleanGitEnv(), stdio: 'ignore' });
    times.push(performance.now() - started);
    await new Promise((resolve) => child.on('close', resolve));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}
