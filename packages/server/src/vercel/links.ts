/**
 * @module vercel/links
 * A repository's Vercel project: the projects a connection reaches, and the link an admin of the
 * repository's workspace makes (or removes) between the two, with a connection of theirs or of the
 * repository's workspace. Its tasks' previews are deployed to the linked project.
 */
import { eq } from 'drizzle-orm';
import type { VercelLink, VercelProject } from '@lucid/contracts';
import { recordAudit } from '../audit/audit.ts';
import { repositories, vercelLinks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { requireRole } from '../workspaces/workspaces.ts';
import { vercelFailure, type VercelProjectInfo } from './client.ts';
import { vercelApiOf, vercelConnectionRow, type VercelContext } from './connections.ts';

function toProject(project: VercelProjectInfo): VercelProject {
  return {
    id: project.id,
    name: project.name,
    gitProvider: project.link?.type ?? null,
    gitRepo: project.link ? `${project.link.org}/${project.link.repo}` : null,
  };
}

function toLink(row: typeof vercelLinks.$inferSelect): VercelLink {
  return {
    repoId: row.repoId,
    connectionId: row.connectionId,
    projectId: row.projectId,
    projectName: row.projectName,
    gitProvider: row.gitProvider,
    gitRepo: row.gitRepo,
  };
}

/**
 * The Vercel projects a connection reaches (the caller's own unless one is named).
 *
 * @example
 * await listVercelProjects(ctx, { userId, search: 'web' }); // → [{ id: 'prj_…', name: 'web', … }]
 */
export async function listVercelProjects(
  ctx: VercelContext,
  {
    userId,
    connectionId,
    search,
  }: { userId: string; connectionId?: string | undefined; search?: string | undefined },
): Promise<VercelProject[]> {
  const row = await vercelConnectionRow(ctx, userId, connectionId);
  try {
    return (await vercelApiOf(ctx, row).projects(search)).map(toProject);
  } catch (error) {
    throw vercelFailure(error);
  }
}

async function repoOf(ctx: VercelContext, repoId: string) {
  const [repo] = await ctx.db.select().from(repositories).where(eq(repositories.id, repoId));
  if (!repo) {
    throw new AppError(
      'repo_not_found',
      'This repository does not exist, or you are not a member of its workspace.',
    );
  }
  return repo;
}

/** A repository's Vercel link, or null. */
export async function vercelLinkOf(ctx: VercelContext, repoId: string): Promise<VercelLink | null> {
  const [row] = await ctx.db.select().from(vercelLinks).where(eq(vercelLinks.repoId, repoId));
  return row ? toLink(row) : null;
}

/**
 * Links a repository to a Vercel project (replacing its earlier link), after Vercel has shown the
 * connection reaches the project; the actor must be an admin of the repository's workspace, and
 * the connection theirs or that workspace's. Audited `vercel.link`.
 *
 * @example
 * await linkVercelProject(ctx, { actor, repoId, connectionId, projectId: 'prj_…' });
 */
export async function linkVercelProject(
  ctx: VercelContext,
  {
    actor,
    repoId,
    connectionId,
    projectId,
  }: { actor: Principal; repoId: string; connectionId: string; projectId: string },
): Promise<VercelLink> {
  const repo = await repoOf(ctx, repoId);
  await requireRole(ctx.db, repo.workspaceId, actor.userId, 'admin');
  const connection = await vercelConnectionRow(ctx, actor.userId, connectionId);
  if (connection.workspaceId && connection.workspaceId !== repo.workspaceId) {
    throw new AppError(
      'bad_request',
      "That Vercel connection belongs to another workspace: use your own, or the repository's workspace's.",
    );
  }
  let project: VercelProjectInfo;
  try {
    project = await vercelApiOf(ctx, connection).project(projectId);
  } catch (error) {
    throw vercelFailure(error);
  }
  const values = {
    connectionId: connection.id,
    projectId: project.id,
    projectName: project.name,
    gitProvider: project.link?.type ?? null,
    gitRepo: project.link ? `${project.link.org}/${project.link.repo}` : null,
    createdBy: actor.userId,
    updatedAt: new Date(),
  };
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(vercelLinks)
      .values({ repoId, ...values })
      .onConflictDoUpdate({ target: vercelLinks.repoId, set: values })
      .returning();
    if (!row) throw new AppError('internal', 'The Vercel link was not stored.');
    await recordAudit(tx, {
      actor,
      action: 'vercel.link',
      targetType: 'repo',
      targetId: repoId,
      workspaceId: repo.workspaceId,
      metadata: { project: project.name, projectId: project.id },
    });
    return toLink(row);
  });
}

/** Removes a repository's Vercel link (its admins); its deployments stay on its tasks. */
export async function unlinkVercelProject(
  ctx: VercelContext,
  { actor, repoId }: { actor: Principal; repoId: string },
): Promise<void> {
  const repo = await repoOf(ctx, repoId);
  await requireRole(ctx.db, repo.workspaceId, actor.userId, 'admin');
  await ctx.db.transaction(async (tx) => {
    const removed = await tx
      .delete(vercelLinks)
      .where(eq(vercelLinks.repoId, repoId))
      .returning({ projectName: vercelLinks.projectName });
    if (removed.length === 0) return;
    await recordAudit(tx, {
      actor,
      action: 'vercel.unlink',
      targetType: 'repo',
      targetId: repoId,
      workspaceId: repo.workspaceId,
      metadata: { project: removed[0]?.projectName },
    });
  });
}
