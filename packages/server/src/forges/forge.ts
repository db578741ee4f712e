/**
 * @module forges/forge
 * The forge port: what Lucid asks of GitHub and of GitLab, behind one interface that
 * `forges/github/` (Octokit) and `forges/gitlab/` (gitbeaker) implement, and one conformance suite
 * (`test/forges/conformance.ts`) checks against the in-repo fakes of both.
 *
 * A forge speaks with one user's token; it never stores it. Every failure it reports is an
 * {@link ForgeError} with a kind Lucid acts on.
 */
import type { ForgeProvider, ForgeRepo } from '@lucid/contracts';

/** Tokens from an OAuth exchange or refresh, or a personal access token (no refresh, no expiry). */
export interface ForgeTokens {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: Date | null;
  scopes: string[];
}

/** The account a token belongs to. */
export interface ForgeAccount {
  id: string;
  login: string;
  name: string | null;
  avatarUrl: string | null;
  /** Scopes the token carries, as the forge reports them (GitHub's `X-OAuth-Scopes`). */
  scopes: string[];
}

/** A pull (GitHub) or merge (GitLab) request. */
export interface PullRequest {
  number: number;
  url: string;
  state: 'open' | 'closed' | 'merged';
  head: string;
  base: string;
}

/** Why a forge call failed: Lucid maps each kind to an error code and a sentence for the user. */
export type ForgeErrorKind =
  /** The token was refused (revoked, expired, wrong): 401. */
  | 'unauthorized'
  /** The token lacks a permission or scope: 403. */
  | 'forbidden'
  | 'not_found'
  /** The request conflicts with the forge's state (a merge conflict, a closed request). */
  | 'conflict'
  /** The forge refused the input (422 with its message). */
  | 'invalid'
  | 'rate_limited'
  /** The forge could not be reached or answered 5xx. */
  | 'unreachable';

export class ForgeError extends Error {
  constructor(
    readonly kind: ForgeErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ForgeError';
  }
}

/** Where a forge lives: its web address (OAuth, git) and its API. */
export interface ForgeEndpoints {
  /** GITHUB_URL / GITLAB_URL: the web address, where OAuth pages and git repositories live. */
  webUrl: string;
  /** GITHUB_API_URL / `${GITLAB_URL}/api/v4`. */
  apiUrl: string;
  /** The fetch HTTP calls go through (counted in the server's metrics); the global one if absent. */
  fetch?: typeof fetch;
  /** Told of each API call the forge's client library makes by itself: its status, or null. */
  onCall?: (status: number | null) => void;
}

/** An OAuth application registered with the forge. */
export interface OAuthApp {
  clientId: string;
  clientSecret: string;
}

/** Who asked for work in a webhook delivery: the commenter, or the one who labelled the issue. */
export interface ForgeRequester {
  login: string;
  /** The forge's numeric user id, as a string. */
  id: string;
  /**
   * What the payload itself says of their standing, where the forge sends it: GitHub's
   * `author_association` of a comment (`OWNER`, `COLLABORATOR`, `NONE`…); null for a label (GitHub)
   * and on GitLab, which sends none. Informative only: Lucid asks the forge ({@link Forge.canWrite}).
   */
  association: string | null;
}

/** A webhook delivery Lucid acts on, read from the forge's payload. */
export type ForgeWebhookEvent =
  /** An issue labelled `lucid`, or a comment mentioning `@lucid` on an issue. */
  | {
      kind: 'issue_request';
      deliveryId: string;
      repoFullName: string;
      issue: number;
      title: string;
      body: string;
      /** The comment that asked, when a comment did. */
      comment: string | null;
      /** The requester's login (the same as `requester.login`). */
      sender: string;
      requester: ForgeRequester;
    }
  /** A pull or merge request merged on the forge (by its button, by Lucid, or by anyone). */
  | {
      kind: 'request_merged';
      deliveryId: string;
      repoFullName: string;
      /** The pull request's number, or the merge request's iid. */
      number: number;
      /** The merge commit on the base branch, when the forge says. */
      mergeSha: string | null;
      /** Who merged it, as the forge names them. */
      merger: string;
    }
  /** Anything else: acknowledged and ignored. */
  | { kind: 'ignored'; deliveryId: string; reason: string };

/**
 * One forge. OAuth calls use the app's credentials; every other call the user's access token.
 */
