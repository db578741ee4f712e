/**
 * @module forges/github/github-forge
 * The GitHub adapter of the forge port: the REST API through Octokit (`baseUrl` = GITHUB_API_URL, so
 * GitHub Enterprise Server works alike), the OAuth web flow on GITHUB_URL by fetch, git over HTTPS
 * with the token as the Basic password, and webhooks signed with `X-Hub-Signature-256`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import type { ForgeRepo } from '@lucid/contracts';
import { z } from 'zod';
import {
  ForgeError,
  openOrUpdate,
  type Forge,
  type ForgeAccount,
  type ForgeEndpoints,
  type ForgeTokens,
  type ForgeWebhookEvent,
  type OAuthApp,
  type PullRequest,
} from '../forge.ts';
import { isLucidLabel, mentionsLucid } from '../triggers.ts';

/** What Lucid asks of an account: its repositories (read, push, pull requests) and its profile. */
const SCOPES = ['repo', 'read:user'];

/** Pages of 100 read at most when filtering repositories by name (GitHub's `/user/repos` cannot). */
const SEARCH_PAGES = 10;

/** Collaborator permissions (and role names) that may push. */
const WRITE_ROLES = new Set(['admin', 'maintain', 'write']);

const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

/** Builds the GitHub forge for one server's addresses. */
export function createGitHubForge(endpoints: ForgeEndpoints): Forge {
  const client = (token: string) =>
    new Octokit({
      auth: token,
      baseUrl: endpoints.apiUrl,
      userAgent: 'lucid',
      log: SILENT,
      ...(endpoints.fetch ? { request: { fetch: endpoints.fetch } } : {}),
    });

  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw toForgeError(error, what);
    }
  };

  const splitName = (fullName: string) => {
    const [owner, repo, ...rest] = fullName.split('/');
    if (!owner || !repo || rest.length > 0) {
      throw new ForgeError(
        'invalid',
        `"${fullName}" is not a GitHub repository name (owner/name).`,
      );
    }
    return { owner, repo };
  };

  const toRepo = (data: GitHubRepo): ForgeRepo => ({
    provider: 'github',
    id: String(data.id),
    name: data.name,
    fullName: data.full_name,
    url: data.html_url,
    private: data.private,
    defaultBranch: data.default_branch ?? 'main',
    description: data.description ?? null,
  });

  const toPull = (data: GitHubPull): PullRequest => ({
    number: data.number,
    url: data.html_url,
    state: data.merged_at ? 'merged' : data.state === 'open' ? 'open' : 'closed',
    head: data.head.ref,
    base: data.base.ref,
  });

  const forge: Forge = {
    provider: 'github',
    endpoints,

    authorizeUrl({ app, state, codeChallenge, redirectUri }) {
      const url = new URL(`${endpoints.webUrl}/login/oauth/authorize`);
      url.searchParams.set('client_id', app.clientId);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('scope', SCOPES.join(' '));
      url.searchParams.set('state', state);
      url.searchParams.set('code_challenge', codeChallenge);
      url.searchParams.set('code_challenge_method', 'S256');
      url.searchParams.set('allow_signup', 'false');
      return url.toString();
    },

    async exchangeCode({ app, code, codeVerifier, redirectUri }) {
      return tokenRequest(endpoints, app, {
        code,
        code_verifier: codeVerifier,
        redirect_uri: redirectUri,
      });
    },

    async refresh({ app, refreshToken }) {
      // OAuth apps' tokens do not expire and come without a refresh token; a GitHub App's
      // expiring user tokens do, and refresh at the same endpoint.
      if (!refreshToken) return null;
      return tokenRequest(endpoints, app, {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
      });
    },

    async account(token): Promise<ForgeAccount> {
      const response = await call('read your GitHub account', () =>
        client(token).rest.users.getAuthenticated(),
      );
      const scopes = String(response.headers['x-oauth-scopes'] ?? '')
        .split(',')
        .map((scope) => scope.trim())
        .filter(Boolean);
      return {
        id: String(response.data.id),
        login: response.data.login,
        name: response.data.name ?? null,
        avatarUrl: response.data.avatar_url || null,
        scopes,
      };
    },

    async listRepos(token, { q, page, perPage }) {
      const octokit = client(token);
      const fetchPage = (n: number, size: number) =>
        call('list your GitHub repositories', () =>
          octokit.rest.repos.listForAuthenticatedUser({
            per_page: size,
            page: n,
            sort: 'pushed',
            direction: 'desc',
          }),
        );
      const pushable = (repo: GitHubRepo) => repo.permissions?.push !== false;
      if (!q) {
        const response = await fetchPage(page, perPage);
        return {
          repos: (response.data as GitHubRepo[]).filter(pushable).map(toRepo),
          nextPage: nextPageOf(response.headers.link) === null ? null : page + 1,
        };
      }
      // `/user/repos` has no name filter, and the search API misses repositories shared with the
      // account: read the list (newest first) and filter it here.
      const needle = q.toLowerCase();
      const matches: ForgeRepo[] = [];
      for (let n = 1; n <= SEARCH_PAGES; n++) {
        const response = await fetchPage(n, 100);
        for (const repo of response.data as GitHubRepo[]) {
          if (pushable(repo) && repo.name.toLowerCase().includes(needle))
            matches.push(toRepo(repo));
        }
        if (matches.length > page * perPage || nextPageOf(response.headers.link) === null) break;
      }
      const start = (page - 1) * perPage;
      return {
        repos: matches.slice(start, start + perPage),
        nextPage: matches.length > start + perPage ? page + 1 : null,
      };
    },

    async getRepo(token, fullName) {
      const response = await call(`read ${fullName} on GitHub`, () =>
        client(token).rest.repos.get(splitName(fullName)),
      );
      return toRepo(response.data as GitHubRepo);
    },

    gitRemote(token, fullName) {
      return {
        url: `${endpoints.webUrl}/${fullName}.git`,
        username: 'x-access-token',
        password: token,
      };
    },

    async findPullRequest(token, { repo, head, base }) {
      const { owner, repo: name } = splitName(repo);
      const response = await call(`list the pull requests of ${repo}`, () =>
        client(token).rest.pulls.list({
          owner,
          repo: name,
          head: `${owner}:${head}`,
          base,
          state: 'open',
          per_page: 10,
        }),
      );
      const found = (response.data as GitHubPull[]).find(
        (pull) => pull.head.ref === head && pull.base.ref === base,
      );
      return found ? toPull(found) : null;
    },

    async openPullRequest(token, input) {
      const { owner, repo } = splitName(input.repo);
      const create = async () => {
        try {
          const response = await client(token).rest.pulls.create({
            owner,
            repo,
            head: input.head,
            base: input.base,
            title: input.title,
            body: input.body,
          });
          return toPull(response.data as GitHubPull);
        } catch (error) {
          throw toForgeError(error, `open a pull request on ${input.repo}`);
        }
      };
      return openOrUpdate(
        forge,
        token,
        input,
        create,
        (error) => error.kind === 'invalid' && /already exists/i.test(error.message),
      );
    },

    async updatePullRequest(token, { repo, number, title, body }) {
      const { owner, repo: name } = splitName(repo);
      const response = await call(`update pull request #${number} of ${repo}`, () =>
        client(token).rest.pulls.update({ owner, repo: name, pull_number: number, title, body }),
      );
      return toPull(response.data as GitHubPull);
    },

    async mergePullRequest(token, { repo, number }) {
      const { owner, repo: name } = splitName(repo);
      const response = await call(`merge pull request #${number} of ${repo}`, () =>
        client(token).rest.pulls.merge({
          owner,
          repo: name,
          pull_number: number,
          merge_method: 'merge',
        }),
      );
      return { sha: response.data.sha };
    },

    async canWrite(token, { repo, login }) {
      const { owner, repo: name } = splitName(repo);
      try {
        const response = await client(token).rest.repos.getCollaboratorPermissionLevel({
          owner,
          repo: name,
          username: login,
        });
        // `permission` folds `maintain` into `write`; `role_name` names custom roles too.
        const { permission, role_name: role } = response.data as {
          permission: string;
          role_name?: string;
        };
        return WRITE_ROLES.has(permission) || (role !== undefined && WRITE_ROLES.has(role));
      } catch (error) {
        const forgeError = toForgeError(error, `read ${login}'s permission on ${repo}`);
        // No such user: they can write nowhere.
        if (forgeError.kind === 'not_found') return false;
        throw forgeError;
      }
    },

    async comment(token, { repo, issue, body }) {
      const { owner, repo: name } = splitName(repo);
      await call(`comment on #${issue} of ${repo}`, () =>
        client(token).rest.issues.createComment({ owner, repo: name, issue_number: issue, body }),
      );
    },

    async commentOnPullRequest(token, { repo, number, body }) {
      const { owner, repo: name } = splitName(repo);
      // A pull request takes comments as an issue does, numbered alike.
      await call(`comment on pull request #${number} of ${repo}`, () =>
        client(token).rest.issues.createComment({ owner, repo: name, issue_number: number, body }),
      );
    },

    verifyWebhook({ headers, rawBody, secret }) {
      const signature = headers['x-hub-signature-256'];
      if (!signature?.startsWith('sha256=') || secret === '') return false;
      const expected = Buffer.from(
        `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`,
      );
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },

    parseWebhook({ headers, payload }) {
      return parseGitHubWebhook(headers, payload);
    },
  };
  return forge;
}

