/**
 * @module auth/instance-admin
 * The instance admin: the user who manages the server itself (the first to sign up).
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { users } from '../db/schema.ts';
import { AppError } from '../errors.ts';

/** True when the user manages the instance. */
export async function isInstanceAdmin(db: Db, userId: string): Promise<boolean> {
  const [row] = await db.select({ role: users.role }).from(users).where(eq(users.id, userId));
  return row?.role === 'admin';
}

/**
 * Throws `forbidden` unless the user is an instance admin; `doing` names what they tried.
 *
 * @example
 * await requireInstanceAdmin(db, actor.userId, 'make invitations');
 */
export async function requireInstanceAdmin(db: Db, userId: string, doing: string): Promise<void> {
  if (!(await isInstanceAdmin(db, userId))) {
    throw new AppError('forbidden', `Only an instance admin can ${doing}.`);
  }
}
