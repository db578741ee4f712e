/**
 * @module A faithful fake of GitHub for tests, on one loopback port laid out as GitHub Enterprise
 * Server is: the web (OAuth pages, smart-HTTP git at `/{owner}/{repo}.git`) at `webUrl`, the REST
 * API at `webUrl + '/api/v3'`. It speaks the wire protocol of what Lucid uses: the OAuth web flow
 * (with PKCE), `/user`, `/user/emails`, `/user/repos` with `Link` pagination, repositories, collaborators'
 * permissions, pull requests (merged for real with git), issue comments, GitHub's error bodies, and signed webhook deliveries.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitRepos } from '../forge-shared/git-repos.ts';
import {
  basicCredentials,
  parseBody,
  postDelivery,
  readBody,
  s256,
  sendJson,
  stringField,
  type FakeHook,
  type ForgeRequest,
  type HookDelivery,
} from '../forge-shared/http.ts';

export type { FakeHook, ForgeRequest, HookDelivery } from '../forge-shared/http.ts';

export interface FakeGitHubUser {
  id: number;
  login: string;
  /** A personal access token (classic) with the `repo` scope. */
  token: string;
}

/** A pull request as the fake holds it. */
export interface FakePull {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed' | 'merged';
  url: string;
  mergeCommitSha: string | null;
}

export interface FakeComment {
  id: number;
  body: string;
  user: string;
}

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  url: string;
}

export interface FakeGitHub {
  /** `http://127.0.0.1:<port>`: GITHUB_URL. */
  webUrl: string;
  /** `webUrl + '/api/v3'`: GITHUB_API_URL. */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  /** The environment pointing Lucid at this fake, with its OAuth app. */
  env(): Record<string, string>;
  /** A user; their primary, verified email is `email`, or `<login>@users.noreply.github.com`. */
  addUser(input: { login: string; name?: string; email?: string }): FakeGitHubUser;
  /** A repository owned by `owner` (a user added before), with real commits when `files` is given. */
  addRepo(
    owner: string,
    name: string,
    options?: {
      files?: Record<string, string>;
      defaultBranch?: string;
      private?: boolean;
      description?: string;
      /** Logins that may push besides the owner. */
      collaborators?: string[];
    },
  ): Promise<{ id: number; fullName: string; url: string }>;
  /** The bare repository on disk. */
  repoPath(fullName: string): string;
  pulls(fullName: string): FakePull[];
  comments(fullName: string, issue: number): FakeComment[];
  createIssue(
    fullName: string,
    input: { title: string; body?: string; labels?: string[]; author?: string },
  ): FakeIssue;
  /** The payloads GitHub sends for the events Lucid listens to. */
  payloads: {
    issueLabeled(fullName: string, issue: number, label: string, sender: string): object;
    issueComment(fullName: string, issue: number, body: string, sender: string): object;
    /**
     * `pull_request` closed by a merge: merges the pull request as its Merge button does (a merge
     * commit), as `sender`, and returns the payload GitHub sends then.
     */
    pullRequestMerged(fullName: string, pull: number, sender: string): Promise<object>;
  };
  /** One delivery as GitHub signs it with a webhook's secret, to POST to Lucid by hand. */
  webhook(
    event: string,
    payload: unknown,
    options: { secret: string; hookId?: number },
  ): { headers: Record<string, string>; body: string };
  /** Adds a webhook to a repository (Settings → Webhooks): payload URL and secret. */
  addHook(fullName: string, hook: { url: string; secret: string }): FakeHook;
  /**
   * Sends an event to every webhook of the repository, as GitHub does: a delivery per hook, each
   * with its own `X-GitHub-Delivery` and signed with that hook's secret. Resolves with the answers.
   */
  deliver(fullName: string, event: string, payload: unknown): Promise<HookDelivery[]>;
  /** The token is refused from now on: `401 Bad credentials`. */
  /**
   * The next `count` API requests fail as GitHub fails them: `rate_limit` is 403 "API rate limit
   * exceeded" with `x-ratelimit-remaining: 0`, `secondary_rate_limit` is 429, a number is that
   * status with GitHub's body for it.
   */
  fail(fault: 'rate_limit' | 'secondary_rate_limit' | number, count?: number): void;
  /**
   * The next request creating a pull request is held: never answered and nothing created (as if
   * the client went away before GitHub got to it). Resolves once it has arrived.
   */
  holdNextPullCreation(): Promise<void>;
  revoke(token: string): void;
  /** Who "signs in" on the authorize page: it redirects at once with a code for this user. */
  authorizeAs(login: string): void;
  /** Every request received, oldest first. */
  requests: ForgeRequest[];
  close(): Promise<void>;
}