interface GitHubRepo {
  id: number;
  name: string;
  full_name: string;
  html_url: string;
  private: boolean;
  default_branch?: string;
  description?: string | null;
  permissions?: { push?: boolean };
}

interface GitHubPull {
  number: number;
  html_url: string;
  state: string;
  merged_at?: string | null;
  head: { ref: string };
  base: { ref: string };
}

/** The page number of `rel="next"` in a `Link` header; null on the last page. */
function nextPageOf(link: string | undefined): number | null {
  const next = link?.split(',').find((part) => /rel="next"/.test(part));
  const url = next && /<([^>]+)>/.exec(next)?.[1];
  if (!url) return null;
  const page = Number(new URL(url).searchParams.get('page'));
  return Number.isInteger(page) && page > 0 ? page : null;
}

const TokenAnswer = z.union([
  z.object({
    access_token: z.string().min(1),
    scope: z.string().optional(),
    refresh_token: z.string().optional(),
    expires_in: z.number().optional(),
  }),
  z.object({ error: z.string(), error_description: z.string().optional() }),
]);

/** POSTs to GitHub's token endpoint, which answers 200 with `{error}` when it refuses. */
async function tokenRequest(
  endpoints: ForgeEndpoints,
  app: OAuthApp,
  fields: Record<string, string>,
): Promise<ForgeTokens> {
  let response: Response;
  try {
    response = await (endpoints.fetch ?? fetch)(`${endpoints.webUrl}/login/oauth/access_token`, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'lucid',
      },
      body: new URLSearchParams({
        client_id: app.clientId,
        client_secret: app.clientSecret,
        ...fields,
      }),
    });
  } catch {
    throw new ForgeError('unreachable', `GitHub could not be reached at ${endpoints.webUrl}.`);
  }
  if (!response.ok) {
    throw new ForgeError(
      response.status >= 500 ? 'unreachable' : 'invalid',
      `GitHub refused the token request (HTTP ${response.status}).`,
      response.status,
    );
  }
  const parsed = TokenAnswer.safeParse(await response.json().catch(() => null));
  if (!parsed.success) {
    throw new ForgeError('unreachable', 'GitHub answered the token request with no token.');
  }
  const answer = parsed.data;
  if ('error' in answer) {
    const kind = answer.error === 'incorrect_client_credentials' ? 'unauthorized' : 'invalid';
    throw new ForgeError(
      kind,
      `GitHub refused the sign-in: ${answer.error_description ?? answer.error}`,
    );
  }
  return {
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token ?? null,
    expiresAt:
      answer.expires_in === undefined ? null : new Date(Date.now() + answer.expires_in * 1000),
    scopes: (answer.scope ?? '')
      .split(/[ ,]+/)
      .map((scope) => scope.trim())
      .filter(Boolean),
  };
}

