/**
 * @module bench/lib/child
 * Runs a TypeScript module of the benchmarks in a child process with the same loader as this one,
 * so work whose memory must not count towards this process's figures happens elsewhere.
 */
import { spawn } from 'node:child_process';

/**
 * Runs `script` with `args`; resolves with its standard output, or throws when it fails. Its
 * standard error goes to this process's.
 *
 * @example
 * const out = await runScript(fileURLToPath(new URL('./setup.ts', import.meta.url)), [dir]);
 */
export function runScript(script: string, args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${script} failed (${code})`));
    });
  });
}
