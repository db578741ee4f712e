/**
 * @module teams/workspaces
 * Team workspaces: make one (its maker is its owner), read, rename and delete it. A personal
 * workspace is never deleted and no one is moved out of theirs.
 */
import { eq } from 'drizzle-orm';
import type { PlanMode, Workspace, WorkspaceRole } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { repositories, workspaces } from '../db/schema.ts';
import { bareRepoPath, removeBareRepo } from '../git/bare-repo.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../principal.ts';
import { addMember, requireRole } from '../workspaces/workspaces.ts';

async function loadWorkspace(db: Db, workspaceId: string) {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, workspaceId));
  if (!row) {
    throw new AppError(
      'not_found',
      'This workspace does not exist, or you are not a member of it.',
    );
  }
  return row;
}

/**
 * Makes a team workspace owned by the caller.
 *
 * @example
 * const team = await createWorkspace(db, { actor, name: 'Platform' });
 */
export async function createWorkspace(
  db: Db,
  { actor, name }: { actor: Principal; name: string },
): Promise<Workspace> {
  const id = newId('ws');
  const slug = id.replace('_', '-');
  await db.transaction(async (tx) => {
    await tx.insert(workspaces).values({ id, name, slug, personal: false });
    await addMember(tx, { workspaceId: id, userId: actor.userId, role: 'owner' });
    await recordAudit(tx, {
      actor,
      action: 'workspace.create',
      targetType: 'workspace',
      targetId: id,
      workspaceId: id,
      metadata: { name },
    });
  });
  return { id, name, slug, personal: false, role: 'owner', planMode: 'off' };
}

/** One workspace the caller is a member of, with their role. */
export async function getWorkspace(
  db: Db,
  { actor, workspaceId }: { actor: Principal; workspaceId: string },
): Promise<Workspace> {
  const role = await requireRole(db, workspaceId, actor.userId, 'viewer');
  const row = await loadWorkspace(db, workspaceId);
  return workspaceView(row, role);
}

function workspaceView(row: typeof workspaces.$inferSelect, role: WorkspaceRole): Workspace {
  const { id, name, slug, personal, planMode } = row;
  return { id, name, slug, personal, role, planMode };
}

/**
 * Renames a workspace, or sets the plan mode its new tasks take when they name none (admins).
 * Each change is audited (`workspace.rename`, `workspace.plan_mode`).
 */
export async function updateWorkspace(
  db: Db,
  {
    actor,
    workspaceId,
    name,
    planMode,
  }: { actor: Principal; workspaceId: string; name?: string; planMode?: PlanMode },
): Promise<Workspace> {
  const role = await requireRole(db, workspaceId, actor.userId, 'admin');
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(workspaces)
      .set({
        ...(name !== undefined ? { name } : {}),
        ...(planMode !== undefined ? { planMode } : {}),
        updatedAt: new Date(),
      })
      .where(eq(workspaces.id, workspaceId))
      .returning();
    if (!row) throw new AppError('not_found', 'This workspace does not exist.');
    const audit = { actor, targetType: 'workspace', targetId: workspaceId, workspaceId } as const;
    if (name !== undefined) {
      await recordAudit(tx, { ...audit, action: 'workspace.rename', metadata: { name } });
    }
    if (planMode !== undefined) {
      await recordAudit(tx, { ...audit, action: 'workspace.plan_mode', metadata: { planMode } });
    }
    return workspaceView(row, role);
  });
}

/**
 * Deletes a team workspace with its repositories (their storage too) and tasks (owners). A
 * personal workspace cannot be deleted.
 */
export async function deleteWorkspace(
  db: Db,
  { actor, workspaceId, gitRoot }: { actor: Principal; workspaceId: string; gitRoot: string },
): Promise<void> {
  await requireRole(db, workspaceId, actor.userId, 'owner');
  const row = await loadWorkspace(db, workspaceId);
  if (row.personal) {
    throw new AppError(
      'conflict',
      'A personal workspace cannot be deleted; only team workspaces can.',
    );
  }
  const repoIds = await db.transaction(async (tx) => {
    const repos = await tx
      .select({ id: repositories.id })
      .from(repositories)
      .where(eq(repositories.workspaceId, workspaceId));
    await tx.delete(workspaces).where(eq(workspaces.id, workspaceId));
    await recordAudit(tx, {
      actor,
      action: 'workspace.delete',
      targetType: 'workspace',
      targetId: workspaceId,
      workspaceId,
      metadata: { name: row.name, repos: repos.length },
    });
    return repos.map((r) => r.id);
  });
  for (const repoId of repoIds) await removeBareRepo(bareRepoPath(gitRoot, repoId));
}