/** Octokit's errors (`HttpError` with `status` and the response body) as the port's kinds. */
function toForgeError(error: unknown, what: string): ForgeError {
  if (error instanceof ForgeError) return error;
  const http = error as {
    name?: string;
    status?: number;
    response?: { data?: unknown; headers?: Record<string, string | undefined> };
  };
  if (http?.name !== 'HttpError' || typeof http.status !== 'number') {
    return new ForgeError('unreachable', `Could not ${what}: GitHub could not be reached.`);
  }
  const status = http.status;
  const data = (http.response?.data ?? {}) as {
    message?: string;
    errors?: Array<{ message?: string; field?: string; code?: string }>;
  };
  const details = (data.errors ?? [])
    .map((e) => e.message ?? [e.field, e.code].filter(Boolean).join(' '))
    .filter(Boolean);
  const said = [data.message, ...details].filter(Boolean).join(': ') || `HTTP ${status}`;
  const message = `Could not ${what}: GitHub said "${said}".`;
  const rateLimited =
    status === 429 ||
    (status === 403 &&
      (http.response?.headers?.['x-ratelimit-remaining'] === '0' || /rate limit/i.test(said)));
  if (rateLimited) return new ForgeError('rate_limited', message, status);
  if (status === 401) return new ForgeError('unauthorized', message, status);
  if (status === 403) return new ForgeError('forbidden', message, status);
  if (status === 404) return new ForgeError('not_found', message, status);
  if (status === 405 || status === 409) return new ForgeError('conflict', message, status);
  if (status === 422 || status === 400) return new ForgeError('invalid', message, status);
  return new ForgeError('unreachable', message, status);
}

