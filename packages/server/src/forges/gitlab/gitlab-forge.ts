/**
 * @module forges/gitlab/gitlab-forge
 * The GitLab adapter of the forge port: the REST API (`$GITLAB_URL/api/v4`) through gitbeaker with the
 * user's token as `oauthToken` (GitLab takes personal access tokens as Bearer tokens too), the OAuth
 * flow on GITLAB_URL by fetch, git over HTTPS as `oauth2:<token>`, and webhooks carrying
 * `X-Gitlab-Token`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  AccessLevel,
  GitbeakerRequestError,
  GitbeakerRetryError,
  GitbeakerTimeoutError,
  IssueNotes,
  MergeRequestNotes,
  MergeRequests,
  ProjectMembers,
  Projects,
  Users,
} from '@gitbeaker/rest';
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

/** `api`: read the account and repositories, push over HTTPS, open and merge merge requests. */
const SCOPES = ['api'];

/** Builds the GitLab forge for one server's addresses. */
export function createGitLabForge(endpoints: ForgeEndpoints): Forge {
  const host = endpoints.webUrl;
  // gitbeaker retries 429 and 502 answers with a growing delay; the timeout bounds one call,
  // retries included, so a busy GitLab fails the call instead of holding it for minutes.
  const options = (token: string) => ({ host, oauthToken: token, queryTimeout: 20_000 });

  // gitbeaker fetches by itself: its calls are counted here, one per call (its retries inside).
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      const result = await run();
      endpoints.onCall?.(200);
      return result;
    } catch (error) {
      const failure = await toForgeError(error, what);
      endpoints.onCall?.(failure.status ?? null);
      throw failure;
    }
  };

  const toRepo = (data: GitLabProject): ForgeRepo => ({
    provider: 'gitlab',
    id: String(data.id),
    name: data.path,
    fullName: data.path_with_namespace,
    url: data.web_url,
    private: data.visibility !== 'public',
    defaultBranch: data.default_branch ?? 'main',
    description: data.description || null,
  });

  const toPull = (data: GitLabMergeRequest): PullRequest => ({
    number: data.iid,
    url: data.web_url,
    state: data.state === 'merged' ? 'merged' : data.state === 'opened' ? 'open' : 'closed',
    head: data.source_branch,
    base: data.target_branch,
  });

  const forge: Forge = {
    provider: 'gitlab',
    endpoints,

    authorizeUrl({ app, state, codeChallenge, redirectUri }) {
      const url = new URL(`${endpoints.webUrl}/oauth/authorize`);
      url.searchParams.set('client_id', app.clientId);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('scope', SCOPES.join(' '));
      url.searchParams.set('state', state);
      url.searchParams.set('code_challenge', codeChallenge);
      url.searchParams.set('code_challenge_method', 'S256');
      return url.toString();
    },

    exchangeCode({ app, code, codeVerifier, redirectUri }) {
      return tokenRequest(endpoints, app, {
        grant_type: 'authorization_code',
        code,
        code_verifier: codeVerifier,
        redirect_uri: redirectUri,
      });
    },

    refresh({ app, refreshToken }) {
      return tokenRequest(endpoints, app, {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
      });
    },

    async account(token): Promise<ForgeAccount> {
      const user = (await call('read your GitLab account', () =>
        new Users(options(token)).showCurrentUser(),
      )) as unknown as { id: number; username: string; name?: string; avatar_url?: string };
      return {
        id: String(user.id),
        login: user.username,
        name: user.name || null,
        avatarUrl: user.avatar_url || null,
        scopes: await scopesOf(endpoints, token),
      };
    },

    async listRepos(token, { q, page, perPage }) {
      const response = await call('list your GitLab projects', () =>
        new Projects(options(token)).all({
          membership: true,
          minAccessLevel: AccessLevel.DEVELOPER,
          ...(q ? { search: q } : {}),
          orderBy: 'last_activity_at',
          sort: 'desc',
          page,
          perPage,
          maxPages: 1,
          pagination: 'offset',
          showExpanded: true,
        }),
      );
      const expanded = response as unknown as {
        data: GitLabProject[];
        paginationInfo: { next: number | null };
      };
      return {
        repos: expanded.data.map(toRepo),
        nextPage: expanded.paginationInfo.next ?? null,
      };
    },

    async getRepo(token, fullName) {
      const project = await call(`read ${fullName} on GitLab`, () =>
        new Projects(options(token)).show(fullName),
      );
      return toRepo(project as unknown as GitLabProject);
    },

    gitRemote(token, fullName) {
      return { url: `${endpoints.webUrl}/${fullName}.git`, username: 'oauth2', password: token };
    },

    async findPullRequest(token, { repo, head, base }) {
      const list = await call(`list the merge requests of ${repo}`, () =>
        new MergeRequests(options(token)).all({
          projectId: repo,
          sourceBranch: head,
          targetBranch: base,
          state: 'opened',
          perPage: 20,
          maxPages: 1,
        }),
      );
      const found = (list as unknown as GitLabMergeRequest[]).find(
        (mr) => mr.source_branch === head && mr.target_branch === base,
      );
      return found ? toPull(found) : null;
    },

    async openPullRequest(token, input) {
      const create = async () => {
        try {
          const created = await new MergeRequests(options(token)).create(
            input.repo,
            input.head,
            input.base,
            input.title,
            { description: input.body },
          );
          return toPull(created as unknown as GitLabMergeRequest);
        } catch (error) {
          throw await toForgeError(error, `open a merge request on ${input.repo}`);
        }
      };
      return openOrUpdate(
        forge,
        token,
        input,
        create,
        (error) => error.status === 409 && /already exists/i.test(error.message),
      );
    },

    async updatePullRequest(token, { repo, number, title, body }) {
      const updated = await call(`update merge request !${number} of ${repo}`, () =>
        new MergeRequests(options(token)).edit(repo, number, { title, description: body }),
      );
      return toPull(updated as unknown as GitLabMergeRequest);
    },

    async mergePullRequest(token, { repo, number }) {
      const merged = (await call(`merge merge request !${number} of ${repo}`, () =>
        new MergeRequests(options(token)).merge(repo, number, {}),
      )) as unknown as GitLabMergeRequest;
      const sha = merged.merge_commit_sha ?? merged.squash_commit_sha ?? merged.sha;
      if (!sha) {
        throw new ForgeError(
          'conflict',
          `GitLab accepted merge request !${number} of ${repo} but has not merged it yet.`,
        );
      }
      return { sha };
    },

    async canWrite(token, { repo, userId }) {
      try {
        const member = (await new ProjectMembers(options(token)).show(repo, Number(userId), {
          includeInherited: true,
        })) as unknown as { access_level: number; state?: string };
        return member.access_level >= AccessLevel.DEVELOPER && member.state !== 'blocked';
      } catch (error) {
        const forgeError = await toForgeError(error, `read a member of ${repo}`);
        // Not a member (direct or inherited): no write access.
        if (forgeError.kind === 'not_found') return false;
        throw forgeError;
      }
    },

    async comment(token, { repo, issue, body }) {
      await call(`comment on #${issue} of ${repo}`, () =>
        new IssueNotes(options(token)).create(repo, issue, body),
      );
    },

    async commentOnPullRequest(token, { repo, number, body }) {
      await call(`comment on merge request !${number} of ${repo}`, () =>
        new MergeRequestNotes(options(token)).create(repo, number, body),
      );
    },

    verifyWebhook({ headers, secret }) {
      const given = headers['x-gitlab-token'];
      if (given === undefined || secret === '') return false;
      // Compared as digests, so neither length nor content leaks through timing.
      const digest = (text: string) => createHash('sha256').update(text).digest();
      return timingSafeEqual(digest(given), digest(secret));
    },

    parseWebhook({ headers, payload }) {
      return parseGitLabWebhook(headers, payload);
    },
  };
  return forge;
}

