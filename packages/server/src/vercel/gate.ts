/**
 * @module vercel/gate
 * The human gate to production. A ready preview of a task goes to production only when an owner
 * or admin of the task's workspace promotes it; a member may ask for it (the task shows who asked).
 * Rolling back points production at the deployment that served it before, by Vercel's rollback,
 * under the same gate. The approval (a production row naming who approved it, and the audit
 * entry) is committed before Vercel is asked: no production deployment happens without one. A
 * failed build of a preview can be deployed again.
 */
import { and, desc, eq, inArray, lt, ne } from 'drizzle-orm';
import type { Deployment, DeploymentList, EventBody } from '@lucid/contracts';
import { recordAudit } from '../audit/audit.ts';
import type { Db } from '../db/client.ts';
import { tasks, users, vercelDeployments, vercelLinks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Principal } from '../principal.ts';
import { appendEvents } from '../tasks/events.ts';
import { requireRole } from '../workspaces/workspaces.ts';
import { vercelFailure } from './client.ts';
import { vercelApiOf, type VercelContext } from './connections.ts';
import { vercelConnections } from '../db/schema.ts';
import { deploymentRows, enqueuePreview, stateEvent, type DeploymentRow } from './preview.ts';

async function taskOf(db: Db, taskId: string) {
  const [task] = await db.select().from(tasks).where(eq(tasks.id, taskId));
  if (!task) {
    throw new AppError(
      'task_not_found',
      'This task does not exist, or you are not a member of its workspace.',
    );
  }
  return task;
}

async function deploymentOf(db: Db, taskId: string, deploymentId: string): Promise<DeploymentRow> {
  const [row] = await db
    .select()
    .from(vercelDeployments)
    .where(and(eq(vercelDeployments.id, deploymentId), eq(vercelDeployments.taskId, taskId)));
  if (!row) {
    throw new AppError('deployment_not_found', 'This task has no such deployment.');
  }
  return row;
}

/** The production deployment serving the project now: the latest promotion or rollback that succeeded. */
async function currentProduction(db: Db, projectId: string): Promise<DeploymentRow | null> {
  const [row] = await db
    .select()
    .from(vercelDeployments)
    .where(
      and(
        eq(vercelDeployments.projectId, projectId),
        eq(vercelDeployments.target, 'production'),
        eq(vercelDeployments.state, 'READY'),
      ),
    )
    .orderBy(desc(vercelDeployments.createdAt))
    .limit(1);
  return row ?? null;
}

async function nameOf(db: Db, userId: string): Promise<string> {
  const [user] = await db.select({ name: users.name }).from(users).where(eq(users.id, userId));
  return user?.name ?? 'Someone';
}

/**
 * A task's deployments, newest first, with who asked for and who approved each, and whether its
 * repository is linked to a Vercel project.
 *
 * @example
 * await listDeployments(db, taskId); // → { deployments: [{ target: 'preview', state: 'READY', url, … }], linked: true }
 */
export async function listDeployments(db: Db, taskId: string): Promise<DeploymentList> {
  const task = await taskOf(db, taskId);
  const rows = await deploymentRows(db, [taskId]);
  const people = [
    ...new Set(rows.flatMap((r) => [r.requestedBy, r.approvedBy]).filter((id) => id !== null)),
  ];
  const names = new Map(
    people.length === 0
      ? []
      : (
          await db
            .select({ id: users.id, name: users.name })
            .from(users)
            .where(inArray(users.id, people))
        ).map((u) => [u.id, u.name]),
  );
  const person = (id: string | null) => (id ? { id, name: names.get(id) ?? 'Someone' } : null);
  const current = new Map<string, string | null>();
  for (const projectId of new Set(rows.map((r) => r.projectId))) {
    current.set(projectId, (await currentProduction(db, projectId))?.id ?? null);
  }
  const [link] = await db
    .select({ repoId: vercelLinks.repoId })
    .from(vercelLinks)
    .where(eq(vercelLinks.repoId, task.repoId));
  return {
    linked: Boolean(link),
    deployments: rows.map((row): Deployment => ({
      id: row.id,
      taskId: row.taskId,
      commitSha: row.commitSha,
      vercelId: row.vercelId,
      url: row.url,
      state: row.state as Deployment['state'],
      errorMessage: row.errorMessage,
      target: row.target,
      action: row.action === 'promote' || row.action === 'rollback' ? row.action : null,
      current: current.get(row.projectId) === row.id,
      requestedBy: person(row.requestedBy),
      requestedAt: row.requestedAt?.toISOString() ?? null,
      approvedBy: person(row.approvedBy),
      approvedAt: row.approvedAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
    })),
  };
}