interface User {
  id: number;
  login: string;
  name: string | null;
  email: string;
}

interface Repo {
  id: number;
  owner: User;
  name: string;
  private: boolean;
  defaultBranch: string;
  description: string | null;
  collaborators: Set<string>;
  hooks: FakeHook[];
  createdAt: string;
  pushedAt: string;
  updatedAt: string;
  nextNumber: number;
  pulls: Map<number, Pull>;
  issues: Map<number, FakeIssue & { author: string }>;
  comments: Map<number, FakeComment[]>;
}

interface Pull {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergeCommitSha: string | null;
  author: string;
  createdAt: string;
  updatedAt: string;
  mergedAt: string | null;
}

interface Grant {
  userId: number;
  scopes: string[];
  revoked: boolean;
}

interface Code {
  userId: number;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  challenge: string | null;
  used: boolean;
}

const DOCS = 'https://docs.github.com/rest';

/**
 * @example
 * const github = await startFakeGitHub();
 * const alice = github.addUser({ login: 'alice' });
 * await github.addRepo('alice', 'demo', { files: { 'README.md': '# demo\n' } });
 */
export async function startFakeGitHub(): Promise<FakeGitHub> {
  const repos = await GitRepos.create('fake-github-');
  const users = new Map<number, User>();
  const grants = new Map<string, Grant>();
  const codes = new Map<string, Code>();
  const byName = new Map<string, Repo>();
  const requests: ForgeRequest[] = [];
  let nextUserId = 1000;
  let nextRepoId = 5000;
  let nextCommentId = 9000;
  let authorizing: User | null = null;
  const faults: Array<'rate_limit' | 'secondary_rate_limit' | number> = [];
  let holdPullCreation: (() => void) | null = null;
  // A clock that ticks once per change, so "most recently pushed" is well defined.
  let tick = Date.parse('2026-01-01T00:00:00Z');
  const now = () => new Date((tick += 1000)).toISOString();
  const clientId = `Iv1.${randomBytes(8).toString('hex')}`;
  const clientSecret = randomBytes(20).toString('hex');
  let nextHookId = 1;
  let webUrl = '';
  let apiUrl = '';

  const userByLogin = (login: string) =>
    [...users.values()].find((u) => u.login.toLowerCase() === login.toLowerCase());
  const repoOf = (fullName: string) => byName.get(fullName.toLowerCase());
  const mustRepo = (fullName: string) => {
    const repo = repoOf(fullName);
    if (!repo) throw new Error(`fake GitHub has no repository ${fullName}`);
    return repo;
  };
  const fullNameOf = (repo: Repo) => `${repo.owner.login}/${repo.name}`;
  const canPush = (repo: Repo, user: User) =>
    repo.owner.id === user.id || repo.collaborators.has(user.login.toLowerCase());
  const canRead = (repo: Repo, user: User | null) =>
    !repo.private || (user !== null && canPush(repo, user));

  const userJson = (user: User) => ({
    login: user.login,
    id: user.id,
    node_id: `U_${user.id}`,
    avatar_url: `${webUrl}/avatars/u/${user.id}`,
    url: `${apiUrl}/users/${user.login}`,
    html_url: `${webUrl}/${user.login}`,
    type: 'User',
    site_admin: false,
  });

  const repoJson = (repo: Repo, user: User | null) => ({
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: fullNameOf(repo),
    private: repo.private,
    owner: userJson(repo.owner),
    html_url: `${webUrl}/${fullNameOf(repo)}`,
    description: repo.description,
    fork: false,
    url: `${apiUrl}/repos/${fullNameOf(repo)}`,
    clone_url: `${webUrl}/${fullNameOf(repo)}.git`,
    default_branch: repo.defaultBranch,
    visibility: repo.private ? 'private' : 'public',
    created_at: repo.createdAt,
    updated_at: repo.updatedAt,
    pushed_at: repo.pushedAt,
    archived: false,
    disabled: false,
    permissions: user
      ? { admin: repo.owner.id === user.id, push: canPush(repo, user), pull: true }
      : undefined,
  });

  const pullJson = async (repo: Repo, pull: Pull, user: User | null) => {
    const fullName = fullNameOf(repo);
    const branchJson = async (ref: string) => ({
      label: `${repo.owner.login}:${ref}`,
      ref,
      sha: await repos.sha(fullName, ref),
      user: userJson(repo.owner),
      repo: repoJson(repo, user),
    });
    return {
      url: `${apiUrl}/repos/${fullName}/pulls/${pull.number}`,
      id: repo.id * 1000 + pull.number,
      html_url: `${webUrl}/${fullName}/pull/${pull.number}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      body: pull.body,
      user: userJson(userByLogin(pull.author)!),
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.state === 'closed' ? pull.updatedAt : null,
      merged_at: pull.mergedAt,
      merge_commit_sha: pull.mergeCommitSha,
      draft: false,
      head: await branchJson(pull.head),
      base: await branchJson(pull.base),
      merged: pull.merged,
    };
  };

  /** Merges a pull request with real git as its Merge button does; null when it cannot. */
  const mergePull = async (
    repo: Repo,
    pull: Pull,
    message: string,
    method: 'merge' | 'squash',
  ): Promise<string | null> => {
    const commit = await repos.merge(fullNameOf(repo), {
      base: pull.base,
      head: pull.head,
      message,
      method,
    });
    if (!commit) return null;
    const stamp = now();
    Object.assign(pull, {
      state: 'closed',
      merged: true,
      mergeCommitSha: commit,
      mergedAt: stamp,
      updatedAt: stamp,
    });
    repo.pushedAt = stamp;
    return commit;
  };

  const notFound = (res: ServerResponse) =>
    sendJson(res, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' });

  /** The user behind the API request's token; answers 401 itself and returns undefined. */
  const authenticate = (req: IncomingMessage, res: ServerResponse): User | undefined => {
    const header = req.headers.authorization ?? '';
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header);
    if (!match) {
      sendJson(res, 401, {
        message: 'Requires authentication',
        documentation_url: DOCS,
        status: '401',
      });
      return undefined;
    }
    const grant = grants.get(match[1]!);
    if (!grant || grant.revoked) {
      sendJson(res, 401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
      return undefined;
    }
    res.setHeader('x-oauth-scopes', grant.scopes.join(', '));
    res.setHeader('x-accepted-oauth-scopes', '');
    res.setHeader('x-github-media-type', 'github.v3; format=json');
    return users.get(grant.userId)!;
  };

  const validationFailed = (res: ServerResponse, errors: object[]) =>
    sendJson(res, 422, {
      message: 'Validation Failed',
      errors,
      documentation_url: `${DOCS}/pulls/pulls#create-a-pull-request`,
      status: '422',
    });

  async function oauth(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    entry: ForgeRequest,
  ): Promise<void> {
    if (url.pathname === '/login/oauth/authorize' && req.method === 'GET') {
      const q = url.searchParams;
      const redirectUri = q.get('redirect_uri');
      if (q.get('client_id') !== clientId || !redirectUri) {
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<h1>404</h1><p>The OAuth application was not found.</p>');
        return;
      }
      if (!authorizing) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<h1>Sign in to GitHub</h1>');
        return;
      }
      const method = q.get('code_challenge_method');
      const challenge = q.get('code_challenge');
      if (challenge && method !== 'S256') {
        const back = new URL(redirectUri);
        back.searchParams.set('error', 'invalid_request');
        back.searchParams.set('error_description', 'code_challenge_method must be S256');
        back.searchParams.set('state', q.get('state') ?? '');
        res.writeHead(302, { location: back.toString() });
        res.end();
        return;
      }
      const code = randomBytes(10).toString('hex');
      codes.set(code, {
        userId: authorizing.id,
        clientId,
        redirectUri,
        scopes: (q.get('scope') ?? '').split(/[ ,]+/).filter(Boolean),
        challenge,
        used: false,
      });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      if (q.has('state')) back.searchParams.set('state', q.get('state')!);
      res.writeHead(302, { location: back.toString() });
      res.end();
      return;
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      const text = await readBody(req);
      entry.body = text;
      const body = { ...Object.fromEntries(url.searchParams), ...parseBody(req, text) };
      const answer = (fields: Record<string, string>) => {
        if (String(req.headers.accept ?? '').includes('application/json')) {
          sendJson(res, 200, fields);
        } else {
          const form = new URLSearchParams(fields).toString();
          res.writeHead(200, {
            'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          });
          res.end(form);
        }
      };
      const error = (code: string, description: string) =>
        answer({
          error: code,
          error_description: description,
          error_uri:
            'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors',
        });
      if (
        stringField(body, 'client_id') !== clientId ||
        stringField(body, 'client_secret') !== clientSecret
      ) {
        error(
          'incorrect_client_credentials',
          'The client_id and/or client_secret passed are incorrect.',
        );
        return;
      }
      const code = codes.get(stringField(body, 'code') ?? '');
      if (!code || code.used) {
        error('bad_verification_code', 'The code passed is incorrect or expired.');
        return;
      }
      const redirectUri = stringField(body, 'redirect_uri');
      if (redirectUri !== undefined && redirectUri !== code.redirectUri) {
        error(
          'redirect_uri_mismatch',
          'The redirect_uri MUST match the registered callback URL for this application.',
        );
        return;
      }
      if (code.challenge !== null) {
        const verifier = stringField(body, 'code_verifier');
        if (!verifier || s256(verifier) !== code.challenge) {
          error('bad_verification_code', 'The code passed is incorrect or expired.');
          return;
        }
      }
      code.used = true;
      const token = `gho_${randomBytes(18).toString('hex')}`;
      const scopes = code.scopes.length > 0 ? code.scopes : [];
      grants.set(token, { userId: code.userId, scopes, revoked: false });
      answer({ access_token: token, token_type: 'bearer', scope: scopes.join(',') });
      return;
    }
    notFound(res);
  }

  async function api(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    entry: ForgeRequest,
  ): Promise<void> {
    const route = url.pathname.slice('/api/v3'.length) || '/';
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    entry.body = text;
    const body = parseBody(req, text);
    const user = authenticate(req, res);
    if (!user) return;
    if (faults.length > 0) {
      const fault = faults.shift()!;
      if (fault === 'rate_limit') {
        sendJson(
          res,
          403,
          {
            message: `API rate limit exceeded for user ID ${user.id}.`,
            documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
            status: '403',
          },
          {
            'x-ratelimit-limit': '5000',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
          },
        );
      } else if (fault === 'secondary_rate_limit') {
        sendJson(
          res,
          429,
          {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
            documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`,
            status: '429',
          },
          { 'retry-after': '60' },
        );
      } else {
        sendJson(res, fault, {
          message: fault >= 500 ? 'Server Error' : 'Error',
          status: String(fault),
        });
      }
      return;
    }

    if (route === '/user' && method === 'GET') {
      sendJson(res, 200, {
        ...userJson(user),
        name: user.name,
        email: null,
      });
      return;
    }

    if (route === '/user/emails' && method === 'GET') {
      sendJson(res, 200, [{ email: user.email, primary: true, verified: true, visibility: null }]);
      return;
    }

    if (route === '/user/repos' && method === 'GET') {
      const q = url.searchParams;
      const perPage = Math.min(Math.max(Number(q.get('per_page') ?? 30) || 30, 1), 100);
      const page = Math.max(Number(q.get('page') ?? 1) || 1, 1);
      const sort = q.get('sort') ?? 'full_name';
      const direction = q.get('direction') ?? (sort === 'full_name' ? 'asc' : 'desc');
      const list = [...byName.values()].filter((repo) => canPush(repo, user));
      const key = (repo: Repo) =>
        sort === 'pushed'
          ? repo.pushedAt
          : sort === 'updated'
            ? repo.updatedAt
            : sort === 'created'
              ? repo.createdAt
              : fullNameOf(repo).toLowerCase();
      list.sort((a, b) => key(a).localeCompare(key(b)) * (direction === 'asc' ? 1 : -1));
      const last = Math.max(Math.ceil(list.length / perPage), 1);
      const pageUrl = (n: number) => {
        const link = new URL(`${apiUrl}/user/repos`);
        for (const [name, value] of q) link.searchParams.set(name, value);
        link.searchParams.set('per_page', String(perPage));
        link.searchParams.set('page', String(n));
        return link.toString();
      };
      const links: string[] = [];
      if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`);
      if (page < last) links.push(`<${pageUrl(page + 1)}>; rel="next"`);
      if (page < last) links.push(`<${pageUrl(last)}>; rel="last"`);
      if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`);
      const slice = list.slice((page - 1) * perPage, page * perPage);
      sendJson(
        res,
        200,
        slice.map((repo) => repoJson(repo, user)),
        links.length > 0 ? { link: links.join(', ') } : {},
      );
      return;
    }

    const repoMatch = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(route);
    if (!repoMatch) return notFound(res);
    const repo = repoOf(
      `${decodeURIComponent(repoMatch[1]!)}/${decodeURIComponent(repoMatch[2]!)}`,
    );
    if (!repo || !canRead(repo, user)) return notFound(res);
    const fullName = fullNameOf(repo);
    const rest = repoMatch[3] ?? '';

    if (rest === '' && method === 'GET') {
      sendJson(res, 200, repoJson(repo, user));
      return;
    }

    const permissionMatch = /^\/collaborators\/([^/]+)\/permission$/.exec(rest);
    if (permissionMatch && method === 'GET') {
      if (!canPush(repo, user)) {
        sendJson(res, 403, {
          message: 'Must have push access to view collaborator permission.',
          documentation_url: `${DOCS}/collaborators/collaborators#get-repository-permissions-for-a-user`,
          status: '403',
        });
        return;
      }
      const who = userByLogin(decodeURIComponent(permissionMatch[1]!));
      if (!who) return notFound(res);
      const role =
        repo.owner.id === who.id
          ? 'admin'
          : repo.collaborators.has(who.login.toLowerCase())
            ? 'write'
            : repo.private
              ? 'none'
              : 'read';
      sendJson(res, 200, {
        permission: role,
        role_name: role,
        user: {
          ...userJson(who),
          permissions: {
            admin: role === 'admin',
            maintain: role === 'admin',
            push: role === 'admin' || role === 'write',
            triage: role === 'admin' || role === 'write',
            pull: role !== 'none',
          },
          role_name: role,
        },
      });
      return;
    }

    if (rest === '/pulls' && method === 'GET') {
      const q = url.searchParams;
      const state = q.get('state') ?? 'open';
      const head = q.get('head');
      const base = q.get('base');
      const found = [...repo.pulls.values()]
        .filter((pull) => state === 'all' || pull.state === state)
        .filter(
          (pull) =>
            !head || `${repo.owner.login}:${pull.head}`.toLowerCase() === head.toLowerCase(),
        )
        .filter((pull) => !base || pull.base === base)
        .sort((a, b) => b.number - a.number);
      sendJson(res, 200, await Promise.all(found.map((pull) => pullJson(repo, pull, user))));
      return;
    }

    if (rest === '/pulls' && method === 'POST') {
      if (holdPullCreation) {
        holdPullCreation();
        holdPullCreation = null;
        return;
      }
      if (!canPush(repo, user)) return notFound(res);
      const title = stringField(body, 'title');
      const headSpec = stringField(body, 'head') ?? '';
      const base = stringField(body, 'base') ?? '';
      const colon = headSpec.indexOf(':');
      const headOwner = colon >= 0 ? headSpec.slice(0, colon) : repo.owner.login;
      const head = colon >= 0 ? headSpec.slice(colon + 1) : headSpec;
      if (!title) {
        return validationFailed(res, [
          { resource: 'PullRequest', field: 'title', code: 'missing_field' },
        ]);
      }
      if (
        headOwner.toLowerCase() !== repo.owner.login.toLowerCase() ||
        !(await repos.sha(fullName, head))
      ) {
        return validationFailed(res, [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
      }
      if (!(await repos.sha(fullName, base))) {
        return validationFailed(res, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      }
      const open = [...repo.pulls.values()].find(
        (pull) => pull.state === 'open' && pull.head === head && pull.base === base,
      );
      if (open) {
        return validationFailed(res, [
          {
            resource: 'PullRequest',
            code: 'custom',
            message: `A pull request already exists for ${repo.owner.login}:${head}.`,
          },
        ]);
      }
      if (!(await repos.ahead(fullName, base, head))) {
        return validationFailed(res, [
          {
            resource: 'PullRequest',
            code: 'custom',
            message: `No commits between ${base} and ${head}`,
          },
        ]);
      }
      const stamp = now();
      const pull: Pull = {
        number: repo.nextNumber++,
        head,
        base,
        title,
        body: stringField(body, 'body') ?? '',
        state: 'open',
        merged: false,
        mergeCommitSha: null,
        author: user.login,
        createdAt: stamp,
        updatedAt: stamp,
        mergedAt: null,
      };
      repo.pulls.set(pull.number, pull);
      sendJson(res, 201, await pullJson(repo, pull, user), {
        location: `${apiUrl}/repos/${fullName}/pulls/${pull.number}`,
      });
      return;
    }

    const pullMatch = /^\/pulls\/(\d+)(\/merge)?$/.exec(rest);
    if (pullMatch) {
      const pull = repo.pulls.get(Number(pullMatch[1]));
      if (!pull) return notFound(res);
      if (!pullMatch[2] && method === 'GET') {
        sendJson(res, 200, await pullJson(repo, pull, user));
        return;
      }
      if (!pullMatch[2] && method === 'PATCH') {
        if (!canPush(repo, user)) return notFound(res);
        const title = stringField(body, 'title');
        const text = stringField(body, 'body');
        const state = stringField(body, 'state');
        if (title !== undefined) pull.title = title;
        if (text !== undefined) pull.body = text;
        if (state === 'closed' && pull.state === 'open') pull.state = 'closed';
        if (state === 'open' && pull.state === 'closed' && !pull.merged) pull.state = 'open';
        pull.updatedAt = now();
        sendJson(res, 200, await pullJson(repo, pull, user));
        return;
      }
      if (pullMatch[2] && method === 'PUT') {
        if (!canPush(repo, user)) return notFound(res);
        if (pull.state !== 'open') {
          sendJson(res, 405, {
            message: 'Pull Request is not mergeable',
            documentation_url: `${DOCS}/pulls/pulls#merge-a-pull-request`,
            status: '405',
          });
          return;
        }
        const sha = stringField(body, 'sha');
        if (sha !== undefined && sha !== (await repos.sha(fullName, pull.head))) {
          sendJson(res, 409, {
            message: 'Head branch was modified. Review and try the merge again.',
            documentation_url: `${DOCS}/pulls/pulls#merge-a-pull-request`,
            status: '409',
          });
          return;
        }
        const mergeMethod = stringField(body, 'merge_method') ?? 'merge';
        if (mergeMethod !== 'merge' && mergeMethod !== 'squash') {
          return validationFailed(res, [
            { resource: 'PullRequest', field: 'merge_method', code: 'invalid' },
          ]);
        }
        const title =
          stringField(body, 'commit_title') ??
          (mergeMethod === 'merge'
            ? `Merge pull request #${pull.number} from ${repo.owner.login}/${pull.head}`
            : `${pull.title} (#${pull.number})`);
        const message = stringField(body, 'commit_message') ?? pull.title;
        const commit = await mergePull(repo, pull, `${title}\n\n${message}`, mergeMethod);
        if (!commit) {
          sendJson(res, 405, {
            message: 'Pull Request is not mergeable',
            documentation_url: `${DOCS}/pulls/pulls#merge-a-pull-request`,
            status: '405',
          });
          return;
        }
        sendJson(res, 200, {
          sha: commit,
          merged: true,
          message: 'Pull Request successfully merged',
        });
        return;
      }
      return notFound(res);
    }

    const commentsMatch = /^\/issues\/(\d+)\/comments$/.exec(rest);
    if (commentsMatch) {
      const number = Number(commentsMatch[1]);
      if (!repo.pulls.has(number) && !repo.issues.has(number)) return notFound(res);
      const list = repo.comments.get(number) ?? [];
      const commentJson = (comment: FakeComment) => ({
        id: comment.id,
        node_id: `IC_${comment.id}`,
        url: `${apiUrl}/repos/${fullName}/issues/comments/${comment.id}`,
        html_url: `${webUrl}/${fullName}/issues/${number}#issuecomment-${comment.id}`,
        issue_url: `${apiUrl}/repos/${fullName}/issues/${number}`,
        body: comment.body,
        user: userJson(userByLogin(comment.user)!),
      });
      if (method === 'GET') {
        sendJson(res, 200, list.map(commentJson));
        return;
      }
      if (method === 'POST') {
        const text = stringField(body, 'body');
        if (!text) {
          return validationFailed(res, [
            { resource: 'IssueComment', field: 'body', code: 'missing_field' },
          ]);
        }
        const comment = { id: nextCommentId++, body: text, user: user.login };
        repo.comments.set(number, [...list, comment]);
        sendJson(res, 201, commentJson(comment));
        return;
      }
    }
    notFound(res);
  }

  async function gitRoute(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    match: RegExpExecArray,
  ): Promise<void> {
    const repo = repoOf(`${match[1]}/${match[2]}`);
    const smart = GitRepos.smartRequest(req.method ?? 'GET', match[3]!, url.search);
    if (!smart) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found\n');
      return;
    }
    const push = smart.service === 'git-receive-pack';
    const credentials = basicCredentials(req);
    const grant = credentials ? grants.get(credentials.password) : undefined;
    const user = grant && !grant.revoked ? users.get(grant.userId)! : null;
    const challenge = () => {
      res.writeHead(401, {
        'www-authenticate': 'Basic realm="GitHub"',
        'content-type': 'text/plain',
      });
      res.end(
        'Invalid username or token. Password authentication is not supported for Git operations.\n',
      );
    };
    if (credentials && !user) return challenge();
    if (!repo || !canRead(repo, user)) {
      if (!user) return challenge();
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Repository not found.\n');
      return;
    }
    if (push && !user) return challenge();
    if (push && !canPush(repo, user!)) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(`Permission to ${fullNameOf(repo)}.git denied to ${user!.login}.\n`);
      return;
    }
    await repos.serve(req, res, {
      fullName: fullNameOf(repo),
      request: smart,
      user: user?.login ?? '',
    });
    if (push && req.method === 'POST') {
      repo.pushedAt = now();
      repo.updatedAt = repo.pushedAt;
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', webUrl);
    const entry: ForgeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      authorization: req.headers.authorization,
      body: '',
    };
    requests.push(entry);
    const gitMatch = /^\/([^/]+)\/([^/]+?)\.git(\/.*)$/.exec(url.pathname);
    const handle = gitMatch
      ? gitRoute(req, res, url, gitMatch)
      : url.pathname.startsWith('/api/v3/')
        ? api(req, res, url, entry)
        : oauth(req, res, url, entry);
    handle.catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  webUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  apiUrl = `${webUrl}/api/v3`;

  const fake: FakeGitHub = {
    webUrl,
    apiUrl,
    clientId,
    clientSecret,
    requests,
    env: () => ({
      GITHUB_URL: webUrl,
      GITHUB_API_URL: apiUrl,
      GITHUB_CLIENT_ID: clientId,
      GITHUB_CLIENT_SECRET: clientSecret,
    }),
    addUser({ login, name, email }) {
      if (userByLogin(login)) throw new Error(`fake GitHub already has a user ${login}`);
      const user: User = {
        id: nextUserId++,
        login,
        name: name ?? null,
        email: email ?? `${login}@users.noreply.github.com`,
      };
      users.set(user.id, user);
      const token = `ghp_${randomBytes(18).toString('hex')}`;
      grants.set(token, { userId: user.id, scopes: ['repo', 'read:user'], revoked: false });
      return { id: user.id, login, token };
    },
    async addRepo(ownerLogin, name, options = {}) {
      const owner = userByLogin(ownerLogin);
      if (!owner) throw new Error(`fake GitHub has no user ${ownerLogin}`);
      const fullName = `${owner.login}/${name}`;
      if (repoOf(fullName)) throw new Error(`fake GitHub already has ${fullName}`);
      const defaultBranch = options.defaultBranch ?? 'main';
      await repos.init(fullName, defaultBranch, options.files);
      const stamp = now();
      const repo: Repo = {
        id: nextRepoId++,
        owner,
        name,
        private: options.private ?? false,
        defaultBranch,
        description: options.description ?? null,
        collaborators: new Set((options.collaborators ?? []).map((l) => l.toLowerCase())),
        hooks: [],
        createdAt: stamp,
        pushedAt: stamp,
        updatedAt: stamp,
        nextNumber: 1,
        pulls: new Map(),
        issues: new Map(),
        comments: new Map(),
      };
      byName.set(fullName.toLowerCase(), repo);
      return { id: repo.id, fullName, url: `${webUrl}/${fullName}` };
    },
    repoPath: (fullName) => repos.pathOf(fullNameOf(mustRepo(fullName))),
    pulls: (fullName) =>
      [...mustRepo(fullName).pulls.values()].map((pull) => ({
        number: pull.number,
        head: pull.head,
        base: pull.base,
        title: pull.title,
        body: pull.body,
        state: pull.merged ? 'merged' : pull.state,
        url: `${webUrl}/${fullName}/pull/${pull.number}`,
        mergeCommitSha: pull.mergeCommitSha,
      })),
    comments: (fullName, issue) => [...(mustRepo(fullName).comments.get(issue) ?? [])],
    createIssue(fullName, input) {
      const repo = mustRepo(fullName);
      const number = repo.nextNumber++;
      const issue = {
        number,
        title: input.title,
        body: input.body ?? '',
        labels: input.labels ?? [],
        url: `${webUrl}/${fullNameOf(repo)}/issues/${number}`,
        author: input.author ?? repo.owner.login,
      };
      repo.issues.set(number, issue);
      return { number, title: issue.title, body: issue.body, labels: issue.labels, url: issue.url };
    },
    payloads: {
      issueLabeled(fullName, number, label, sender) {
        const repo = mustRepo(fullName);
        const issue = repo.issues.get(number);
        if (!issue) throw new Error(`fake GitHub has no issue ${fullName}#${number}`);
        if (!issue.labels.includes(label)) issue.labels.push(label);
        return {
          action: 'labeled',
          issue: issueJson(repo, issue),
          label: { id: 1, name: label, color: 'ededed' },
          repository: repoJson(repo, null),
          sender: userJson(userByLogin(sender) ?? repo.owner),
        };
      },
      issueComment(fullName, number, text, sender) {
        const repo = mustRepo(fullName);
        const issue = repo.issues.get(number);
        if (!issue) throw new Error(`fake GitHub has no issue ${fullName}#${number}`);
        const author = userByLogin(sender) ?? repo.owner;
        const comment = { id: nextCommentId++, body: text, user: author.login };
        repo.comments.set(number, [...(repo.comments.get(number) ?? []), comment]);
        return {
          action: 'created',
          issue: issueJson(repo, issue),
          comment: {
            id: comment.id,
            body: text,
            user: userJson(author),
            author_association:
              repo.owner.id === author.id
                ? 'OWNER'
                : repo.collaborators.has(author.login.toLowerCase())
                  ? 'COLLABORATOR'
                  : 'NONE',
            html_url: `${issue.url}#issuecomment-${comment.id}`,
          },
          repository: repoJson(repo, null),
          sender: userJson(author),
        };
      },
      async pullRequestMerged(fullName, number, sender) {
        const repo = mustRepo(fullName);
        const pull = repo.pulls.get(number);
        if (!pull || pull.state !== 'open') {
          throw new Error(`fake GitHub has no open pull request ${fullName}#${number}`);
        }
        const commit = await mergePull(
          repo,
          pull,
          `Merge pull request #${pull.number} from ${repo.owner.login}/${pull.head}\n\n${pull.title}`,
          'merge',
        );
        if (!commit) throw new Error(`fake GitHub cannot merge ${fullName}#${number}`);
        const author = userByLogin(sender) ?? repo.owner;
        return {
          action: 'closed',
          number,
          pull_request: await pullJson(repo, pull, null),
          repository: repoJson(repo, null),
          sender: userJson(author),
        };
      },
    },
    webhook(event, payload, { secret, hookId = 1 }) {
      const body = JSON.stringify(payload);
      const hmac = (algorithm: string) => createHmac(algorithm, secret).update(body).digest('hex');
      return {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/fake',
          'x-github-event': event,
          'x-github-delivery': randomUUID(),
          'x-github-hook-id': String(hookId),
          'x-hub-signature': `sha1=${hmac('sha1')}`,
          'x-hub-signature-256': `sha256=${hmac('sha256')}`,
        },
        body,
      };
    },
    addHook(fullName, { url, secret }) {
      const hook = { id: nextHookId++, url, secret };
      mustRepo(fullName).hooks.push(hook);
      return hook;
    },
    async deliver(fullName, event, payload) {
      const hooks = mustRepo(fullName).hooks;
      return Promise.all(
        hooks.map((hook) =>
          postDelivery(
            hook.url,
            fake.webhook(event, payload, { secret: hook.secret, hookId: hook.id }),
          ),
        ),
      );
    },
    fail(fault, count = 1) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    holdNextPullCreation() {
      return new Promise<void>((resolve) => (holdPullCreation = resolve));
    },
    revoke(token) {
      const grant = grants.get(token);
      if (grant) grant.revoked = true;
    },
    authorizeAs(login) {
      const user = userByLogin(login);
      if (!user) throw new Error(`fake GitHub has no user ${login}`);
      authorizing = user;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await repos.remove();
    },
  };

  function issueJson(repo: Repo, issue: FakeIssue & { author: string }) {
    return {
      id: repo.id * 1000 + issue.number,
      number: issue.number,
      title: issue.title,
      body: issue.body,
      state: 'open',
      html_url: issue.url,
      labels: issue.labels.map((name, index) => ({ id: index + 1, name, color: 'ededed' })),
      user: userJson(userByLogin(issue.author) ?? repo.owner),
    };
  }

  return fake;
}