interface GitLabProject {
  id: number;
  path: string;
  path_with_namespace: string;
  web_url: string;
  visibility?: string;
  default_branch?: string | null;
  description?: string | null;
}

interface GitLabMergeRequest {
  iid: number;
  web_url: string;
  state: string;
  source_branch: string;
  target_branch: string;
  sha?: string | null;
  merge_commit_sha?: string | null;
  squash_commit_sha?: string | null;
}

/**
 * The scopes a token carries. GitLab reports them at `/oauth/token/info` for OAuth tokens and at
 * `/personal_access_tokens/self` for personal ones; gitbeaker covers neither (the first is not under
 * the API), so both are read by fetch. Unknown scopes read as none.
 */
async function scopesOf(endpoints: ForgeEndpoints, token: string): Promise<string[]> {
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  for (const url of [
    `${endpoints.webUrl}/oauth/token/info`,
    `${endpoints.apiUrl}/personal_access_tokens/self`,
  ]) {
    try {
      const response = await (endpoints.fetch ?? fetch)(url, { headers });
      if (!response.ok) continue;
      const body = (await response.json()) as { scopes?: unknown };
      if (Array.isArray(body.scopes)) return body.scopes.map(String);
    } catch {
      return [];
    }
  }
  return [];
}

const TokenAnswer = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().optional(),
  expires_in: z.number().optional(),
  created_at: z.number().optional(),
  scope: z.string().optional(),
});
const TokenRefusal = z.object({ error: z.string(), error_description: z.string().optional() });

