/**
 * @module repos/repos
 * Repositories: create, read, change and delete them, each with its bare repo in the git server.
 * A repository is visible to the members of its workspace and to no one else: to anyone else it
 * does not exist (404, never 403).
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { CreateRepoBody, Repo, UpdateRepoBody, WorkspaceRole } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { repositories, tasks, workspaceMembers } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../principal.ts';
import { hasRole, personalWorkspaceId, refusal, requireRole } from '../workspaces/workspaces.ts';
import { bareRepoPath, initBareRepo, removeBareRepo, setDefaultBranch } from '../git/bare-repo.ts';

/** What repository functions need besides the database. */
export interface RepoContext {
  db: Db;
  /** The folder holding the bare repos. */
  gitRoot: string;
  /** The server's public base URL, for clone URLs. */
  publicUrl: string;
}

type RepoRow = typeof repositories.$inferSelect;

export function cloneUrl(publicUrl: string, repoId: string): string {
  return `${publicUrl}/git/${repoId}.git`;
}

/**
 * Where a repository's forge sends its webhook deliveries: an address of its own, so a delivery
 * is checked against that repository's secret and acts on it alone.
 *
 * @example
 * webhookUrl('https://lucid.example.com', 'github', 'repo_x');
 * // → 'https://lucid.example.com/api/webhooks/github/repo_x'
 */
export function webhookUrl(
  publicUrl: string,
  provider: 'github' | 'gitlab',
  repoId: string,
): string {
  return `${publicUrl}/api/webhooks/${provider}/${repoId}`;
}

function toRepo(ctx: RepoContext, row: RepoRow): Repo {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    description: row.description,
    provider: row.provider,
    upstream:
      row.provider !== 'local' && row.upstreamFullName && row.upstreamUrl
        ? { provider: row.provider, fullName: row.upstreamFullName, url: row.upstreamUrl }
        : null,
    webhook:
      row.provider === 'local'
        ? null
        : {
            url: webhookUrl(ctx.publicUrl, row.provider, row.id),
            secretSet: row.sealedWebhookSecret !== null,
          },
    defaultBranch: row.defaultBranch,
    checkCommand: row.checkCommand,
    cloneUrl: cloneUrl(ctx.publicUrl, row.id),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    lastPushedAt: row.lastPushedAt?.toISOString() ?? null,
  };
}

function notFound(): AppError {
  return new AppError(
    'repo_not_found',
    'This repository does not exist, or you are not a member of its workspace.',
  );
}

function nameTaken(name: string): AppError {
  return new AppError(
    'name_taken',
    `A repository named "${name}" already exists in this workspace.`,
  );
}

/**
 * Loads a repository the user may see with at least `role`; anything else is `repo_not_found`,
 * except a member lacking the role, who is told so.
 */
export async function loadRepo(
  ctx: RepoContext,
  userId: string,
  repoId: string,
  role: WorkspaceRole = 'viewer',
): Promise<RepoRow> {
  // One query for the repository and the caller's role: this runs on every git request.
  const [found] = await ctx.db
    .select({ row: repositories, actual: workspaceMembers.role })
    .from(repositories)
    .innerJoin(
      workspaceMembers,
      and(
        eq(workspaceMembers.workspaceId, repositories.workspaceId),
        eq(workspaceMembers.userId, userId),
      ),
    )
    .where(eq(repositories.id, repoId));
  if (!found) throw notFound();
  const { row, actual } = found;
  if (!hasRole(actual, role)) {
    throw await refusal(ctx.db, {
      workspaceId: row.workspaceId,
      userId,
      needed: role,
      role: actual,
      message: `Changing this repository needs the ${role} role; you are ${actual}.`,
      target: { type: 'repo', id: row.id },
    });
  }
  return row;
}

export async function createRepo(
  ctx: RepoContext,
  { actor, input }: { actor: Principal; input: CreateRepoBody },
): Promise<Repo> {
  const workspaceId = input.workspaceId ?? (await personalWorkspaceId(ctx.db, actor.userId));
  await requireRole(ctx.db, workspaceId, actor.userId, 'member');
  const id = newId('repo');
  const repoPath = bareRepoPath(ctx.gitRoot, id);
  try {
    return await ctx.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(repositories)
        .values({
          id,
          workspaceId,
          name: input.name,
          description: input.description ?? '',
          defaultBranch: input.defaultBranch ?? 'main',
          createdBy: actor.userId,
        })
        .returning();
      if (!row) throw new AppError('internal', 'The repository was not stored.');
      await recordAudit(tx, {
        actor,
        action: 'repo.create',
        targetType: 'repo',
        targetId: id,
        workspaceId,
        metadata: { name: row.name },
      });
      await initBareRepo(repoPath, row.defaultBranch);
      return toRepo(ctx, row);
    });
  } catch (error) {
    await removeBareRepo(repoPath);
    if (isUniqueViolation(error)) throw nameTaken(input.name);
    throw error;
  }
}

