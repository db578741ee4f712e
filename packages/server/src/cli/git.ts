/**
 * @module cli/git
 * Runs the user's own git for the CLI, with their config and credentials. An API token reaches git
 * only through the environment, as an `http.<url>.extraHeader` scoped to one Lucid clone URL: never
 * in a URL, an argument, a repository's config, or git's output, and never sent to another host.
 */
import { spawn } from 'node:child_process';
import { CliError } from './cli-error.ts';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A Lucid git URL and the API token to present to it (and to the URLs below it) only. */
export interface LucidAuth {
  url: string;
  token: string;
}

export interface GitOptions {
  cwd?: string;
  auth?: LucidAuth;
  /** English messages, for the commands whose errors the CLI reads. */
  plain?: boolean;
}

/** Variables that would point git at another repository than the one in `cwd`. */
const REPO_SELECTORS = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR'];

/**
 * The environment variables that make git send the token to `auth.url` alone (git ≥ 2.31).
 * Config entries the user already passes through `GIT_CONFIG_COUNT` are kept.
 *
 * @example
 * lucidAuthEnv(process.env, { url: repo.cloneUrl, token });
 * // { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.http://…/git/repo_x.git.extraHeader', … }
 */
export function lucidAuthEnv(env: NodeJS.ProcessEnv, auth: LucidAuth): Record<string, string> {
  const index = Number.parseInt(env.GIT_CONFIG_COUNT ?? '', 10) || 0;
  const basic = Buffer.from(`lucid:${auth.token}`).toString('base64');
  return {
    GIT_CONFIG_COUNT: String(index + 1),
    [`GIT_CONFIG_KEY_${index}`]: `http.${auth.url}.extraHeader`,
    [`GIT_CONFIG_VALUE_${index}`]: `Authorization: Basic ${basic}`,
    GIT_TERMINAL_PROMPT: '0',
  };
}

/**
 * Runs git and collects its output; it never throws for git's own failures.
 *
 * @example
 * const { code, stdout } = await git(['rev-parse', 'HEAD'], { cwd: dir });
 */
export function git(args: string[], options: GitOptions = {}): Promise<GitResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of REPO_SELECTORS) delete env[name];
  if (options.plain) env.LC_ALL = 'C';
  if (options.auth) Object.assign(env, lucidAuthEnv(process.env, options.auth));
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new CliError('git is not installed or not on the PATH')
          : new CliError(`Cannot run git: ${error.message}`),
      );
    });
    child.once('close', (code) => {
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

/** Runs git and returns its output, or throws git's message as a `CliError`. */
export async function gitOutput(args: string[], options: GitOptions = {}): Promise<string> {
  const result = await git(args, options);
  if (result.code !== 0) throw new CliError(gitMessage(result.stderr));
  return result.stdout;
}

/** Lines git adds to its errors that say nothing about this failure. */
const BOILERPLATE = [
  /^hint:/,
  /^To /,
  /^Please make sure you have the correct access rights$/,
  /^and the repository exists\.$/,
];

/**
 * Git's error output as one line, without hints and boilerplate.
 *
 * @example
 * gitMessage("fatal: 'x' does not appear to be a git repository\nfatal: Could not read from remote repository.\n")
 * // "'x' does not appear to be a git repository; Could not read from remote repository."
 */
export function gitMessage(stderr: string): string {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !BOILERPLATE.some((pattern) => pattern.test(line)))
    .map((line) => line.replace(/^(fatal|error): /, ''));
  return [...new Set(lines)].join('; ') || 'git failed without a message';
}

/** One ref in the `--porcelain` report of `git push`. */
export interface PushedRef {
  /** `*` new, ` ` fast-forward, `+` forced, `-` deleted, `=` up to date, `!` rejected. */
  flag: string;
  to: string;
  summary: string;
}

/**
 * @example
 * parsePushReport('To /srv/x.git\n*\trefs/heads/main:refs/heads/main\t[new branch]\nDone\n');
 * // [{ flag: '*', to: 'refs/heads/main', summary: '[new branch]' }]
 */
export function parsePushReport(stdout: string): PushedRef[] {
  const refs: PushedRef[] = [];
  for (const line of stdout.split('\n')) {
    const [flag, spec, summary = ''] = line.split('\t');
    if (flag === undefined || flag.length !== 1 || spec === undefined) continue;
    refs.push({ flag, to: spec.slice(spec.indexOf(':') + 1), summary });
  }
  return refs;
}

/** Git's reasons for a failed push: the refs it rejected, then its error output. */
export function pushFailure(result: GitResult): string {
  const rejected = parsePushReport(result.stdout)
    .filter((ref) => ref.flag === '!')
    .map((ref) => `${ref.to.replace(/^refs\/(heads|tags)\//, '')} ${ref.summary}`);
  const message = result.stderr.trim() === '' ? [] : [gitMessage(result.stderr)];
  return [...rejected, ...message].join('; ') || 'git failed without a message';
}
