/**
 * @module A faithful fake of GitLab for tests, on one loopback port as a self-managed instance is laid
 * out: OAuth at `/oauth/*` (authorization code with PKCE, refresh-token rotation, access tokens that
 * expire), the REST API at `/api/v4` (user, projects with offset pagination headers, members,
 * merge requests merged for real with git, issue notes, GitLab's error bodies), smart-HTTP git at
 * `/{namespace}/{project}.git` with `oauth2:<token>` Basic auth, and webhook deliveries carrying
 * `X-Gitlab-Token`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
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

export interface FakeGitLabUser {
  id: number;
  login: string;
  /** A personal access token with the `api` scope (it does not expire). */
  token: string;
}

/** A merge request as the fake holds it. */
export interface FakeMergeRequest {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed' | 'merged';
  url: string;
  mergeCommitSha: string | null;
}

export interface FakeNote {
  id: number;
  body: string;
  user: string;
}

export interface FakeGitLabIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  url: string;
}

export interface FakeGitLab {
  /** `http://127.0.0.1:<port>`: GITLAB_URL. */
  webUrl: string;
  /** `webUrl + '/api/v4'`. */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  /** OAuth access tokens' lifetime, in seconds (`expires_in`). */
  tokenLifetime: number;
  env(): Record<string, string>;
  addUser(input: { login: string; name?: string }): FakeGitLabUser;
  /**
   * A project under `owner`'s namespace (a user's login, or a group path such as `team/sub` whose
   * first part is the login of the user who maintains it).
   */
  addRepo(
    owner: string,
    name: string,
    options?: {
      files?: Record<string, string>;
      defaultBranch?: string;
      private?: boolean;
      description?: string;
      /** Logins with the Developer role besides the maintainer. */
      collaborators?: string[];
    },
  ): Promise<{ id: number; fullName: string; url: string }>;
  repoPath(fullName: string): string;
  pulls(fullName: string): FakeMergeRequest[];
  /** The notes on an issue. */
  comments(fullName: string, issue: number): FakeNote[];
  /** The notes on a merge request. */
  mergeRequestComments(fullName: string, iid: number): FakeNote[];
  createIssue(
    fullName: string,
    input: { title: string; body?: string; labels?: string[]; author?: string },
  ): FakeGitLabIssue;
  /** The payloads GitLab sends for the events Lucid listens to. */
  payloads: {
    /** `Issue Hook`: the issue updated with `label` added. */
    issueLabeled(fullName: string, issue: number, label: string, sender: string): object;
    /** `Note Hook`: a new note on an issue. */
    issueComment(fullName: string, issue: number, body: string, sender: string): object;
    /**
     * `Merge Request Hook` of a merge: merges the merge request as its Merge button does, as
     * `sender`, and returns the payload GitLab sends then.
     */
    mergeRequestMerged(fullName: string, iid: number, sender: string): Promise<object>;
  };
  /** One delivery as GitLab sends it with a webhook's secret token, to POST to Lucid by hand. */
  webhook(
    event: string,
    payload: unknown,
    options: { secret: string; eventUuid?: string },
  ): { headers: Record<string, string>; body: string };
  /** Adds a webhook to a project (Settings → Webhooks): URL and secret token. */
  addHook(fullName: string, hook: { url: string; secret: string }): FakeHook;
  /**
   * Sends an event to every webhook of the project, as GitLab does: a delivery per hook carrying
   * that hook's secret token, all with the event's one `X-Gitlab-Event-UUID`, each with its own
   * `Idempotency-Key` and `X-Gitlab-Webhook-UUID`. Resolves with the answers.
   */
  deliver(fullName: string, event: string, payload: unknown): Promise<HookDelivery[]>;
  /**
   * The next `count` API requests fail as GitLab fails them: `rate_limit` is 429 "Retry later" with
   * `Retry-After`, a number is that status with GitLab's `{"message": "<status> …"}` body.
   */
  fail(fault: 'rate_limit' | number, count?: number): void;
  revoke(token: string): void;
  /** The access token answers 401 ("Token is expired") until it is refreshed. */
  expire(token: string): void;
  authorizeAs(login: string): void;
  requests: ForgeRequest[];
  close(): Promise<void>;
}

interface User {
  id: number;
  login: string;
  name: string;
}

interface Project {
  id: number;
  namespace: string;
  path: string;
  maintainer: User;
  developers: Set<string>;
  hooks: FakeHook[];
  private: boolean;
  defaultBranch: string;
  description: string | null;
  createdAt: string;
  lastActivityAt: string;
  nextMr: number;
  nextIssue: number;
  mrs: Map<number, Mr>;
  issues: Map<number, FakeGitLabIssue & { author: string }>;
  notes: Map<number, FakeNote[]>;
  mrNotes: Map<number, FakeNote[]>;
}