/** The repositories of the user's workspaces, or of one of them when `workspaceId` is given. */
export async function listRepos(
  ctx: RepoContext,
  userId: string,
  workspaceId?: string,
): Promise<Repo[]> {
  const visible = ctx.db
    .select({ id: workspaceMembers.workspaceId })
    .from(workspaceMembers)
    .where(
      and(
        eq(workspaceMembers.userId, userId),
        workspaceId === undefined ? undefined : eq(workspaceMembers.workspaceId, workspaceId),
      ),
    );
  const rows = await ctx.db
    .select()
    .from(repositories)
    .where(inArray(repositories.workspaceId, visible))
    .orderBy(desc(repositories.updatedAt), desc(repositories.id));
  return rows.map((row) => toRepo(ctx, row));
}

export async function getRepo(ctx: RepoContext, userId: string, repoId: string): Promise<Repo> {
  return toRepo(ctx, await loadRepo(ctx, userId, repoId));
}

export async function updateRepo(
  ctx: RepoContext,
  { actor, repoId, input }: { actor: Principal; repoId: string; input: UpdateRepoBody },
): Promise<Repo> {
  const before = await loadRepo(ctx, actor.userId, repoId, 'admin');
  try {
    return await ctx.db.transaction(async (tx) => {
      const [row] = await tx
        .update(repositories)
        .set({
          ...input,
          ...(input.checkCommand !== undefined ? { checkCommand: input.checkCommand || null } : {}),
          updatedAt: new Date(),
        })
        .where(eq(repositories.id, repoId))
        .returning();
      if (!row) throw notFound();
      await recordAudit(tx, {
        actor,
        action: 'repo.update',
        targetType: 'repo',
        targetId: repoId,
        workspaceId: row.workspaceId,
        metadata: { changes: input },
      });
      if (input.defaultBranch && input.defaultBranch !== before.defaultBranch) {
        await setDefaultBranch(bareRepoPath(ctx.gitRoot, repoId), input.defaultBranch);
      }
      return toRepo(ctx, row);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name ?? before.name);
    throw error;
  }
}

/**
 * Moves a repository, with its tasks, to another workspace; the caller must be an admin of both.
 *
 * @example
 * const repo = await moveRepo(ctx, { actor, repoId, workspaceId: team.id });
 */
export async function moveRepo(
  ctx: RepoContext,
  { actor, repoId, workspaceId }: { actor: Principal; repoId: string; workspaceId: string },
): Promise<Repo> {
  const before = await loadRepo(ctx, actor.userId, repoId, 'admin');
  await requireRole(ctx.db, workspaceId, actor.userId, 'admin');
  if (before.workspaceId === workspaceId) return toRepo(ctx, before);
  try {
    return await ctx.db.transaction(async (tx) => {
      const [row] = await tx
        .update(repositories)
        .set({ workspaceId, updatedAt: new Date() })
        .where(eq(repositories.id, repoId))
        .returning();
      if (!row) throw notFound();
      await tx.update(tasks).set({ workspaceId }).where(eq(tasks.repoId, repoId));
      for (const [workspace, direction] of [
        [before.workspaceId, 'out'],
        [workspaceId, 'in'],
      ] as const) {
        await recordAudit(tx, {
          actor,
          action: 'repo.move',
          targetType: 'repo',
          targetId: repoId,
          workspaceId: workspace,
          metadata: { direction, from: before.workspaceId, to: workspaceId, name: row.name },
        });
      }
      return toRepo(ctx, row);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(before.name);
    throw error;
  }
}

/** Deletes the repository and its storage; what was pushed to it is gone. */
export async function deleteRepo(
  ctx: RepoContext,
  { actor, repoId }: { actor: Principal; repoId: string },
): Promise<void> {
  const row = await loadRepo(ctx, actor.userId, repoId, 'admin');
  await ctx.db.transaction(async (tx) => {
    await tx.delete(repositories).where(eq(repositories.id, repoId));
    await recordAudit(tx, {
      actor,
      action: 'repo.delete',
      targetType: 'repo',
      targetId: repoId,
      workspaceId: row.workspaceId,
      metadata: { name: row.name },
    });
  });
  await removeBareRepo(bareRepoPath(ctx.gitRoot, repoId));
}

/** Notes a successful push: the repo's push time and an audit entry. */
export async function recordPush(
  ctx: RepoContext,
  { actor, repo }: { actor: Principal; repo: RepoRow },
): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const now = new Date();
    await tx
      .update(repositories)
      .set({ lastPushedAt: now, updatedAt: now })
      .where(and(eq(repositories.id, repo.id)));
    await recordAudit(tx, {
      actor,
      action: 'repo.push',
      targetType: 'repo',
      targetId: repo.id,
      workspaceId: repo.workspaceId,
    });
  });
}
