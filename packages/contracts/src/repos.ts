/**
 * @module repos
 * Repositories: the code an agent works on, each stored as a bare repo in Lucid's git server.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.ts';
import { RepoUpstream, RepoWebhook, RepoWebhookSecret } from './forges.ts';

/** A repository name: letters, digits, `.`, `_` and `-`, as git hosts accept them. */
export const RepoName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._-]+$/, 'Use only letters, digits, ".", "_" and "-".')
  .refine((name) => !name.startsWith('.') && !name.endsWith('.git'), {
    message: 'A name may not start with "." or end with ".git".',
  });

/** A branch name as git accepts it (checked again by git itself). */
export const BranchName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  // eslint-disable-next-line no-control-regex -- git forbids control characters in ref names
  .regex(/^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[^\s~^:?*[\\\x00-\x1f\x7f]+(?<![./])$/, {
    message: 'Not a valid git branch name.',
  });

export const Repo = z
  .object({
    id: Id,
    workspaceId: Id,
    name: z.string(),
    description: z.string(),
    provider: z.enum(['local', 'github', 'gitlab']),
    /** The forge repository it mirrors; null for a repository pushed into Lucid. */
    upstream: RepoUpstream.nullable(),
    /** Its forge webhook's payload URL; null for a repository pushed into Lucid. */
    webhook: RepoWebhook.nullable(),
    defaultBranch: z.string(),
    /**
     * The command run in a task's workspace after each agent run (e.g. `npm test`), told as a
     * `check.result` event; null: none.
     */
    checkCommand: z.string().nullable(),
    cloneUrl: z.url(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    lastPushedAt: Timestamp.nullable(),
  })
  .meta({ id: 'Repo' });
export type Repo = z.infer<typeof Repo>;

/** A repository just linked from a forge, with its webhook secret, shown this once. */
export const LinkedRepo = Repo.extend({ webhookSecret: RepoWebhookSecret }).meta({
  id: 'LinkedRepo',
});
export type LinkedRepo = z.infer<typeof LinkedRepo>;

export const RepoList = z.object({ repos: z.array(Repo) });
export type RepoList = z.infer<typeof RepoList>;

export const CreateRepoBody = z.object({
  name: RepoName,
  description: z.string().max(2000).optional(),
  defaultBranch: BranchName.optional(),
  workspaceId: Id.optional().describe('Defaults to your personal workspace.'),
});
export type CreateRepoBody = z.infer<typeof CreateRepoBody>;

export const IngestRepoBody = CreateRepoBody.pick({
  name: true,
  defaultBranch: true,
  workspaceId: true,
});
export type IngestRepoBody = z.infer<typeof IngestRepoBody>;

export const UpdateRepoBody = z
  .object({
    name: RepoName.optional(),
    description: z.string().max(2000).optional(),
    defaultBranch: BranchName.optional(),
    checkCommand: z
      .string()
      .trim()
      .max(2000)
      .nullable()
      .optional()
      .describe(
        "The command run in a task's workspace after each agent run (e.g. npm test); empty or null removes it.",
      ),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'Nothing to change.' });
export type UpdateRepoBody = z.infer<typeof UpdateRepoBody>;

export const CloneUrl = z.object({
  cloneUrl: z.url(),
  username: z.string().describe('Any user name works; the password is an API token.'),
});
export type CloneUrl = z.infer<typeof CloneUrl>;

export const Branch = z
  .object({
    name: z.string(),
    sha: z.string(),
    updated: Timestamp,
  })
  .meta({ id: 'Branch' });
export type Branch = z.infer<typeof Branch>;

export const BranchList = z.object({ branches: z.array(Branch) });
export type BranchList = z.infer<typeof BranchList>;

export const Commit = z
  .object({
    sha: z.string(),
    parents: z.array(z.string()),
    author: z.object({ name: z.string(), email: z.string() }),
    date: Timestamp,
    subject: z.string(),
    /**
     * A branch it is on: the default branch when it is in that branch's history, else a branch
     * not merged into it that holds it. Null when no branch holds it.
     */
    branch: z.string().nullable(),
    /** True when the default branch holds it; false for the work of a branch not merged yet. */
    onDefaultBranch: z.boolean(),
  })
  .meta({ id: 'Commit' });
export type Commit = z.infer<typeof Commit>;

export const CommitsQuery = z.object({
  ref: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('A branch, tag or sha; all branches if absent.'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type CommitsQuery = z.infer<typeof CommitsQuery>;

export const CommitList = z.object({ commits: z.array(Commit) });
export type CommitList = z.infer<typeof CommitList>;