const Account = z.object({ login: z.string(), id: z.number(), type: z.string().optional() });
const Issue = z.object({
  number: z.number().int(),
  title: z.string(),
  body: z.string().nullish(),
  pull_request: z.unknown().optional(),
});
const Repository = z.object({ full_name: z.string() });
const IssuesPayload = z.object({
  action: z.string(),
  issue: Issue,
  label: z.object({ name: z.string() }).optional(),
  repository: Repository,
  sender: Account,
});
const CommentPayload = z.object({
  action: z.string(),
  issue: Issue,
  comment: z.object({
    body: z.string(),
    user: Account,
    author_association: z.string().optional(),
  }),
  repository: Repository,
  sender: Account,
});

const PullRequestPayload = z.object({
  action: z.string(),
  number: z.number().int(),
  pull_request: z.object({
    merged: z.boolean().nullish(),
    merge_commit_sha: z.string().nullish(),
  }),
  repository: Repository,
  sender: Account,
});

/**
 * Reads a verified GitHub delivery: `issues` labelled `lucid`, `issue_comment` with `@lucid`, a
 * `pull_request` closed by a merge.
 */
export function parseGitHubWebhook(
  headers: Record<string, string | undefined>,
  payload: unknown,
): ForgeWebhookEvent {
  const deliveryId = headers['x-github-delivery'] ?? '';
  const event = headers['x-github-event'] ?? '';
  const ignored = (reason: string): ForgeWebhookEvent => ({ kind: 'ignored', deliveryId, reason });
  if (event === 'issues') {
    const parsed = IssuesPayload.safeParse(payload);
    if (!parsed.success) return ignored('The issues payload is not one GitHub sends.');
    const { action, issue, label, repository, sender } = parsed.data;
    if (action !== 'labeled' || !label || !isLucidLabel(label.name)) {
      return ignored(`Issue ${action} events other than the "lucid" label are not acted on.`);
    }
    return {
      kind: 'issue_request',
      deliveryId,
      repoFullName: repository.full_name,
      issue: issue.number,
      title: issue.title,
      body: issue.body ?? '',
      comment: null,
      sender: sender.login,
      // Labels are applied by whoever has triage rights; the payload says nothing of them.
      requester: { login: sender.login, id: String(sender.id), association: null },
    };
  }
  if (event === 'issue_comment') {
    const parsed = CommentPayload.safeParse(payload);
    if (!parsed.success) return ignored('The issue_comment payload is not one GitHub sends.');
    const { action, issue, comment, repository, sender } = parsed.data;
    if (action !== 'created') return ignored(`Comments ${action} are not acted on.`);
    if (issue.pull_request !== undefined)
      return ignored('Comments on pull requests are not acted on.');
    if (sender.type === 'Bot') return ignored('Comments by bots are not acted on.');
    if (!mentionsLucid(comment.body)) return ignored('The comment does not mention @lucid.');
    return {
      kind: 'issue_request',
      deliveryId,
      repoFullName: repository.full_name,
      issue: issue.number,
      title: issue.title,
      body: issue.body ?? '',
      comment: comment.body,
      sender: comment.user.login,
      requester: {
        login: comment.user.login,
        id: String(comment.user.id),
        association: comment.author_association ?? null,
      },
    };
  }
  if (event === 'pull_request') {
    const parsed = PullRequestPayload.safeParse(payload);
    if (!parsed.success) return ignored('The pull_request payload is not one GitHub sends.');
    const { action, number, pull_request: pull, repository, sender } = parsed.data;
    if (action !== 'closed' || pull.merged !== true) {
      return ignored(`Pull requests ${action} without a merge are not acted on.`);
    }
    return {
      kind: 'request_merged',
      deliveryId,
      repoFullName: repository.full_name,
      number,
      mergeSha: pull.merge_commit_sha ?? null,
      merger: sender.login,
    };
  }
  return ignored(`GitHub "${event || 'unknown'}" events are not acted on.`);
}