function readyPreview(row: DeploymentRow): void {
  if (row.target !== 'preview' || row.state !== 'READY' || !row.vercelId) {
    throw new AppError(
      'invalid_transition',
      'Only a ready preview can go to production; this deployment is ' +
        `${row.target === 'production' ? 'already a production deployment' : row.state.toLowerCase()}.`,
    );
  }
}

/**
 * A member asks for a ready preview's promotion: recorded on the deployment (who asked, when), on
 * the task's timeline and in the audit trail (`deployment.promote_request`).
 *
 * @example
 * await requestPromotion(ctx, { actor, taskId, deploymentId });
 */
export async function requestPromotion(
  ctx: VercelContext,
  { actor, taskId, deploymentId }: { actor: Principal; taskId: string; deploymentId: string },
): Promise<void> {
  const task = await taskOf(ctx.db, taskId);
  await requireRole(ctx.db, task.workspaceId, actor.userId, 'member');
  const row = await deploymentOf(ctx.db, taskId, deploymentId);
  readyPreview(row);
  const by = await nameOf(ctx.db, actor.userId);
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(vercelDeployments)
      .set({ requestedBy: actor.userId, requestedAt: new Date(), updatedAt: new Date() })
      .where(eq(vercelDeployments.id, row.id));
    await recordAudit(tx, {
      actor,
      action: 'deployment.promote_request',
      targetType: 'task',
      targetId: taskId,
      workspaceId: task.workspaceId,
      metadata: { deploymentId: row.id, vercelId: row.vercelId, url: row.url },
    });
    await appendEvents(tx, {
      taskId,
      runId: null,
      events: [
        { type: 'deployment.gate', deploymentId: row.id, action: 'requested', by, url: row.url },
      ],
    });
  });
}

/**
 * Points production at `vercelId` through Vercel (promote or rollback) after the approval is
 * committed: a production row naming who approved it and the audit entry, then Vercel is asked;
 * a refusal leaves the row failed with Vercel's words.
 */
async function goToProduction(
  ctx: VercelContext,
  {
    actor,
    task,
    action,
    source,
    vercelId,
    url,
    requestedBy,
  }: {
    actor: Principal;
    task: { id: string; workspaceId: string; repoId: string };
    action: 'promote' | 'rollback';
    source: DeploymentRow;
    vercelId: string;
    url: string | null;
    requestedBy: string | null;
  },
): Promise<DeploymentRow> {
  const [found] = await ctx.db
    .select({ connection: vercelConnections })
    .from(vercelLinks)
    .innerJoin(vercelConnections, eq(vercelConnections.id, vercelLinks.connectionId))
    .where(eq(vercelLinks.repoId, source.repoId));
  if (!found) {
    throw new AppError(
      'integration_not_found',
      'The repository is no longer linked to a Vercel project: an admin can link it again in its settings.',
    );
  }
  const api = vercelApiOf(ctx, found.connection);
  const now = new Date();
  const approved = await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(vercelDeployments)
      .values({
        id: newId('dep'),
        taskId: task.id,
        repoId: source.repoId,
        projectId: source.projectId,
        commitSha: source.commitSha,
        vercelId,
        url,
        state: 'PROMOTING',
        target: 'production',
        action,
        sourceId: source.id,
        requestedBy: requestedBy ?? actor.userId,
        requestedAt: now,
        approvedBy: actor.userId,
        approvedAt: now,
      })
      .returning();
    if (!row) throw new AppError('internal', 'The approval was not stored.');
    await recordAudit(tx, {
      actor,
      action: `deployment.${action}`,
      targetType: 'task',
      targetId: task.id,
      workspaceId: task.workspaceId,
      metadata: {
        deploymentId: row.id,
        vercelId,
        url,
        commit: source.commitSha,
        approvedBy: actor.userId,
        requestedBy: requestedBy ?? actor.userId,
      },
    });
    return row;
  });
  try {
    if (action === 'promote') await api.promote(source.projectId, vercelId);
    else await api.rollback(source.projectId, vercelId);
  } catch (error) {
    const failure = vercelFailure(error);
    const [failed] = await ctx.db
      .update(vercelDeployments)
      .set({ state: 'ERROR', errorMessage: failure.message, updatedAt: new Date() })
      .where(eq(vercelDeployments.id, approved.id))
      .returning();
    if (failed) {
      await appendEvents(ctx.db, { taskId: task.id, runId: null, events: [stateEvent(failed)] });
    }
    throw failure;
  }
  const [done] = await ctx.db
    .update(vercelDeployments)
    .set({ state: 'READY', updatedAt: new Date() })
    .where(eq(vercelDeployments.id, approved.id))
    .returning();
  const by = await nameOf(ctx.db, actor.userId);
  const told: EventBody[] = [
    {
      type: 'deployment.gate',
      deploymentId: approved.id,
      action: action === 'promote' ? 'promoted' : 'rolled_back',
      by,
      url,
    },
  ];
  if (done) told.push(stateEvent(done));
  await appendEvents(ctx.db, { taskId: task.id, runId: null, events: told });
  return done ?? approved;
}

