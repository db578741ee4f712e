/**
 * @module The real git repositories behind the fake forges: bare repositories made with real commits,
 * served over smart HTTP by the real `git http-backend`, and merged with real git as a forge's merge
 * button does (a merge commit, or a squash).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveGitHttp } from '../../../src/git/http-backend.ts';
import { parseSmartHttp, type SmartHttpRequest } from '../../../src/git/smart-http.ts';
import { git, gitOk } from '../../support/git.ts';

const BOT = {
  GIT_AUTHOR_NAME: 'Forge',
  GIT_AUTHOR_EMAIL: 'noreply@forge.test',
  GIT_COMMITTER_NAME: 'Forge',
  GIT_COMMITTER_EMAIL: 'noreply@forge.test',
};

/** The folder holding every repository of one fake forge, as `<root>/<full name>.git`. */
export class GitRepos {
  private constructor(readonly root: string) {}

  static async create(prefix: string): Promise<GitRepos> {
    return new GitRepos(await mkdtemp(path.join(tmpdir(), prefix)));
  }

  pathOf(fullName: string): string {
    return path.join(this.root, `${fullName}.git`);
  }

  /** A bare repository whose default branch holds one commit of `files` (none: an empty repo). */
  async init(fullName: string, defaultBranch: string, files?: Record<string, string>) {
    const bare = this.pathOf(fullName);
    await mkdir(path.dirname(bare), { recursive: true });
    await gitOk(['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, bare]);
    if (!files || Object.keys(files).length === 0) return;
    const work = await mkdtemp(path.join(tmpdir(), 'fake-forge-work-'));
    try {
      await gitOk(['init', '--quiet', `--initial-branch=${defaultBranch}`], work);
      for (const [name, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(work, name)), { recursive: true });
        await writeFile(path.join(work, name), content);
      }
      await gitOk(['add', '-A'], work);
      await gitOk(['commit', '--quiet', '-m', 'Initial commit'], work, BOT);
      await gitOk(['push', '--quiet', bare, `HEAD:refs/heads/${defaultBranch}`], work);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** The commit a branch points at; null when there is no such branch. */
  async sha(fullName: string, branch: string): Promise<string | null> {
    const result = await git(
      ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`],
      this.pathOf(fullName),
    );
    return result.code === 0 ? result.stdout.trim() : null;
  }

  /** Whether `head` has commits `base` lacks. */
  async ahead(fullName: string, base: string, head: string): Promise<boolean> {
    const out = await gitOk(
      ['rev-list', '--count', `refs/heads/${base}..refs/heads/${head}`],
      this.pathOf(fullName),
    );
    return Number(out.trim()) > 0;
  }

  /**
   * Merges `head` into `base` in the bare repository: a merge commit (`merge`), or one commit with
   * head's tree on top of base (`squash`). Null when the branches conflict; base is then untouched.
   */
  async merge(
    fullName: string,
    input: { base: string; head: string; message: string; method: 'merge' | 'squash' },
  ): Promise<string | null> {
    const cwd = this.pathOf(fullName);
    const baseSha = await this.sha(fullName, input.base);
    const headSha = await this.sha(fullName, input.head);
    if (!baseSha || !headSha) return null;
    const tree = await git(['merge-tree', '--write-tree', baseSha, headSha], cwd);
    if (tree.code !== 0) return null;
    const treeSha = tree.stdout.split('\n')[0]!.trim();
    const parents = input.method === 'merge' ? ['-p', baseSha, '-p', headSha] : ['-p', baseSha];
    const commit = (
      await gitOk(['commit-tree', treeSha, ...parents, '-m', input.message], cwd, BOT)
    ).trim();
    await gitOk(['update-ref', `refs/heads/${input.base}`, commit, baseSha], cwd);
    return commit;
  }

  /** Serves a smart-HTTP request on `<full name>.git` to an authenticated (or anonymous, for reads) client. */
  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    input: { fullName: string; request: SmartHttpRequest; user: string },
  ): Promise<void> {
    await serveGitHttp({
      req,
      res,
      projectRoot: this.root,
      repoDir: `${input.fullName}.git`,
      request: input.request,
      remoteUser: input.user,
      remoteAddr: req.socket.remoteAddress ?? '127.0.0.1',
      log: { warn: () => {}, error: () => {} },
    });
  }

  /**
   * The smart-HTTP request of a URL's path after `.git` and its query (`url.search`), or null for
   * anything a forge's git server does not serve (it answers 404).
   */
  static smartRequest(method: string, tail: string, search: string): SmartHttpRequest | null {
    try {
      return parseSmartHttp({ method, tail, query: search === '' ? null : search.slice(1) });
    } catch {
      return null;
    }
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