interface Mr {
  id: number;
  iid: number;
  head: string;
  base: string;
  title: string;
  description: string;
  state: 'opened' | 'closed' | 'merged';
  mergeCommitSha: string | null;
  author: string;
  createdAt: string;
  updatedAt: string;
}

interface Grant {
  userId: number;
  scopes: string[];
  revoked: boolean;
  expired: boolean;
  oauth: boolean;
  createdAt: number;
}

interface Code {
  userId: number;
  redirectUri: string;
  scopes: string[];
  challenge: string | null;
  used: boolean;
}

const TOKEN_LIFETIME = 7200;

/**
 * @example
 * const gitlab = await startFakeGitLab();
 * const alice = gitlab.addUser({ login: 'alice' });
 * await gitlab.addRepo('alice', 'demo', { files: { 'README.md': '# demo\n' } });
 */
export async function startFakeGitLab(): Promise<FakeGitLab> {
  const repos = await GitRepos.create('fake-gitlab-');
  const users = new Map<number, User>();
  const grants = new Map<string, Grant>();
  const refreshTokens = new Map<string, { access: string; userId: number; scopes: string[] }>();
  const codes = new Map<string, Code>();
  const projects = new Map<string, Project>();
  const requests: ForgeRequest[] = [];
  let nextUserId = 100;
  let nextProjectId = 2000;
  let nextMrId = 30000;
  let nextNoteId = 70000;
  let authorizing: User | null = null;
  const faults: Array<'rate_limit' | number> = [];
  let tick = Date.parse('2026-01-01T00:00:00Z');
  const now = () => new Date((tick += 1000)).toISOString();
  const clientId = randomBytes(32).toString('hex');
  const clientSecret = `gloas-${randomBytes(32).toString('hex')}`;
  let nextHookId = 1;
  let webUrl = '';
  let apiUrl = '';

  const userByLogin = (login: string) =>
    [...users.values()].find((u) => u.login.toLowerCase() === login.toLowerCase());
  const fullNameOf = (p: Project) => `${p.namespace}/${p.path}`;
  const projectOf = (fullName: string) => projects.get(fullName.toLowerCase());
  const mustProject = (fullName: string) => {
    const project = projectOf(fullName);
    if (!project) throw new Error(`fake GitLab has no project ${fullName}`);
    return project;
  };
  const accessLevel = (p: Project, user: User | null) =>
    !user
      ? 0
      : p.maintainer.id === user.id
        ? 40
        : p.developers.has(user.login.toLowerCase())
          ? 30
          : 0;
  const canRead = (p: Project, user: User | null) => !p.private || accessLevel(p, user) > 0;

  const userJson = (user: User) => ({
    id: user.id,
    username: user.login,
    name: user.name,
    state: 'active',
    locked: false,
    avatar_url: `${webUrl}/uploads/-/system/user/avatar/${user.id}/avatar.png`,
    web_url: `${webUrl}/${user.login}`,
  });

  const projectJson = (p: Project, user: User | null) => {
    const level = accessLevel(p, user);
    return {
      id: p.id,
      description: p.description,
      name: p.path,
      name_with_namespace: `${p.namespace.split('/').join(' / ')} / ${p.path}`,
      path: p.path,
      path_with_namespace: fullNameOf(p),
      created_at: p.createdAt,
      default_branch: p.defaultBranch,
      ssh_url_to_repo: `git@127.0.0.1:${fullNameOf(p)}.git`,
      http_url_to_repo: `${webUrl}/${fullNameOf(p)}.git`,
      web_url: `${webUrl}/${fullNameOf(p)}`,
      visibility: p.private ? 'private' : 'public',
      last_activity_at: p.lastActivityAt,
      namespace: {
        id: p.maintainer.id,
        name: p.namespace,
        path: p.namespace.split('/').at(-1),
        kind: p.namespace.includes('/') ? 'group' : 'user',
        full_path: p.namespace,
      },
      archived: false,
      permissions: {
        project_access: level > 0 ? { access_level: level, notification_level: 3 } : null,
        group_access: null,
      },
    };
  };

  const mrJson = async (p: Project, mr: Mr) => ({
    id: mr.id,
    iid: mr.iid,
    project_id: p.id,
    title: mr.title,
    description: mr.description,
    state: mr.state,
    created_at: mr.createdAt,
    updated_at: mr.updatedAt,
    merged_at: mr.state === 'merged' ? mr.updatedAt : null,
    target_branch: mr.base,
    source_branch: mr.head,
    source_project_id: p.id,
    target_project_id: p.id,
    author: userJson(userByLogin(mr.author)!),
    draft: false,
    work_in_progress: false,
    merge_status: 'can_be_merged',
    detailed_merge_status: mr.state === 'opened' ? 'mergeable' : 'not_open',
    sha: await repos.sha(fullNameOf(p), mr.head),
    merge_commit_sha: mr.mergeCommitSha,
    squash_commit_sha: null,
    web_url: `${webUrl}/${fullNameOf(p)}/-/merge_requests/${mr.iid}`,
    references: { short: `!${mr.iid}`, full: `${fullNameOf(p)}!${mr.iid}` },
  });

  /** Merges a merge request with real git as its Merge button does; null when it cannot. */
  const mergeMr = async (
    p: Project,
    mr: Mr,
    text: string | undefined,
    method: 'merge' | 'squash',
  ): Promise<string | null> => {
    const fullName = fullNameOf(p);
    const commit = await repos.merge(fullName, {
      base: mr.base,
      head: mr.head,
      message:
        text ??
        `Merge branch '${mr.head}' into '${mr.base}'\n\n${mr.title}\n\nSee merge request ${fullName}!${mr.iid}`,
      method,
    });
    if (!commit) return null;
    mr.state = 'merged';
    mr.mergeCommitSha = commit;
    mr.updatedAt = now();
    p.lastActivityAt = mr.updatedAt;
    return commit;
  };

  const message = (res: ServerResponse, status: number, text: unknown) =>
    sendJson(res, status, { message: text });

  /** The user behind an API token (Bearer or PRIVATE-TOKEN); answers 401 itself otherwise. */
  const authenticate = (req: IncomingMessage, res: ServerResponse): User | undefined => {
    const bearer = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? (req.headers['private-token'] as string | undefined);
    const grant = token ? grants.get(token) : undefined;
    if (grant?.expired) {
      res.setHeader(
        'www-authenticate',
        'Bearer realm="Protected by OAuth 2.0", error="invalid_token", error_description="Token is expired. You can either do re-authorization or token refresh."',
      );
      sendJson(res, 401, {
        error: 'invalid_token',
        error_description: 'Token is expired. You can either do re-authorization or token refresh.',
      });
      return undefined;
    }
    if (!grant || grant.revoked) {
      message(res, 401, '401 Unauthorized');
      return undefined;
    }
    return users.get(grant.userId)!;
  };

  async function oauth(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    entry: ForgeRequest,
  ): Promise<void> {
    if (url.pathname === '/oauth/authorize' && req.method === 'GET') {
      const q = url.searchParams;
      const redirectUri = q.get('redirect_uri');
      if (q.get('client_id') !== clientId || !redirectUri || q.get('response_type') !== 'code') {
        res.writeHead(400, { 'content-type': 'text/html' });
        res.end('<h1>An error has occurred</h1><p>Client authentication failed.</p>');
        return;
      }
      if (!authorizing) {
        res.writeHead(302, { location: `${webUrl}/users/sign_in` });
        res.end();
        return;
      }
      const back = new URL(redirectUri);
      const challenge = q.get('code_challenge');
      if (challenge && q.get('code_challenge_method') !== 'S256') {
        back.searchParams.set('error', 'invalid_request');
        back.searchParams.set('error_description', 'Code challenge method is not supported.');
      } else {
        const code = randomBytes(32).toString('hex');
        codes.set(code, {
          userId: authorizing.id,
          redirectUri,
          scopes: (q.get('scope') ?? 'api').split(/[ +]+/).filter(Boolean),
          challenge,
          used: false,
        });
        back.searchParams.set('code', code);
      }
      if (q.has('state')) back.searchParams.set('state', q.get('state')!);
      res.writeHead(302, { location: back.toString() });
      res.end();
      return;
    }
    if (url.pathname === '/oauth/token' && req.method === 'POST') {
      const text = await readBody(req);
      entry.body = text;
      const body = parseBody(req, text);
      const invalidGrant = () =>
        sendJson(res, 400, {
          error: 'invalid_grant',
          error_description:
            'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
        });
      if (
        stringField(body, 'client_id') !== clientId ||
        stringField(body, 'client_secret') !== clientSecret
      ) {
        sendJson(res, 401, {
          error: 'invalid_client',
          error_description:
            'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
        });
        return;
      }
      const issue = (userId: number, scopes: string[]) => {
        const access = randomBytes(32).toString('hex');
        const refresh = randomBytes(32).toString('hex');
        const createdAt = Math.floor(Date.now() / 1000);
        grants.set(access, {
          userId,
          scopes,
          revoked: false,
          expired: false,
          oauth: true,
          createdAt,
        });
        refreshTokens.set(refresh, { access, userId, scopes });
        sendJson(res, 200, {
          access_token: access,
          token_type: 'Bearer',
          expires_in: TOKEN_LIFETIME,
          refresh_token: refresh,
          scope: scopes.join(' '),
          created_at: createdAt,
        });
      };
      const grantType = stringField(body, 'grant_type');
      if (grantType === 'authorization_code') {
        const code = codes.get(stringField(body, 'code') ?? '');
        if (!code || code.used || stringField(body, 'redirect_uri') !== code.redirectUri) {
          return invalidGrant();
        }
        if (code.challenge !== null) {
          const verifier = stringField(body, 'code_verifier');
          if (!verifier || s256(verifier) !== code.challenge) return invalidGrant();
        }
        code.used = true;
        return issue(code.userId, code.scopes);
      }
      if (grantType === 'refresh_token') {
        const refresh = refreshTokens.get(stringField(body, 'refresh_token') ?? '');
        if (!refresh) return invalidGrant();
        // Refresh tokens rotate: the old pair is revoked.
        refreshTokens.delete(stringField(body, 'refresh_token')!);
        const old = grants.get(refresh.access);
        if (old) old.revoked = true;
        return issue(refresh.userId, refresh.scopes);
      }
      sendJson(res, 400, {
        error: 'unsupported_grant_type',
        error_description:
          'The authorization grant type is not supported by the authorization server.',
      });
      return;
    }
    if (url.pathname === '/oauth/token/info' && req.method === 'GET') {
      const bearer = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const grant = grants.get(bearer);
      if (!grant || grant.revoked || grant.expired || !grant.oauth) {
        sendJson(res, 401, {
          error: 'invalid_token',
          error_description: 'The access token is invalid',
        });
        return;
      }
      sendJson(res, 200, {
        resource_owner_id: grant.userId,
        scope: grant.scopes,
        scopes: grant.scopes,
        expires_in: TOKEN_LIFETIME,
        expires_in_seconds: TOKEN_LIFETIME,
        application: { uid: clientId },
        created_at: grant.createdAt,
      });
      return;
    }
    message(res, 404, '404 Not Found');
  }

  async function api(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    entry: ForgeRequest,
  ): Promise<void> {
    const route = url.pathname.slice('/api/v4'.length) || '/';
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    entry.body = text;
    const body = { ...Object.fromEntries(url.searchParams), ...parseBody(req, text) };
    const user = authenticate(req, res);
    if (!user) return;
    if (faults.length > 0) {
      const fault = faults.shift()!;
      if (fault === 'rate_limit') {
        res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '60' });
        res.end('Retry later\n');
      } else {
        message(res, fault, `${fault} ${fault >= 500 ? 'Internal Server Error' : 'Error'}`);
      }
      return;
    }
    const q = url.searchParams;

    if (route === '/user' && method === 'GET') {
      sendJson(res, 200, { ...userJson(user), bio: '', public_email: null, created_at: now() });
      return;
    }

    if (route === '/personal_access_tokens/self' && method === 'GET') {
      const token =
        /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ??
        (req.headers['private-token'] as string | undefined) ??
        '';
      const grant = grants.get(token)!;
      if (grant.oauth) return message(res, 404, '404 Not Found');
      sendJson(res, 200, {
        id: grant.createdAt,
        name: 'personal',
        revoked: false,
        active: true,
        scopes: grant.scopes,
        user_id: user.id,
        expires_at: null,
      });
      return;
    }

    if (route === '/projects' && method === 'GET') {
      const perPage = Math.min(Math.max(Number(q.get('per_page') ?? 20) || 20, 1), 100);
      const page = Math.max(Number(q.get('page') ?? 1) || 1, 1);
      const minLevel = Number(q.get('min_access_level') ?? 0) || 0;
      const membership = q.get('membership') === 'true';
      const search = (q.get('search') ?? '').toLowerCase();
      const orderBy = q.get('order_by') ?? 'created_at';
      const sort = q.get('sort') ?? 'desc';
      const list = [...projects.values()]
        .filter((p) => canRead(p, user))
        .filter((p) => !membership || accessLevel(p, user) > 0)
        .filter((p) => accessLevel(p, user) >= minLevel)
        .filter(
          (p) =>
            !search ||
            p.path.toLowerCase().includes(search) ||
            fullNameOf(p).toLowerCase().includes(search),
        );
      const key = (p: Project) =>
        orderBy === 'last_activity_at'
          ? p.lastActivityAt
          : orderBy === 'name' || orderBy === 'path'
            ? p.path.toLowerCase()
            : orderBy === 'id'
              ? String(p.id).padStart(12, '0')
              : p.createdAt;
      list.sort((a, b) => key(a).localeCompare(key(b)) * (sort === 'asc' ? 1 : -1));
      const totalPages = Math.max(Math.ceil(list.length / perPage), 1);
      const pageUrl = (n: number) => {
        const link = new URL(`${apiUrl}/projects`);
        for (const [name, value] of q) link.searchParams.set(name, value);
        link.searchParams.set('page', String(n));
        link.searchParams.set('per_page', String(perPage));
        return link.toString();
      };
      const links: string[] = [];
      if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`);
      if (page < totalPages) links.push(`<${pageUrl(page + 1)}>; rel="next"`);
      links.push(`<${pageUrl(1)}>; rel="first"`);
      links.push(`<${pageUrl(totalPages)}>; rel="last"`);
      sendJson(
        res,
        200,
        list.slice((page - 1) * perPage, page * perPage).map((p) => projectJson(p, user)),
        {
          'x-page': String(page),
          'x-per-page': String(perPage),
          'x-next-page': page < totalPages ? String(page + 1) : '',
          'x-prev-page': page > 1 ? String(page - 1) : '',
          'x-total': String(list.length),
          'x-total-pages': String(totalPages),
          link: links.join(', '),
        },
      );
      return;
    }

    const projectMatch = /^\/projects\/([^/]+)(\/.*)?$/.exec(route);
    if (!projectMatch) return message(res, 404, '404 Not Found');
    const id = decodeURIComponent(projectMatch[1]!);
    const project = /^\d+$/.test(id)
      ? [...projects.values()].find((p) => p.id === Number(id))
      : projectOf(id);
    if (!project || !canRead(project, user)) return message(res, 404, '404 Project Not Found');
    const fullName = fullNameOf(project);
    const rest = projectMatch[2] ?? '';
    const developer = accessLevel(project, user) >= 30;

    if (rest === '' && method === 'GET') {
      sendJson(res, 200, projectJson(project, user));
      return;
    }

    if (rest === '/merge_requests' && method === 'GET') {
      const state = q.get('state') ?? 'all';
      const found = [...project.mrs.values()]
        .filter((mr) => state === 'all' || mr.state === state)
        .filter((mr) => !q.get('source_branch') || mr.head === q.get('source_branch'))
        .filter((mr) => !q.get('target_branch') || mr.base === q.get('target_branch'))
        .sort((a, b) => b.iid - a.iid);
      sendJson(res, 200, await Promise.all(found.map((mr) => mrJson(project, mr))), {
        'x-page': '1',
        'x-per-page': '20',
        'x-next-page': '',
        'x-prev-page': '',
        'x-total': String(found.length),
        'x-total-pages': '1',
      });
      return;
    }

    if (rest === '/merge_requests' && method === 'POST') {
      if (!developer) return message(res, 403, '403 Forbidden');
      const head = stringField(body, 'source_branch');
      const base = stringField(body, 'target_branch');
      const title = stringField(body, 'title');
      const missing = !head ? 'source_branch' : !base ? 'target_branch' : !title ? 'title' : null;
      if (missing) return sendJson(res, 400, { error: `${missing} is missing` });
      if (!(await repos.sha(fullName, head!))) {
        return message(res, 422, [`Source branch "${head}" does not exist`]);
      }
      if (!(await repos.sha(fullName, base!))) {
        return message(res, 422, [`Target branch "${base}" does not exist`]);
      }
      const open = [...project.mrs.values()].find(
        (mr) => mr.state === 'opened' && mr.head === head,
      );
      if (open) {
        return message(res, 409, [
          `Another open merge request already exists for this source branch: !${open.iid}`,
        ]);
      }
      const stamp = now();
      const mr: Mr = {
        id: nextMrId++,
        iid: project.nextMr++,
        head: head!,
        base: base!,
        title: title!,
        description: stringField(body, 'description') ?? '',
        state: 'opened',
        mergeCommitSha: null,
        author: user.login,
        createdAt: stamp,
        updatedAt: stamp,
      };
      project.mrs.set(mr.iid, mr);
      project.lastActivityAt = stamp;
      sendJson(res, 201, await mrJson(project, mr));
      return;
    }

    const memberMatch = /^\/members(\/all)?\/(\d+)$/.exec(rest);
    if (memberMatch && method === 'GET') {
      const who = users.get(Number(memberMatch[2]));
      // The maintainer and developers are direct members; `/all` adds none inherited here.
      const level = who ? accessLevel(project, who) : 0;
      if (!who || level === 0) return message(res, 404, '404 Not found');
      sendJson(res, 200, {
        ...userJson(who),
        access_level: level,
        created_at: project.createdAt,
        expires_at: null,
        membership_state: 'active',
      });
      return;
    }

    const mrMatch = /^\/merge_requests\/(\d+)(\/merge)?$/.exec(rest);
    if (mrMatch) {
      const mr = project.mrs.get(Number(mrMatch[1]));
      if (!mr) return message(res, 404, '404 Not found');
      if (!mrMatch[2] && method === 'GET') {
        sendJson(res, 200, await mrJson(project, mr));
        return;
      }
      if (!developer) return message(res, 403, '403 Forbidden');
      if (!mrMatch[2] && method === 'PUT') {
        const title = stringField(body, 'title');
        const description = stringField(body, 'description');
        const stateEvent = stringField(body, 'state_event');
        if (title !== undefined) mr.title = title;
        if (description !== undefined) mr.description = description;
        if (stateEvent === 'close' && mr.state === 'opened') mr.state = 'closed';
        if (stateEvent === 'reopen' && mr.state === 'closed') mr.state = 'opened';
        mr.updatedAt = now();
        sendJson(res, 200, await mrJson(project, mr));
        return;
      }
      if (mrMatch[2] && method === 'PUT') {
        if (mr.state !== 'opened') return message(res, 405, '405 Method Not Allowed');
        const sha = stringField(body, 'sha');
        if (sha !== undefined && sha !== (await repos.sha(fullName, mr.head))) {
          return message(res, 409, 'SHA does not match HEAD of source branch');
        }
        const squash = body.squash === true || body.squash === 'true';
        const commit = await mergeMr(
          project,
          mr,
          stringField(body, 'merge_commit_message'),
          squash ? 'squash' : 'merge',
        );
        if (!commit) return message(res, 406, 'Branch cannot be merged');
        sendJson(res, 200, await mrJson(project, mr));
        return;
      }
      return message(res, 405, '405 Method Not Allowed');
    }

    const notesMatch = /^\/(issues|merge_requests)\/(\d+)\/notes$/.exec(rest);
    if (notesMatch) {
      const onMr = notesMatch[1] === 'merge_requests';
      const iid = Number(notesMatch[2]);
      if (onMr ? !project.mrs.has(iid) : !project.issues.has(iid)) {
        return message(res, 404, onMr ? '404 Merge Request Not Found' : '404 Issue Not Found');
      }
      const notes = onMr ? project.mrNotes : project.notes;
      const list = notes.get(iid) ?? [];
      const noteJson = (note: FakeNote) => ({
        id: note.id,
        type: null,
        body: note.body,
        author: userJson(userByLogin(note.user)!),
        created_at: now(),
        system: false,
        noteable_id: iid,
        noteable_type: onMr ? 'MergeRequest' : 'Issue',
        noteable_iid: iid,
        project_id: project.id,
      });
      if (method === 'GET') {
        sendJson(res, 200, list.map(noteJson));
        return;
      }
      if (method === 'POST') {
        const text = stringField(body, 'body');
        if (!text) return sendJson(res, 400, { error: 'body is missing' });
        const note = { id: nextNoteId++, body: text, user: user.login };
        notes.set(iid, [...list, note]);
        sendJson(res, 201, noteJson(note));
        return;
      }
    }
    message(res, 404, '404 Not Found');
  }

  async function gitRoute(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    match: RegExpExecArray,
  ): Promise<void> {
    const project = projectOf(match[1]!);
    const smart = GitRepos.smartRequest(req.method ?? 'GET', match[2]!, url.search);
    if (!smart) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('The page could not be found.\n');
      return;
    }
    const push = smart.service === 'git-receive-pack';
    const credentials = basicCredentials(req);
    const grant = credentials ? grants.get(credentials.password) : undefined;
    const owner = grant && !grant.revoked && !grant.expired ? users.get(grant.userId)! : null;
    // OAuth tokens are accepted with the user name `oauth2`; personal tokens with any.
    const user = owner && (!grant!.oauth || credentials!.username === 'oauth2') ? owner : null;
    const challenge = () => {
      res.writeHead(401, {
        'www-authenticate': 'Basic realm="GitLab"',
        'content-type': 'text/plain',
      });
      res.end('HTTP Basic: Access denied.\n');
    };
    if (credentials && !user) return challenge();
    if (!project || !canRead(project, user)) {
      if (!user) return challenge();
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('The project you were looking for could not be found.\n');
      return;
    }
    if (push && !user) return challenge();
    if (push && accessLevel(project, user) < 30) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('You are not allowed to push code to this project.\n');
      return;
    }
    await repos.serve(req, res, {
      fullName: fullNameOf(project),
      request: smart,
      user: user?.login ?? '',
    });
    if (push && req.method === 'POST') project.lastActivityAt = now();
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', webUrl);
    const entry: ForgeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      authorization:
        req.headers.authorization ?? (req.headers['private-token'] as string | undefined),
      body: '',
    };
    requests.push(entry);
    const gitMatch = /^\/(.+?)\.git(\/.*)$/.exec(url.pathname);
    const handle = url.pathname.startsWith('/api/v4/')
      ? api(req, res, url, entry)
      : gitMatch
        ? gitRoute(req, res, url, gitMatch)
        : oauth(req, res, url, entry);
    handle.catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  webUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  apiUrl = `${webUrl}/api/v4`;

  function issueJson(p: Project, issue: FakeGitLabIssue & { author: string }) {
    return {
      id: p.id * 1000 + issue.number,
      iid: issue.number,
      title: issue.title,
      description: issue.body,
      state: 'opened',
      url: issue.url,
      action: 'update',
    };
  }

  function projectHookJson(p: Project) {
    return {
      id: p.id,
      name: p.path,
      description: p.description,
      web_url: `${webUrl}/${fullNameOf(p)}`,
      git_http_url: `${webUrl}/${fullNameOf(p)}.git`,
      namespace: p.namespace,
      path_with_namespace: fullNameOf(p),
      default_branch: p.defaultBranch,
      visibility_level: p.private ? 0 : 20,
    };
  }

  const hookUser = (user: User) => ({
    id: user.id,
    name: user.name,
    username: user.login,
    avatar_url: userJson(user).avatar_url,
    email: '[REDACTED]',
  });

  const labelJson = (p: Project, title: string, index: number) => ({
    id: index + 1,
    title,
    color: '#6699cc',
    project_id: p.id,
    type: 'ProjectLabel',
  });

  const fake: FakeGitLab = {
    webUrl,
    apiUrl,
    clientId,
    clientSecret,
    tokenLifetime: TOKEN_LIFETIME,
    requests,
    env: () => ({
      GITLAB_URL: webUrl,
      GITLAB_CLIENT_ID: clientId,
      GITLAB_CLIENT_SECRET: clientSecret,
    }),
    addUser({ login, name }) {
      if (userByLogin(login)) throw new Error(`fake GitLab already has a user ${login}`);
      const user: User = { id: nextUserId++, login, name: name ?? login };
      users.set(user.id, user);
      const token = `glpat-${randomBytes(15).toString('base64url')}`;
      grants.set(token, {
        userId: user.id,
        scopes: ['api'],
        revoked: false,
        expired: false,
        oauth: false,
        createdAt: Math.floor(Date.now() / 1000),
      });
      return { id: user.id, login, token };
    },
    async addRepo(owner, name, options = {}) {
      const maintainer = userByLogin(owner.split('/')[0]!);
      if (!maintainer) throw new Error(`fake GitLab has no user ${owner.split('/')[0]}`);
      const fullName = `${owner}/${name}`;
      if (projectOf(fullName)) throw new Error(`fake GitLab already has ${fullName}`);
      const defaultBranch = options.defaultBranch ?? 'main';
      await repos.init(fullName, defaultBranch, options.files);
      const stamp = now();
      const project: Project = {
        id: nextProjectId++,
        namespace: owner,
        path: name,
        maintainer,
        developers: new Set((options.collaborators ?? []).map((l) => l.toLowerCase())),
        hooks: [],
        private: options.private ?? false,
        defaultBranch,
        description: options.description ?? null,
        createdAt: stamp,
        lastActivityAt: stamp,
        nextMr: 1,
        nextIssue: 1,
        mrs: new Map(),
        issues: new Map(),
        notes: new Map(),
        mrNotes: new Map(),
      };
      projects.set(fullName.toLowerCase(), project);
      return { id: project.id, fullName, url: `${webUrl}/${fullName}` };
    },
    repoPath: (fullName) => repos.pathOf(fullNameOf(mustProject(fullName))),
    pulls: (fullName) =>
      [...mustProject(fullName).mrs.values()].map((mr) => ({
        number: mr.iid,
        head: mr.head,
        base: mr.base,
        title: mr.title,
        body: mr.description,
        state: mr.state === 'opened' ? 'open' : mr.state,
        url: `${webUrl}/${fullName}/-/merge_requests/${mr.iid}`,
        mergeCommitSha: mr.mergeCommitSha,
      })),
    comments: (fullName, issue) => [...(mustProject(fullName).notes.get(issue) ?? [])],
    mergeRequestComments: (fullName, iid) => [...(mustProject(fullName).mrNotes.get(iid) ?? [])],
    createIssue(fullName, input) {
      const project = mustProject(fullName);
      const number = project.nextIssue++;
      const issue = {
        number,
        title: input.title,
        body: input.body ?? '',
        labels: input.labels ?? [],
        url: `${webUrl}/${fullNameOf(project)}/-/issues/${number}`,
        author: input.author ?? project.maintainer.login,
      };
      project.issues.set(number, issue);
      return { number, title: issue.title, body: issue.body, labels: issue.labels, url: issue.url };
    },
    payloads: {
      issueLabeled(fullName, number, label, sender) {
        const project = mustProject(fullName);
        const issue = project.issues.get(number);
        if (!issue) throw new Error(`fake GitLab has no issue ${fullName}#${number}`);
        const previous = [...issue.labels];
        if (!issue.labels.includes(label)) issue.labels.push(label);
        const labels = issue.labels.map((title, i) => labelJson(project, title, i));
        return {
          object_kind: 'issue',
          event_type: 'issue',
          user: hookUser(userByLogin(sender) ?? project.maintainer),
          project: projectHookJson(project),
          object_attributes: { ...issueJson(project, issue), labels },
          labels,
          changes: {
            labels: {
              previous: previous.map((title, i) => labelJson(project, title, i)),
              current: labels,
            },
          },
        };
      },
      issueComment(fullName, number, text, sender) {
        const project = mustProject(fullName);
        const issue = project.issues.get(number);
        if (!issue) throw new Error(`fake GitLab has no issue ${fullName}#${number}`);
        const author = userByLogin(sender) ?? project.maintainer;
        const note = { id: nextNoteId++, body: text, user: author.login };
        project.notes.set(number, [...(project.notes.get(number) ?? []), note]);
        return {
          object_kind: 'note',
          event_type: 'note',
          user: hookUser(author),
          project_id: project.id,
          project: projectHookJson(project),
          object_attributes: {
            id: note.id,
            note: text,
            noteable_type: 'Issue',
            author_id: author.id,
            project_id: project.id,
            system: false,
            action: 'create',
            url: `${issue.url}#note_${note.id}`,
          },
          issue: {
            ...issueJson(project, issue),
            labels: issue.labels.map((t, i) => labelJson(project, t, i)),
          },
        };
      },
      async mergeRequestMerged(fullName, iid, sender) {
        const project = mustProject(fullName);
        const mr = project.mrs.get(iid);
        if (!mr || mr.state !== 'opened') {
          throw new Error(`fake GitLab has no open merge request ${fullName}!${iid}`);
        }
        const commit = await mergeMr(project, mr, undefined, 'merge');
        if (!commit) throw new Error(`fake GitLab cannot merge ${fullName}!${iid}`);
        return {
          object_kind: 'merge_request',
          event_type: 'merge_request',
          user: hookUser(userByLogin(sender) ?? project.maintainer),
          project: projectHookJson(project),
          object_attributes: {
            ...(await mrJson(project, mr)),
            url: `${webUrl}/${fullName}/-/merge_requests/${mr.iid}`,
            action: 'merge',
          },
        };
      },
    },
    webhook(event, payload, { secret, eventUuid = randomUUID() }) {
      return {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitLab/18.0.0',
          'x-gitlab-event': event,
          'x-gitlab-token': secret,
          'x-gitlab-event-uuid': eventUuid,
          'x-gitlab-webhook-uuid': randomUUID(),
          'x-gitlab-instance': webUrl,
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify(payload),
      };
    },
    addHook(fullName, { url, secret }) {
      const hook = { id: nextHookId++, url, secret };
      mustProject(fullName).hooks.push(hook);
      return hook;
    },
    async deliver(fullName, event, payload) {
      const eventUuid = randomUUID();
      return Promise.all(
        mustProject(fullName).hooks.map((hook) =>
          postDelivery(hook.url, fake.webhook(event, payload, { secret: hook.secret, eventUuid })),
        ),
      );
    },
    fail(fault, count = 1) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    revoke(token) {
      const grant = grants.get(token);
      if (grant) grant.revoked = true;
    },
    expire(token) {
      const grant = grants.get(token);
      if (grant) grant.expired = true;
    },
    authorizeAs(login) {
      const user = userByLogin(login);
      if (!user) throw new Error(`fake GitLab has no user ${login}`);
      authorizing = user;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await repos.remove();
    },
  };
  return fake;
}
