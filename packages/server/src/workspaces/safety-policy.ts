/**
 * @module workspaces/safety-policy
 * A workspace's safety policy: the paths the agent's work may not touch, the most files one change
 * may touch, and the shell commands the built-in agent refuses. Its members read it; an owner or
 * an admin sets it. The checks before a push (safety/) and the claim of a run (the refused
 * commands go to the agent) read it with {@link safetyPolicyOf}.
 */
import { eq } from 'drizzle-orm';
import type { SafetyPolicy, SafetyPolicyView } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { workspaceSafetyPolicies } from '../db/schema.ts';
import { hasRole, requireRole } from './workspaces.ts';

/** No policy: nothing protected, no limit, no command refused. */
export const NO_SAFETY_POLICY: SafetyPolicy = {
  protectedPaths: [],
  maxFilesChanged: null,
  refusedCommands: [],
};

/**
 * The policy that applies to a workspace's work ({@link NO_SAFETY_POLICY} when none was set).
 *
 * @example
 * const { refusedCommands } = await safetyPolicyOf(db, task.workspaceId);
 */
export async function safetyPolicyOf(db: Db, workspaceId: string): Promise<SafetyPolicy> {
  const [row] = await db
    .select()
    .from(workspaceSafetyPolicies)
    .where(eq(workspaceSafetyPolicies.workspaceId, workspaceId));
  if (!row) return NO_SAFETY_POLICY;
  return {
    protectedPaths: row.protectedPaths,
    maxFilesChanged: row.maxFilesChanged,
    refusedCommands: row.refusedCommands,
  };
}

/**
 * The workspace's policy for a member, and whether they may change it (owner, admin).
 *
 * @example
 * await getSafetyPolicy(db, { userId, workspaceId }); // → { protectedPaths: [], …, canEdit: false }
 */
export async function getSafetyPolicy(
  db: Db,
  { userId, workspaceId }: { userId: string; workspaceId: string },
): Promise<SafetyPolicyView> {
  const role = await requireRole(db, workspaceId, userId, 'viewer');
  return { ...(await safetyPolicyOf(db, workspaceId)), canEdit: hasRole(role, 'admin') };
}

/**
 * Sets the workspace's policy as a whole (owner or admin). `audit` writes the change's audit entry
 * in the same transaction (the caller brings it: the audit log sits below in the layer order).
 *
 * @example
 * await putSafetyPolicy(db, { userId, workspaceId, policy, audit });
 */
export async function putSafetyPolicy(
  db: Db,
  {
    userId,
    workspaceId,
    policy,
    audit,
  }: {
    userId: string;
    workspaceId: string;
    policy: SafetyPolicy;
    audit: (tx: Db, policy: SafetyPolicy) => Promise<void>;
  },
): Promise<SafetyPolicyView> {
  await requireRole(db, workspaceId, userId, 'admin');
  const set = {
    protectedPaths: [...new Set(policy.protectedPaths)],
    maxFilesChanged: policy.maxFilesChanged,
    refusedCommands: [...new Set(policy.refusedCommands)],
  };
  await db.transaction(async (tx) => {
    await tx
      .insert(workspaceSafetyPolicies)
      .values({ workspaceId, ...set })
      .onConflictDoUpdate({
        target: workspaceSafetyPolicies.workspaceId,
        set: { ...set, updatedAt: new Date() },
      });
    await audit(tx, set);
  });
  return getSafetyPolicy(db, { userId, workspaceId });
}