/** POSTs to GitLab's token endpoint (OAuth is outside the REST API gitbeaker speaks). */
async function tokenRequest(
  endpoints: ForgeEndpoints,
  app: OAuthApp,
  fields: Record<string, string>,
): Promise<ForgeTokens> {
  let response: Response;
  try {
    response = await (endpoints.fetch ?? fetch)(`${endpoints.webUrl}/oauth/token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: app.clientId,
        client_secret: app.clientSecret,
        ...fields,
      }),
    });
  } catch {
    throw new ForgeError('unreachable', `GitLab could not be reached at ${endpoints.webUrl}.`);
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const refusal = TokenRefusal.safeParse(body);
    const said = refusal.success
      ? (refusal.data.error_description ?? refusal.data.error)
      : `HTTP ${response.status}`;
    const kind =
      response.status >= 500 ? 'unreachable' : response.status === 401 ? 'unauthorized' : 'invalid';
    throw new ForgeError(kind, `GitLab refused the sign-in: ${said}`, response.status);
  }
  const parsed = TokenAnswer.safeParse(body);
  if (!parsed.success) {
    throw new ForgeError('unreachable', 'GitLab answered the token request with no token.');
  }
  const answer = parsed.data;
  const issuedAt = answer.created_at ? answer.created_at * 1000 : Date.now();
  return {
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token ?? null,
    expiresAt:
      answer.expires_in === undefined ? null : new Date(issuedAt + answer.expires_in * 1000),
    scopes: (answer.scope ?? '').split(/\s+/).filter(Boolean),
  };
}

/** gitbeaker's errors (the failed `Response` and GitLab's message) as the port's kinds. */
async function toForgeError(error: unknown, what: string): Promise<ForgeError> {
  if (error instanceof ForgeError) return error;
  if (error instanceof GitbeakerRetryError) {
    return new ForgeError('rate_limited', `Could not ${what}: GitLab kept answering "busy".`, 429);
  }
  if (error instanceof GitbeakerTimeoutError) {
    return new ForgeError('unreachable', `Could not ${what}: GitLab did not answer in time.`);
  }
  const response = error instanceof GitbeakerRequestError ? error.cause?.response : undefined;
  if (!response) {
    return new ForgeError('unreachable', `Could not ${what}: GitLab could not be reached.`);
  }
  const status = response.status;
  const said = error instanceof GitbeakerRequestError ? error.cause?.description || '' : '';
  const message = `Could not ${what}: GitLab said "${readable(said) || `HTTP ${status}`}".`;
  if (status === 401) return new ForgeError('unauthorized', message, status);
  if (status === 403) return new ForgeError('forbidden', message, status);
  if (status === 404) return new ForgeError('not_found', message, status);
  if (status === 405 || status === 406 || status === 409) {
    return new ForgeError('conflict', message, status);
  }
  if (status === 429) return new ForgeError('rate_limited', message, status);
  if (status === 400 || status === 422) return new ForgeError('invalid', message, status);
  return new ForgeError('unreachable', message, status);
}

/** GitLab's `message` may be a string, a list, or an object of field errors. */
function readable(description: string): string {
  try {
    const value: unknown = JSON.parse(description);
    if (Array.isArray(value)) return value.join('; ');
    if (value && typeof value === 'object') {
      return Object.entries(value as Record<string, unknown>)
        .map(([field, problems]) => `${field} ${[problems].flat().join(', ')}`)
        .join('; ');
    }
  } catch {
    // A plain sentence.
  }
  return description;
}

const Label = z.object({ title: z.string() });
const Project = z.object({ path_with_namespace: z.string() });
const HookUser = z.object({ id: z.number(), username: z.string() });
const IssueHook = z.object({
  object_kind: z.literal('issue'),
  user: HookUser,
  project: Project,
  object_attributes: z.object({
    iid: z.number().int(),
    title: z.string(),
    description: z.string().nullish(),
    action: z.string().optional(),
  }),
  labels: z.array(Label).optional(),
  changes: z
    .object({
      labels: z.object({ previous: z.array(Label), current: z.array(Label) }).optional(),
    })
    .optional(),
});
const NoteHook = z.object({
  object_kind: z.literal('note'),
  user: HookUser,
  project: Project,
  object_attributes: z.object({
    note: z.string(),
    noteable_type: z.string(),
    action: z.string().optional(),
  }),
  issue: z
    .object({ iid: z.number().int(), title: z.string(), description: z.string().nullish() })
    .optional(),
});

const MergeRequestHook = z.object({
  object_kind: z.literal('merge_request'),
  user: HookUser,
  project: Project,
  object_attributes: z.object({
    iid: z.number().int(),
    action: z.string().optional(),
    state: z.string().optional(),
    merge_commit_sha: z.string().nullish(),
  }),
});

/**
 * Reads a verified GitLab delivery: an `Issue Hook` that adds the `lucid` label (or opens an issue
 * with it), a `Note Hook` on an issue that mentions `@lucid`, a `Merge Request Hook` of a merge.
 */
export function parseGitLabWebhook(
  headers: Record<string, string | undefined>,
  payload: unknown,
): ForgeWebhookEvent {
  // Idempotency-Key (GitLab 17.4+) names one hook's delivery and stays the same on retries; the
  // event UUID is shared by every hook the event triggers.
  const deliveryId = headers['idempotency-key'] ?? headers['x-gitlab-event-uuid'] ?? '';
  const event = headers['x-gitlab-event'] ?? '';
  const ignored = (reason: string): ForgeWebhookEvent => ({ kind: 'ignored', deliveryId, reason });
  if (event === 'Issue Hook') {
    const parsed = IssueHook.safeParse(payload);
    if (!parsed.success) return ignored('The Issue Hook payload is not one GitLab sends.');
    const { object_attributes: issue, changes, labels, user, project } = parsed.data;
    const added = changes?.labels
      ? changes.labels.current.some(
          (label) =>
            isLucidLabel(label.title) &&
            !changes.labels!.previous.some((before) => isLucidLabel(before.title)),
        )
      : issue.action === 'open' && (labels ?? []).some((label) => isLucidLabel(label.title));
    if (!added)
      return ignored('Issue changes other than adding the "lucid" label are not acted on.');
    return {
      kind: 'issue_request',
      deliveryId,
      repoFullName: project.path_with_namespace,
      issue: issue.iid,
      title: issue.title,
      body: issue.description ?? '',
      comment: null,
      sender: user.username,
      requester: { login: user.username, id: String(user.id), association: null },
    };
  }
  if (event === 'Note Hook') {
    const parsed = NoteHook.safeParse(payload);
    if (!parsed.success) return ignored('The Note Hook payload is not one GitLab sends.');
    const { object_attributes: note, issue, user, project } = parsed.data;
    if (note.noteable_type !== 'Issue' || !issue) {
      return ignored(`Notes on a ${note.noteable_type} are not acted on.`);
    }
    if (note.action !== undefined && note.action !== 'create') {
      return ignored(`Notes ${note.action}d are not acted on.`);
    }
    if (!mentionsLucid(note.note)) return ignored('The note does not mention @lucid.');
    return {
      kind: 'issue_request',
      deliveryId,
      repoFullName: project.path_with_namespace,
      issue: issue.iid,
      title: issue.title,
      body: issue.description ?? '',
      comment: note.note,
      sender: user.username,
      requester: { login: user.username, id: String(user.id), association: null },
    };
  }
  if (event === 'Merge Request Hook') {
    const parsed = MergeRequestHook.safeParse(payload);
    if (!parsed.success) return ignored('The Merge Request Hook payload is not one GitLab sends.');
    const { object_attributes: mr, user, project } = parsed.data;
    if (mr.action !== 'merge') {
      return ignored(`Merge requests ${mr.action ?? 'changed'} without a merge are not acted on.`);
    }
    return {
      kind: 'request_merged',
      deliveryId,
      repoFullName: project.path_with_namespace,
      number: mr.iid,
      mergeSha: mr.merge_commit_sha ?? null,
      merger: user.username,
    };
  }
  return ignored(`GitLab "${event || 'unknown'}" events are not acted on.`);
}
