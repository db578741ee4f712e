/**
 * @module control/runners
 * The runners Lucid knows: the server's own (one per data dir) and remote ones that joined with a
 * runner token. A runner's status is derived: offline when its heartbeats stopped, busy when it
 * holds runs, idle otherwise. An instance admin sees every runner and run; anyone else sees the
 * servers' own runners, the runners they added, those working on their workspaces' tasks, and
 * only their workspaces' runs. A runner removed, or offline for a day, is gone: the sandboxes it
 * left are removed by the runners that share its sandbox engine.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Runner, RunnerPool } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { auditLog, runners, runs, tasks, users, workspaceMembers } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../principal.ts';

const RUNNER_TOKEN_PREFIX = 'lucid_rnr_';
/** A runner that has not sent a heartbeat for this long is offline. */
const OFFLINE_AFTER_MS = 20_000;

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Runners that can take work now: a heartbeat within the last {@link OFFLINE_AFTER_MS} and at
 * least one slot. Zero means queued runs wait for nobody.
 */
export async function onlineRunnerCount(db: Db): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)`.mapWith(Number) })
    .from(runners)
    .where(
      and(
        sql`${runners.lastHeartbeatAt} > now() - ${OFFLINE_AFTER_MS} * interval '1 millisecond'`,
        sql`${runners.capacity} > 0`,
      ),
    );
  return row?.count ?? 0;
}

/** Records the server's own runner (idempotent: the id is kept in the data dir). */
export async function registerInProcessRunner(
  db: Db,
  { id, name, capacity }: { id: string; name: string; capacity: number },
): Promise<void> {
  await db
    .insert(runners)
    .values({ id, name, kind: 'in_process', capacity, lastHeartbeatAt: new Date() })
    .onConflictDoUpdate({
      target: runners.id,
      set: { name, capacity, lastHeartbeatAt: new Date() },
    });
}

/** Makes a token for a runner on another host; shown once. */
export async function createRunnerToken(
  db: Db,
  { actor, name }: { actor: Principal; name: string },
): Promise<{ id: string; name: string; token: string }> {
  const id = newId('rnr');
  const token = RUNNER_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  await db
    .insert(runners)
    .values({ id, name, kind: 'remote', tokenHash: hash(token), createdBy: actor.userId });
  await recordAudit(db, {
    actor,
    action: 'runner.create',
    targetType: 'runner',
    targetId: id,
    metadata: { name },
  });
  return { id, name, token };
}

export interface RemoteRunnerIdentity {
  runnerId: string;
  /** Runs it may claim: every workspace's (null) when its owner is an admin, else its owner's. */
  onlyWorkspacesOf: string | null;
}

export async function verifyRunnerToken(
  db: Db,
  token: string,
): Promise<RemoteRunnerIdentity | null> {
  if (!token.startsWith(RUNNER_TOKEN_PREFIX)) return null;
  const [row] = await db
    .select({ id: runners.id, createdBy: runners.createdBy, role: users.role })
    .from(runners)
    .leftJoin(users, eq(users.id, runners.createdBy))
    .where(eq(runners.tokenHash, hash(token)));
  if (!row || !row.createdBy || !row.role) return null;
  return { runnerId: row.id, onlyWorkspacesOf: row.role === 'admin' ? null : row.createdBy };
}

/** Who looks at the runners: an instance admin sees all of them. */
export interface RunnerViewer {
  userId: string;
  admin: boolean;
}

/** The tasks of the workspaces the user belongs to. */
function tasksOfMember(db: Db, userId: string) {
  return db
    .select({ id: tasks.id })
    .from(tasks)
    .innerJoin(workspaceMembers, eq(workspaceMembers.workspaceId, tasks.workspaceId))
    .where(eq(workspaceMembers.userId, userId));
}

/**
 * The runners the viewer may see, each with the running runs the viewer may see (its status
 * counts them all).
 *
 * @example
 * const list = await listRunners(db, { userId, admin: await isInstanceAdmin(db, userId) });
 */
export async function listRunners(db: Db, viewer: RunnerViewer): Promise<Runner[]> {
  const rows = await db.select().from(runners).orderBy(runners.createdAt);
  const active = await db
    .select({ id: runs.id, runnerId: runs.runnerId })
    .from(runs)
    .where(eq(runs.status, 'running'));
  const visible = viewer.admin
    ? null
    : new Set(
        (
          await db
            .select({ id: runs.id })
            .from(runs)
            .where(
              and(
                eq(runs.status, 'running'),
                inArray(runs.taskId, tasksOfMember(db, viewer.userId)),
              ),
            )
        ).map((run) => run.id),
      );
  const now = Date.now();
  return rows.flatMap((row) => {
    const held = active.filter((r) => r.runnerId === row.id).map((r) => r.id);
    const current = visible ? held.filter((id) => visible.has(id)) : held;
    const shown =
      viewer.admin ||
      row.kind === 'in_process' ||
      row.createdBy === viewer.userId ||
      current.length > 0;
    if (!shown) return [];
    const alive =
      row.lastHeartbeatAt !== null && now - row.lastHeartbeatAt.getTime() < OFFLINE_AFTER_MS;
    return [
      {
        id: row.id,
        name: row.name,
        kind: row.kind,
        status: !alive ? 'offline' : held.length > 0 ? 'busy' : 'idle',
        capacity: row.capacity,
        currentRuns: current,
        lastHeartbeatAt: row.lastHeartbeatAt?.toISOString() ?? null,
      },
    ];
  });
}

/**
 * The runners taken together, as the viewer sees them: slots of the online runners listed, runs
 * running (those listed) and waiting (the viewer's workspaces' only, unless an instance admin),
 * and the warm sandboxes of this server's own runner (`warmSandboxes`, which only it knows).
 *
 * @example
 * const runners = await listRunners(db, viewer);
 * const pool = await runnerPool(db, { runners, warmSandboxes: 2, viewer });
 */
export async function runnerPool(
  db: Db,
  {
    runners: list,
    warmSandboxes,
    viewer,
  }: { runners: Runner[]; warmSandboxes: number; viewer: RunnerViewer },
): Promise<RunnerPool> {
  const [queued] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(runs)
    .where(
      and(
        eq(runs.status, 'queued'),
        viewer.admin ? undefined : inArray(runs.taskId, tasksOfMember(db, viewer.userId)),
      ),
    );
  const online = list.filter((runner) => runner.status !== 'offline');
  return {
    slots: online.reduce((sum, runner) => sum + runner.capacity, 0),
    busy: list.reduce((sum, runner) => sum + runner.currentRuns.length, 0),
    queuedRuns: queued?.count ?? 0,
    warmSandboxes,
  };
}

/** Removes a remote runner; its token stops working at once. */
export async function deleteRunner(
  db: Db,
  { actor, runnerId }: { actor: Principal; runnerId: string },
): Promise<void> {
  const deleted = await db
    .delete(runners)
    .where(and(eq(runners.id, runnerId), inArray(runners.kind, ['remote'])))
    .returning({ id: runners.id });
  if (deleted.length === 0)
    throw new AppError(
      'runner_not_found',
      'This runner does not exist: it may have been removed already.',
    );
  await recordAudit(db, {
    actor,
    action: 'runner.delete',
    targetType: 'runner',
    targetId: runnerId,
  });
}

/** A runner offline (or removed) this long is gone: the sandboxes it left may be removed. */
export const GONE_AFTER_MS = 24 * 60 * 60_000;

/**
 * Which of the runners are gone: removed (known by the audit of its removal) or silent, for
 * `GONE_AFTER_MS` at least, and holding no running run. A runner id this server never knew is
 * never gone (another Lucid's runner may share the sandbox engine). `askedBy`, the owner of a
 * runner that is no instance admin's, learns only of the runners they added themselves.
 *
 * @example
 * const gone = await goneRunners(db, { runnerIds: ['rnr_…'], askedBy: null });
 */
export async function goneRunners(
  db: Db,
  { runnerIds, askedBy }: { runnerIds: string[]; askedBy: string | null },
): Promise<string[]> {
  if (runnerIds.length === 0) return [];
  const cutoff = Date.now() - Math.max(GONE_AFTER_MS, OFFLINE_AFTER_MS);
  const busy = new Set(
    (
      await db
        .selectDistinct({ runnerId: runs.runnerId })
        .from(runs)
        .where(and(eq(runs.status, 'running'), inArray(runs.runnerId, runnerIds)))
    ).map((run) => run.runnerId),
  );
  const rows = await db
    .select({
      id: runners.id,
      createdBy: runners.createdBy,
      lastHeartbeatAt: runners.lastHeartbeatAt,
      createdAt: runners.createdAt,
    })
    .from(runners)
    .where(inArray(runners.id, runnerIds));
  const gone = rows
    .filter(
      (row) =>
        (row.lastHeartbeatAt ?? row.createdAt).getTime() < cutoff &&
        (!askedBy || row.createdBy === askedBy),
    )
    .map((row) => row.id);
  const removed = runnerIds.filter((id) => !rows.some((row) => row.id === id));
  if (removed.length > 0) {
    const audited = await db
      .select({
        id: auditLog.targetId,
        action: auditLog.action,
        by: auditLog.actorUserId,
        at: auditLog.at,
      })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.targetType, 'runner'),
          inArray(auditLog.action, ['runner.create', 'runner.delete']),
          inArray(auditLog.targetId, removed),
        ),
      );
    for (const id of removed) {
      const deletion = audited.find((entry) => entry.id === id && entry.action === 'runner.delete');
      const creation = audited.find((entry) => entry.id === id && entry.action === 'runner.create');
      if (deletion && deletion.at.getTime() < cutoff && (!askedBy || creation?.by === askedBy)) {
        gone.push(id);
      }
    }
  }
  return gone.filter((id) => !busy.has(id));
}
