/**
 * The real git client, for tests: runs it in a folder with a clean config and no prompts.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function git(
  args: string[],
  cwd?: string,
  env: Record<string, string> = {},
): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      {
        cwd,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          PATH: process.env.PATH,
          HOME: tmpdir(),
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_TERMINAL_PROMPT: '0',
          GIT_AUTHOR_NAME: 'Test',
          GIT_AUTHOR_EMAIL: 'test@example.test',
          GIT_COMMITTER_NAME: 'Test',
          GIT_COMMITTER_EMAIL: 'test@example.test',
          ...env,
        },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Like git(), but throws with git's message when it fails. */
export async function gitOk(
  args: string[],
  cwd?: string,
  env?: Record<string, string>,
): Promise<string> {
  const result = await git(args, cwd, env);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** A URL with the API token as the Basic password, as a user would paste it. */
export function authedUrl(cloneUrl: string, token: string): string {
  const url = new URL(cloneUrl);
  url.username = 'lucid';
  url.password = token;
  return url.toString();
}

/** A new local repository with one commit on `main` holding `files` (paths may name folders). */
export async function makeLocalRepo(files: Record<string, string> = { 'README.md': '# demo\n' }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'lucid-local-'));
  await gitOk(['init', '--quiet', '--initial-branch=main'], dir);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  await gitOk(['add', '.'], dir);
  await gitOk(['commit', '--quiet', '-m', 'first commit'], dir);
  return dir;
}
