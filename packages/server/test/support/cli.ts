/**
 * The `lucid` command as a user runs it, for tests: a real child process with its own home and
 * config folders, no system git config, and no prompts. Everything it prints is kept in a
 * transcript, so a test can check what a user would have seen.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliUser {
  home: string;
  configDir: string;
  /** The environment every run gets, before its own additions. */
  env: Record<string, string>;
  /** stdout and stderr of every run so far. */
  transcript: string[];
  run(args: string[], options?: { env?: Record<string, string>; cwd?: string }): Promise<CliResult>;
}

const BIN = path.resolve(import.meta.dirname, '../../bin/lucid.js');

/**
 * @example
 * const cli = await cliUser();
 * const { code, stdout } = await cli.run(['repos', '--json']);
 */
export async function cliUser(): Promise<CliUser> {
  const home = await mkdtemp(path.join(tmpdir(), 'lucid-home-'));
  const configDir = path.join(home, 'lucid-config');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LUCID_CONFIG_DIR: configDir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
  };
  const transcript: string[] = [];
  return {
    home,
    configDir,
    env,
    transcript,
    run: (args, options = {}) =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          [BIN, ...args],
          {
            cwd: options.cwd ?? home,
            env: { ...env, ...options.env },
            timeout: 60_000,
            maxBuffer: 16 * 1024 * 1024,
          },
          (error, stdout, stderr) => {
            transcript.push(stdout, stderr);
            const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
      }),
  };
}
