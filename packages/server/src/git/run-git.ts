/**
 * @module git/run-git
 * Runs the real `git` with arguments (never a shell) and a clean environment.
 */
import type { Readable } from 'node:stream';
import { spawnProcess } from '../process/spawn.ts';

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (${exitCode}): ${stderr.trim()}`);
    this.name = 'GitError';
  }
}

/** The environment git runs with: no user or system config, no prompts. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    LANG: 'C',
    ...extra,
  };
}

/**
 * @example
 * const head = await runGit(['rev-parse', 'HEAD'], { cwd: repoPath });
 *
 * `env` adds variables to the clean environment (such as `GIT_CONFIG_*` settings that must not
 * appear in the arguments).
 */
export async function runGit(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const child = await spawnProcess('git', args, { cwd: options.cwd, env: gitEnv(options.env) });
  child.stdin.end();
  const [stdout, stderr, { code }] = await Promise.all([
    readAll(child.stdout, MAX_OUTPUT),
    readAll(child.stderr, 64 * 1024),
    child.closed,
  ]);
  if (code !== 0) throw new GitError(args, code, stderr);
  return stdout;
}

/** Most output a git command may print before it is cut (its caller sees the beginning). */
const MAX_OUTPUT = 64 * 1024 * 1024;

async function readAll(stream: Readable, limit: number): Promise<string> {
  return (await readFirstBytes(stream, limit)).toString('utf8');
}

/** Reads a stream to its end, keeping its first `limit` bytes (the rest is read and dropped). */
export async function readFirstBytes(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    if (size < limit) chunks.push(buffer.subarray(0, limit - size));
    size += buffer.length;
  }
  return Buffer.concat(chunks);
}
