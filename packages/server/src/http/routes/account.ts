/**
 * @module http/routes/account
 * The signed-in user with their workspaces, and the audit trail they may read.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { eq } from 'drizzle-orm';
import { AuditList, AuditQuery, Me } from '@lucid/contracts';
import { users } from '../../db/schema.ts';
import { listAudit } from '../../audit/audit.ts';
import { listWorkspaces, requireRole } from '../../workspaces/workspaces.ts';
import { AppError } from '../../errors.ts';
import { principalOf } from '../authenticate.ts';
import type { AppDeps } from '../context.ts';

export const accountRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.database;

    app.get(
      '/me',
      {
        schema: {
          tags: ['account'],
          summary: 'The caller and their workspaces',
          response: { 200: Me },
        },
      },
      async (request) => {
        const { userId } = principalOf(request);
        const [user] = await db
          .select({
            id: users.id,
            name: users.name,
            email: users.email,
            image: users.image,
            role: users.role,
          })
          .from(users)
          .where(eq(users.id, userId));
        if (!user) throw new AppError('unauthorized', 'This account no longer exists.');
        const { role, ...profile } = user;
        return {
          user: profile,
          workspaces: await listWorkspaces(db, userId),
          instanceAdmin: role === 'admin',
        };
      },
    );

    app.get(
      '/audit',
      {
        schema: {
          tags: ['account'],
          summary:
            'Audit entries, newest first: one workspace’s (owners and admins), or your actions and those in workspaces you administer',
          querystring: AuditQuery,
          response: { 200: AuditList },
        },
      },
      async (request) => {
        const { userId } = principalOf(request);
        const { workspaceId } = request.query;
        if (workspaceId) await requireRole(db, workspaceId, userId, 'admin');
        return listAudit(db, { ...request.query, userId });
      },
    );
  };
