/**
 * @module workspaces/workspaces
 * Workspaces and membership. Every user gets a personal workspace at sign-up; roles decide what a
 * member may do: viewer reads, member writes, admin and owner also manage.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { Workspace, WorkspaceRole } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { evals, repositories, runs, tasks, workspaceMembers, workspaces } from '../db/schema.ts';
import { recordAudit } from '../audit/audit.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';

const RANK: Record<WorkspaceRole, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** Creates the personal workspace of a new user, owned by them. */
export async function createPersonalWorkspace(
  db: Db,
  user: { id: string; name: string },
): Promise<string> {
  const id = newId('ws');
  await db.insert(workspaces).values({
    id,
    name: user.name.trim() || 'Personal',
    slug: id.replace('_', '-'),
    personal: true,
  });
  await db.insert(workspaceMembers).values({ workspaceId: id, userId: user.id, role: 'owner' });
  return id;
}

/** The workspaces the user is a member of, with their role in each: the personal one first. */
export async function listWorkspaces(db: Db, userId: string): Promise<Workspace[]> {
  const rows = await db
    .select({
      id: workspaces.id,
      name: workspaces.name,
      slug: workspaces.slug,
      personal: workspaces.personal,
      role: workspaceMembers.role,
      planMode: workspaces.planMode,
    })
    .from(workspaceMembers)
    .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
    .where(eq(workspaceMembers.userId, userId))
    .orderBy(desc(workspaces.personal), workspaces.createdAt);
  return rows;
}

export async function personalWorkspaceId(db: Db, userId: string): Promise<string> {
  const [row] = await db
    .select({ id: workspaces.id })
    .from(workspaceMembers)
    .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
    .where(and(eq(workspaceMembers.userId, userId), eq(workspaces.personal, true)))
    .limit(1);
  if (!row) throw new AppError('internal', 'This account has no personal workspace.');
  return row.id;
}

/** The user's role in a workspace, or null when they are not a member. */
export async function roleIn(
  db: Db,
  workspaceId: string,
  userId: string,
): Promise<WorkspaceRole | null> {
  const [row] = await db
    .select({ role: workspaceMembers.role })
    .from(workspaceMembers)
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)));
  return row?.role ?? null;
}

/**
 * Adds a member with `role`; someone already a member keeps the higher of the two roles.
 * Pass the transaction of the change that admits them.
 */
export async function addMember(
  db: Db,
  { workspaceId, userId, role }: { workspaceId: string; userId: string; role: WorkspaceRole },
): Promise<void> {
  const current = await roleIn(db, workspaceId, userId);
  if (current === null) {
    await db.insert(workspaceMembers).values({ workspaceId, userId, role });
  } else if (RANK[role] > RANK[current]) {
    await db
      .update(workspaceMembers)
      .set({ role })
      .where(
        and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)),
      );
  }
}

/** True when `role` is at least `needed`. */
export function hasRole(role: WorkspaceRole | null, needed: WorkspaceRole): boolean {
  return role !== null && RANK[role] >= RANK[needed];
}

/**
 * Checks that the user may act in the workspace with at least `needed`. A non-member is told the
 * workspace does not exist; a member without the role is told what they lack (audited, through
 * `refusal`). Answers the role.
 *
 * @example
 * const role = await requireRole(db, workspaceId, actor.userId, 'admin');
 */
export async function requireRole(
  db: Db,
  workspaceId: string,
  userId: string,
  needed: WorkspaceRole,
): Promise<WorkspaceRole> {
  const role = await roleIn(db, workspaceId, userId);
  if (role === null)
    throw new AppError(
      'not_found',
      'This workspace does not exist, or you are not a member of it.',
    );
  if (!hasRole(role, needed)) {
    throw await refusal(db, {
      workspaceId,
      userId,
      needed,
      role,
      message: `This needs the ${needed} role in the workspace; you are ${role}.`,
    });
  }
  return role;
}

/** The kinds of object whose workspace decides who may act on them. */
export type WorkspaceObject = 'workspace' | 'repo' | 'task' | 'run' | 'eval';

/** What a caller outside an object's workspace is told: that it does not exist. */
const NOT_FOUND: Record<WorkspaceObject, () => AppError> = {
  workspace: () =>
    new AppError('not_found', 'This workspace does not exist, or you are not a member of it.'),
  repo: () =>
    new AppError(
      'repo_not_found',
      'This repository does not exist, or you are not a member of its workspace.',
    ),
  task: () =>
    new AppError(
      'task_not_found',
      'This task does not exist, or you are not a member of its workspace.',
    ),
  run: () => new AppError('run_not_found', 'This run does not exist.'),
  eval: () =>
    new AppError(
      'eval_not_found',
      'This eval does not exist, or you are not a member of its workspace.',
    ),
};

/** The workspace an object belongs to, or null when there is no such object. */
async function workspaceOf(db: Db, kind: WorkspaceObject, id: string): Promise<string | null> {
  const [row] =
    kind === 'workspace'
      ? await db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, id))
      : kind === 'repo'
        ? await db
            .select({ id: repositories.workspaceId })
            .from(repositories)
            .where(eq(repositories.id, id))
        : kind === 'task'
          ? await db.select({ id: tasks.workspaceId }).from(tasks).where(eq(tasks.id, id))
          : kind === 'eval'
            ? await db.select({ id: evals.workspaceId }).from(evals).where(eq(evals.id, id))
            : await db
                .select({ id: tasks.workspaceId })
                .from(runs)
                .innerJoin(tasks, eq(tasks.id, runs.taskId))
                .where(eq(runs.id, id));
  return row?.id ?? null;
}

/**
 * `requireRole` on the workspace an object belongs to: a caller outside it is told the object
 * does not exist (`task_not_found`, `repo_not_found`…), a member without the role is refused with
 * the object named in the audit entry. Answers the role.
 *
 * @example
 * await requireRoleOn(db, { kind: 'task', id: taskId }, actor.userId, 'member');
 */
export async function requireRoleOn(
  db: Db,
  object: { kind: WorkspaceObject; id: string },
  userId: string,
  needed: WorkspaceRole,
): Promise<WorkspaceRole> {
  const workspaceId = await workspaceOf(db, object.kind, object.id);
  const role = workspaceId === null ? null : await roleIn(db, workspaceId, userId);
  if (workspaceId === null || role === null) throw NOT_FOUND[object.kind]();
  if (!hasRole(role, needed)) {
    throw await refusal(db, {
      workspaceId,
      userId,
      needed,
      role,
      message: `This needs the ${needed} role in the workspace; you are ${role}.`,
      ...(object.kind !== 'workspace' && { target: { type: object.kind, id: object.id } }),
    });
  }
  return role;
}

/**
 * The 403 for a member who lacks the role an action needs, recorded in the audit trail
 * (`access.denied`, naming the role needed and theirs). Every role check refuses through it.
 *
 * @example
 * if (!hasRole(role, 'member')) throw await refusal(db, { workspaceId, userId, needed: 'member', role, message });
 */
export async function refusal(
  db: Db,
  options: {
    workspaceId: string;
    userId: string;
    needed: WorkspaceRole;
    role: WorkspaceRole;
    message: string;
    target?: { type: string; id: string };
  },
): Promise<AppError> {
  await recordAudit(db, {
    actor: { userId: options.userId, ip: null },
    action: 'access.denied',
    targetType: options.target?.type ?? 'workspace',
    targetId: options.target?.id ?? options.workspaceId,
    workspaceId: options.workspaceId,
    metadata: { needed: options.needed, role: options.role },
  });
  return new AppError('forbidden', options.message);
}