export interface Forge {
  readonly provider: ForgeProvider;
  readonly endpoints: ForgeEndpoints;

  /** The provider's consent page URL; PKCE `S256` where the provider supports it. */
  authorizeUrl(input: {
    app: OAuthApp;
    state: string;
    codeChallenge: string;
    redirectUri: string;
  }): string;
  /** Exchanges the callback's code for tokens. */
  exchangeCode(input: {
    app: OAuthApp;
    code: string;
    codeVerifier: string;
    redirectUri: string;
  }): Promise<ForgeTokens>;
  /** A new access token from a refresh token; null when the provider issues none (GitHub). */
  refresh(input: { app: OAuthApp; refreshToken: string }): Promise<ForgeTokens | null>;

  /** The token's account; `unauthorized` when the token is refused. */
  account(token: string): Promise<ForgeAccount>;
  /** Repositories the account can push to, newest activity first, one page at a time. */
  listRepos(
    token: string,
    query: { q?: string | undefined; page: number; perPage: number },
  ): Promise<{ repos: ForgeRepo[]; nextPage: number | null }>;
  getRepo(token: string, fullName: string): Promise<ForgeRepo>;

  /** The git URL of a repository, and the HTTP basic credentials that read and push it. */
  gitRemote(token: string, fullName: string): { url: string; username: string; password: string };

  /** The open request from `head` into `base`, if there is one. */
  findPullRequest(
    token: string,
    input: { repo: string; head: string; base: string },
  ): Promise<PullRequest | null>;
  /** Opens a request; when one is already open for the branch it is updated and returned. */
  openPullRequest(
    token: string,
    input: { repo: string; head: string; base: string; title: string; body: string },
  ): Promise<PullRequest & { created: boolean }>;
  updatePullRequest(
    token: string,
    input: { repo: string; number: number; title: string; body: string },
  ): Promise<PullRequest>;
  /** Merges the request; `conflict` when the forge cannot. */
  mergePullRequest(
    token: string,
    input: { repo: string; number: number },
  ): Promise<{ sha: string }>;
  /**
   * Whether a user may write to (push to) a repository, as the token's account sees it: GitHub's
   * collaborator permission (`admin`, `maintain`, `write`), GitLab's membership (Developer or
   * above, inherited included). A user the forge does not know, or who is no member, may not.
   */
  canWrite(token: string, input: { repo: string; login: string; userId: string }): Promise<boolean>;
  /** Comments on an issue. */
  comment(token: string, input: { repo: string; issue: number; body: string }): Promise<void>;
  /**
   * Comments on a pull (GitHub) or merge (GitLab) request: on GitLab its notes are not an issue's,
   * whose numbers are counted apart.
   */
  commentOnPullRequest(
    token: string,
    input: { repo: string; number: number; body: string },
  ): Promise<void>;

  /** Checks a webhook delivery's signature (GitHub) or token (GitLab) against the secret. */
  verifyWebhook(input: {
    headers: Record<string, string | undefined>;
    rawBody: Buffer;
    secret: string;
  }): boolean;
  /** Reads a verified delivery. */
  parseWebhook(input: {
    headers: Record<string, string | undefined>;
    payload: unknown;
  }): ForgeWebhookEvent;
}

/**
 * What `openPullRequest` does on every forge: update the request already open for the branch,
 * else `create` one; when the forge answers that one was opened meanwhile (`alreadyOpen`), update
 * that one. `create` throws {@link ForgeError}s.
 */
export async function openOrUpdate(
  forge: Pick<Forge, 'findPullRequest' | 'updatePullRequest'>,
  token: string,
  input: { repo: string; head: string; base: string; title: string; body: string },
  create: () => Promise<PullRequest>,
  alreadyOpen: (error: ForgeError) => boolean,
): Promise<PullRequest & { created: boolean }> {
  const update = async (open: PullRequest) => ({
    ...(await forge.updatePullRequest(token, { ...input, number: open.number })),
    created: false,
  });
  const existing = await forge.findPullRequest(token, input);
  if (existing) return update(existing);
  try {
    return { ...(await create()), created: true };
  } catch (error) {
    // Opened by someone else between the look-up and the create.
    const raced =
      error instanceof ForgeError && alreadyOpen(error)
        ? await forge.findPullRequest(token, input)
        : null;
    if (raced) return update(raced);
    throw error;
  }
}