/**
 * An owner or admin promotes a ready preview to production (Vercel's promote, without a rebuild);
 * audited `deployment.promote` with who approved it and who asked.
 *
 * @example
 * await promoteDeployment(ctx, { actor, taskId, deploymentId });
 */
export async function promoteDeployment(
  ctx: VercelContext,
  { actor, taskId, deploymentId }: { actor: Principal; taskId: string; deploymentId: string },
): Promise<void> {
  const task = await taskOf(ctx.db, taskId);
  await requireRole(ctx.db, task.workspaceId, actor.userId, 'admin');
  const row = await deploymentOf(ctx.db, taskId, deploymentId);
  readyPreview(row);
  await goToProduction(ctx, {
    actor,
    task,
    action: 'promote',
    source: row,
    vercelId: row.vercelId ?? '',
    url: row.url,
    requestedBy: row.requestedBy,
  });
  await ctx.db
    .update(vercelDeployments)
    .set({ requestedBy: null, requestedAt: null, updatedAt: new Date() })
    .where(eq(vercelDeployments.id, row.id));
}

/**
 * An owner or admin rolls production back from the task's production deployment serving it now
 * to the one that served it before (Vercel's rollback); audited `deployment.rollback`.
 *
 * @example
 * await rollBackDeployment(ctx, { actor, taskId, deploymentId });
 */
export async function rollBackDeployment(
  ctx: VercelContext,
  { actor, taskId, deploymentId }: { actor: Principal; taskId: string; deploymentId: string },
): Promise<void> {
  const task = await taskOf(ctx.db, taskId);
  await requireRole(ctx.db, task.workspaceId, actor.userId, 'admin');
  const row = await deploymentOf(ctx.db, taskId, deploymentId);
  const current = await currentProduction(ctx.db, row.projectId);
  if (row.target !== 'production' || current?.id !== row.id || !row.vercelId) {
    throw new AppError(
      'invalid_transition',
      'Only the production deployment serving the project now can be rolled back.',
    );
  }
  const [previous] = await ctx.db
    .select()
    .from(vercelDeployments)
    .where(
      and(
        eq(vercelDeployments.projectId, row.projectId),
        eq(vercelDeployments.target, 'production'),
        eq(vercelDeployments.state, 'READY'),
        ne(vercelDeployments.vercelId, row.vercelId),
        lt(vercelDeployments.createdAt, row.createdAt),
      ),
    )
    .orderBy(desc(vercelDeployments.createdAt))
    .limit(1);
  if (!previous?.vercelId) {
    throw new AppError(
      'conflict',
      'No earlier production deployment made through Lucid to roll back to.',
    );
  }
  await goToProduction(ctx, {
    actor,
    task,
    action: 'rollback',
    source: previous,
    vercelId: previous.vercelId,
    url: previous.url,
    requestedBy: null,
  });
}

/**
 * Deploys a preview's commit again (a build that failed): a new preview of the same commit, and
 * its job.
 *
 * @example
 * await redeployPreview(ctx, { actor, taskId, deploymentId });
 */
export async function redeployPreview(
  ctx: VercelContext,
  { actor, taskId, deploymentId }: { actor: Principal; taskId: string; deploymentId: string },
): Promise<Deployment['id']> {
  const row = await deploymentOf(ctx.db, taskId, deploymentId);
  if (row.target !== 'preview' || (row.state !== 'ERROR' && row.state !== 'CANCELED')) {
    throw new AppError(
      'invalid_transition',
      'Only a preview whose build failed or was cancelled is deployed again.',
    );
  }
  const made = await ctx.db.transaction((tx) =>
    enqueuePreview(tx, {
      taskId,
      runId: null,
      sha: row.commitSha,
      requestedBy: actor.userId,
      again: true,
    }),
  );
  if (!made) {
    throw new AppError(
      'integration_not_found',
      'The repository is not linked to a Vercel project: an admin can link it in its settings.',
    );
  }
  return made.id;
}
