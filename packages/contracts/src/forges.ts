/**
 * @module forges
 * Forges (GitHub, GitLab): the accounts a user connects, the repositories they can pick, and the
 * pull or merge requests Lucid opens for a task's branch.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.ts';

export const ForgeProvider = z.enum(['github', 'gitlab']);
export type ForgeProvider = z.infer<typeof ForgeProvider>;

/** A connected forge account, as the settings page shows it. Its tokens are never returned. */
export const Integration = z
  .object({
    provider: ForgeProvider,
    login: z.string(),
    name: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    scopes: z.array(z.string()),
    /** `oauth` when connected through the provider's consent page, `token` for a personal token. */
    method: z.enum(['oauth', 'token']),
    /** The forge's web address (GITHUB_URL or GITLAB_URL). */
    baseUrl: z.string(),
    connectedAt: Timestamp,
  })
  .meta({ id: 'Integration' });
export type Integration = z.infer<typeof Integration>;

export const IntegrationList = z.object({
  integrations: z.array(Integration),
  /** Providers this server can connect by OAuth (client id and secret configured). */
  oauth: z.array(ForgeProvider),
});
export type IntegrationList = z.infer<typeof IntegrationList>;

export const ForgeProviderParams = z.object({ provider: ForgeProvider });

/** A workspace's own forge connections, used by its members' tasks when they have none. */
export const WorkspaceConnectionList = z.object({ connections: z.array(Integration) });
export type WorkspaceConnectionList = z.infer<typeof WorkspaceConnectionList>;

export const WorkspaceForgeParams = z.object({ id: Id, provider: ForgeProvider });

/** A personal access token offered instead of OAuth; verified with the forge before it is kept. */
export const ConnectTokenBody = z.object({ token: z.string().trim().min(8).max(500) });
export type ConnectTokenBody = z.infer<typeof ConnectTokenBody>;

/** A repository on a forge, as the repo picker lists it. */
export const ForgeRepo = z
  .object({
    provider: ForgeProvider,
    /** GitHub's numeric id or GitLab's project id, as a string. */
    id: z.string(),
    name: z.string(),
    /** `owner/name` on GitHub, `group/subgroup/name` on GitLab. */
    fullName: z.string(),
    url: z.string(),
    private: z.boolean(),
    defaultBranch: z.string(),
    description: z.string().nullable(),
  })
  .meta({ id: 'ForgeRepo' });
export type ForgeRepo = z.infer<typeof ForgeRepo>;

export const ForgeRepoQuery = z.object({
  /** Matches the repository's name, case-insensitively. */
  q: z.string().trim().min(1).max(200).optional(),
  page: z.coerce.number().int().min(1).default(1),
  perPage: z.coerce.number().int().min(1).max(100).default(30),
  workspaceId: Id.optional().describe(
    "The workspace the repository is for: without an account of your own, the workspace's is used.",
  ),
});
export type ForgeRepoQuery = z.infer<typeof ForgeRepoQuery>;

export const ForgeRepoList = z.object({
  repos: z.array(ForgeRepo),
  /** The next page to ask for; null on the last one. */
  nextPage: z.number().int().nullable(),
});
export type ForgeRepoList = z.infer<typeof ForgeRepoList>;

/** Adds a forge repository to Lucid: it is mirrored into the git server and linked upstream. */
export const AddForgeRepoBody = z.object({
  fullName: z.string().trim().min(1).max(300),
  workspaceId: Id.optional().describe('Defaults to your personal workspace.'),
});
export type AddForgeRepoBody = z.infer<typeof AddForgeRepoBody>;

/** Where a repository comes from, when it has an upstream on a forge. */
export const RepoUpstream = z.object({
  provider: ForgeProvider,
  fullName: z.string(),
  url: z.string(),
});
export type RepoUpstream = z.infer<typeof RepoUpstream>;

/** A repository's forge webhook as its page shows it: where the forge sends deliveries. */
export const RepoWebhook = z
  .object({
    /** `<public URL>/api/webhooks/<provider>/<repo id>`: deliveries for this repository only. */
    url: z.url(),
    /** Whether a secret was made; it is shown once, when made, and never again. */
    secretSet: z.boolean(),
  })
  .meta({ id: 'RepoWebhook' });
export type RepoWebhook = z.infer<typeof RepoWebhook>;

/**
 * A repository's new webhook secret with its payload URL, shown this once: paste both into the
 * webhook's settings on the forge. Only the sealed secret is kept.
 */
export const RepoWebhookSecret = z
  .object({
    url: z.url(),
    secret: z.string(),
  })
  .meta({ id: 'RepoWebhookSecret' });
export type RepoWebhookSecret = z.infer<typeof RepoWebhookSecret>;
