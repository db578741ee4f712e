/**
 * @module vercel
 * Vercel: a connected Vercel account (and team), its projects, a repository's link to one, and a
 * task's deployments: previews of its commits and the production deployments a workspace's owner
 * or admin approved.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.ts';

/** A connected Vercel account (never its token). */
export const VercelConnection = z
  .object({
    id: Id,
    /** Whose it is: the caller's own, or a Lucid workspace's (connected by an admin). */
    owner: z.enum(['user', 'workspace']),
    workspaceId: Id.nullable(),
    /** The Vercel account's username, and the team the token acts in (null: the personal account). */
    username: z.string(),
    teamId: z.string().nullable(),
    connectedAt: Timestamp,
  })
  .meta({ id: 'VercelConnection' });
export type VercelConnection = z.infer<typeof VercelConnection>;

export const VercelStatus = z.object({ connections: z.array(VercelConnection) });
export type VercelStatus = z.infer<typeof VercelStatus>;

export const ConnectVercelTokenBody = z.object({
  token: z.string().trim().min(10).max(500).describe('A Vercel access token.'),
  teamId: z
    .string()
    .trim()
    .max(100)
    .optional()
    .describe('The Vercel team to act in (its id, `team_…`); the personal account otherwise.'),
  workspaceId: Id.optional().describe(
    "Connect it for this Lucid workspace (its admins only); the caller's own otherwise.",
  ),
});

/** Which connection a request uses: the caller's own unless named. */
export const VercelConnectionQuery = z.object({ connectionId: Id.optional() });

/** A Vercel project, as Lucid lists it for linking. */
export const VercelProject = z.object({
  id: z.string(),
  name: z.string(),
  /** The forge repository Vercel builds it from (`github` and `owner/name`), if linked to one. */
  gitProvider: z.string().nullable(),
  gitRepo: z.string().nullable(),
});
export type VercelProject = z.infer<typeof VercelProject>;

export const VercelProjectList = z.object({ projects: z.array(VercelProject) });

/** A repository's Vercel project. */
export const VercelLink = z
  .object({
    repoId: Id,
    connectionId: Id,
    projectId: z.string(),
    projectName: z.string(),
    gitProvider: z.string().nullable(),
    gitRepo: z.string().nullable(),
  })
  .meta({ id: 'VercelLink' });
export type VercelLink = z.infer<typeof VercelLink>;

export const VercelLinkAnswer = z.object({ link: VercelLink.nullable() });
export type VercelLinkAnswer = z.infer<typeof VercelLinkAnswer>;

export const VercelLinkBody = z.object({
  connectionId: Id,
  projectId: z.string().trim().min(1).max(200).describe('The Vercel project’s id or name.'),
});

/** Vercel's states of a deployment (PROMOTING while Lucid asks Vercel for a promotion or rollback). */
export const DeploymentState = z.enum([
  'QUEUED',
  'INITIALIZING',
  'BUILDING',
  'READY',
  'ERROR',
  'CANCELED',
  'PROMOTING',
]);
export type DeploymentState = z.infer<typeof DeploymentState>;

/** Someone named by a deployment: who asked for it, who approved it. */
const Person = z.object({ id: Id, name: z.string() }).nullable();

/** One of a task's deployments. */
export const Deployment = z
  .object({
    id: Id,
    taskId: Id,
    commitSha: z.string(),
    vercelId: z.string().nullable(),
    url: z.string().nullable(),
    state: DeploymentState,
    errorMessage: z.string().nullable(),
    target: z.enum(['preview', 'production']),
    /** For production: made by a promotion or a rollback. */
    action: z.enum(['promote', 'rollback']).nullable(),
    /** Whether it serves the project's production now (the latest promotion or rollback). */
    current: z.boolean(),
    requestedBy: Person,
    requestedAt: Timestamp.nullable(),
    approvedBy: Person,
    approvedAt: Timestamp.nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: 'Deployment' });
export type Deployment = z.infer<typeof Deployment>;

export const DeploymentList = z.object({
  deployments: z.array(Deployment),
  /** Whether the task's repository is linked to a Vercel project. */
  linked: z.boolean(),
});
export type DeploymentList = z.infer<typeof DeploymentList>;

export const DeploymentParams = z.object({ id: Id, deploymentId: Id });
