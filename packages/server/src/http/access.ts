/**
 * @module http/access
 * Who may call each route: one table, one row per `METHOD /path` of the API reference (and the
 * git server's two services), read by the one hook that checks workspace roles before a route
 * runs. `test/permission-matrix.test.ts` holds every route of the reference to its row, for each
 * role and for a non-member, so a route without a row fails it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WorkspaceRole } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { requireRoleOn, type WorkspaceObject } from '../workspaces/workspaces.ts';
import { principalOf } from './authenticate.ts';

/** Where a route names the object whose workspace decides: a path parameter, a query or body field. */
export type ObjectField = `${'params' | 'query' | 'body'}.${string}`;

/** A role needed in the workspace of the object a request names. */
export interface RoleRule {
  role: WorkspaceRole;
  of: WorkspaceObject;
  /** Where the object's id is (`params.id` unless said); absent from the request, the domain's default applies. */
  from: ObjectField;
  /** Where a user id is that, when it is the caller's own, lets any member act (leaving a workspace). */
  self?: ObjectField;
}

/**
 * - `public`: no caller needed (or the route authenticates its own way: a webhook's signature);
 * - `signed-in`: any account, acting on its own things (lists show what the caller may see);
 * - `instance-admin`: the instance's admins (`auth/instance-admin`);
 * - `runner`: a runner token (the runner API);
 * - `metrics-token`: the operators' bearer token `LUCID_METRICS_TOKEN`, no account's;
 * - a role in the workspace of the object named.
 */
export type AccessRule =
  'public' | 'signed-in' | 'instance-admin' | 'runner' | 'metrics-token' | RoleRule;

const rule =
  (role: WorkspaceRole) =>
  (of: WorkspaceObject, from: ObjectField = 'params.id'): RoleRule => ({ role, of, from });
const viewer = rule('viewer');
const member = rule('member');
const admin = rule('admin');
const owner = rule('owner');

/**
 * Every route of the API reference and the rule it answers by. Viewers read the list of tasks,
 * their status and their repositories' boards; members read code, events, diffs and files, and
 * create and run tasks; admins manage members, settings and repositories; owners the workspace.
 */
export const ROUTE_ACCESS: Record<string, AccessRule> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'metrics-token',
  'GET /cli.tgz': 'public',
  'GET /api/v1/auth/providers': 'public',
  'POST /api/webhooks/github/{repoId}': 'public',
  'POST /api/webhooks/github': 'public',
  'POST /api/webhooks/gitlab/{repoId}': 'public',
  'POST /api/webhooks/gitlab': 'public',

  'GET /api/v1/me': 'signed-in',
  'GET /api/v1/audit': admin('workspace', 'query.workspaceId'),
  'POST /api/v1/tokens': 'signed-in',
  'GET /api/v1/tokens': 'signed-in',
  'DELETE /api/v1/tokens/{id}': 'signed-in',

  'GET /api/v1/repos': 'signed-in',
  'POST /api/v1/repos': member('workspace', 'body.workspaceId'),
  'POST /api/v1/repos/ingest': member('workspace', 'body.workspaceId'),
  'GET /api/v1/repos/{id}': viewer('repo'),
  'PATCH /api/v1/repos/{id}': admin('repo'),
  'DELETE /api/v1/repos/{id}': admin('repo'),
  'POST /api/v1/repos/{id}/move': admin('repo'),
  'GET /api/v1/repos/{id}/clone-url': member('repo'),
  'POST /api/v1/repos/{id}/webhook': admin('repo'),
  'GET /api/v1/repos/{id}/branches': member('repo'),
  'GET /api/v1/repos/{id}/commits': member('repo'),
  'POST /api/v1/repos/{id}/land': member('repo'),
  'GET /api/v1/repos/{id}/board': viewer('repo'),
  'GET /api/v1/repos/{id}/board/stream': viewer('repo'),

  'POST /api/v1/tasks': member('repo', 'body.repoId'),
  'GET /api/v1/tasks': 'signed-in',
  'GET /api/v1/tasks/{id}': viewer('task'),
  'PATCH /api/v1/tasks/{id}': member('task'),
  'DELETE /api/v1/tasks/{id}': member('task'),
  'POST /api/v1/tasks/{id}/stop': member('task'),
  'POST /api/v1/tasks/{id}/messages': member('task'),
  'GET /api/v1/tasks/{id}/files': member('task'),
  'GET /api/v1/tasks/{id}/files/content': member('task'),
  'GET /api/v1/tasks/{id}/diff': member('task'),
  'GET /api/v1/tasks/{id}/patch': member('task'),
  'GET /api/v1/tasks/{id}/runs': member('task'),
  'POST /api/v1/tasks/{id}/runs': member('task'),
  'GET /api/v1/tasks/{id}/events': member('task'),
  'GET /api/v1/tasks/{id}/timeline': member('task'),
  'GET /api/v1/tasks/{id}/stream': member('task'),
  'POST /api/v1/tasks/{id}/start': member('task'),
  'POST /api/v1/tasks/{id}/approve': member('task'),
  'POST /api/v1/tasks/{id}/reject': member('task'),
  'POST /api/v1/tasks/{id}/plan/approve': member('task'),
  'POST /api/v1/tasks/{id}/plan/reject': member('task'),
  'POST /api/v1/tasks/{id}/retry': member('task'),
  'POST /api/v1/tasks/{id}/cancel': member('task'),
  'POST /api/v1/tasks/{id}/safety/allow': member('task'),
  'GET /api/v1/tasks/{id}/attempts': member('task'),
  'GET /api/v1/tasks/{id}/attempts/diff': member('task'),
  'POST /api/v1/tasks/{id}/attempts/{attemptId}/keep': member('task'),
  'POST /api/v1/runs/{id}/cancel': member('run'),
  'GET /api/v1/runs/{id}/export': member('run'),
  'POST /api/v1/evals': member('workspace', 'body.workspaceId'),
  'GET /api/v1/evals': 'signed-in',
  'GET /api/v1/evals/{id}': member('eval'),
  'POST /api/v1/evals/{id}/cancel': member('eval'),

  'GET /api/v1/models': viewer('workspace', 'query.workspaceId'),
  'GET /api/v1/agents': 'signed-in',
  'GET /api/v1/settings/provider-keys': 'signed-in',
  'GET /api/v1/settings/providers': 'signed-in',
  'PUT /api/v1/settings/provider-keys/{provider}': 'signed-in',
  'DELETE /api/v1/settings/provider-keys/{provider}': 'signed-in',

  'GET /api/v1/runners': 'signed-in',
  'POST /api/v1/runners/scale': 'instance-admin',
  'POST /api/v1/runners/tokens': 'signed-in',
  'DELETE /api/v1/runners/{id}': 'instance-admin',
  'POST /api/v1/runner/heartbeat': 'runner',
  'POST /api/v1/runner/sandboxes/tasks': 'runner',
  'POST /api/v1/runner/runners/gone': 'runner',
  'POST /api/v1/runner/tasks/{id}/snapshot-grant': 'runner',
  'POST /api/v1/runner/tasks/{id}/snapshot': 'runner',
  'POST /api/v1/runner/claim': 'runner',
  'POST /api/v1/runner/runs/{id}/lease': 'runner',
  'POST /api/v1/runner/runs/{id}/events': 'runner',
  'POST /api/v1/runner/runs/{id}/inbox': 'runner',
  'POST /api/v1/runner/runs/{id}/draft': 'runner',
  'POST /api/v1/runner/runs/{id}/memory': 'runner',
  'POST /api/v1/runner/runs/{id}/sandbox': 'runner',
  'POST /api/v1/runner/runs/{id}/finish': 'runner',
  'POST /api/v1/runner/runs/{id}/hand-back': 'runner',

  'POST /api/v1/invitations': 'instance-admin',
  'GET /api/v1/invitations': 'instance-admin',
  'DELETE /api/v1/invitations/{id}': 'instance-admin',
  'GET /api/v1/usage': member('workspace', 'query.workspaceId'),

  'GET /api/v1/workspaces': 'signed-in',
  'POST /api/v1/workspaces': 'signed-in',
  'GET /api/v1/workspaces/{id}': viewer('workspace'),
  'PATCH /api/v1/workspaces/{id}': admin('workspace'),
  'DELETE /api/v1/workspaces/{id}': owner('workspace'),
  'GET /api/v1/workspaces/{id}/quotas': viewer('workspace'),
  'PATCH /api/v1/workspaces/{id}/quotas': owner('workspace'),
  'GET /api/v1/workspaces/{id}/safety-policy': viewer('workspace'),
  'PUT /api/v1/workspaces/{id}/safety-policy': admin('workspace'),
  'GET /api/v1/workspaces/{id}/members': viewer('workspace'),
  'PATCH /api/v1/workspaces/{id}/members/{userId}': admin('workspace'),
  // Removing someone needs admin; leaving (removing oneself) any role.
  'DELETE /api/v1/workspaces/{id}/members/{userId}': {
    ...admin('workspace'),
    self: 'params.userId',
  },
  'POST /api/v1/workspaces/{id}/invitations': admin('workspace'),
  'GET /api/v1/workspaces/{id}/invitations': admin('workspace'),
  'GET /api/v1/workspaces/{id}/connections': viewer('workspace'),
  'POST /api/v1/workspaces/{id}/connections/{provider}/token': admin('workspace'),
  'DELETE /api/v1/workspaces/{id}/connections/{provider}': admin('workspace'),
  'GET /api/v1/workspaces/{id}/provider-keys': viewer('workspace'),
  'PUT /api/v1/workspaces/{id}/provider-keys/{provider}': admin('workspace'),
  'DELETE /api/v1/workspaces/{id}/provider-keys/{provider}': admin('workspace'),
  'DELETE /api/v1/workspaces/{id}/invitations/{invitationId}': admin('workspace'),
  'POST /api/v1/workspace-invitations/{token}/accept': 'signed-in',

  // Notion: a connection is the caller's own or their workspace's, checked where it is read.
  'GET /api/integrations/notion': 'signed-in',
  'GET /api/integrations/notion/auth': 'signed-in',
  'GET /api/integrations/notion/callback': 'signed-in',
  'POST /api/integrations/notion/token': admin('workspace', 'body.workspaceId'),
  'DELETE /api/integrations/notion/connections/{id}': 'signed-in',
  'GET /api/v1/notion/databases': 'signed-in',
  'GET /api/v1/notion/databases/{databaseId}': 'signed-in',
  'PUT /api/v1/notion/databases/{databaseId}/mapping': member('repo', 'body.repoId'),
  'GET /api/v1/notion/databases/{databaseId}/pages': 'signed-in',
  'GET /api/v1/notion/pages/{pageId}': 'signed-in',
  'POST /api/v1/notion/tasks': member('repo', 'body.repoId'),
  'GET /api/v1/tasks/{id}/notion': member('task'),

  // Vercel: a connection is the caller's own or their workspace's, checked where it is read. The
  // gate to production: owners and admins promote and roll back; members ask for a promotion.
  'GET /api/integrations/vercel': 'signed-in',
  'POST /api/integrations/vercel/token': admin('workspace', 'body.workspaceId'),
  'DELETE /api/integrations/vercel/connections/{id}': 'signed-in',
  'GET /api/v1/vercel/projects': 'signed-in',
  'GET /api/v1/repos/{id}/vercel': viewer('repo'),
  'PUT /api/v1/repos/{id}/vercel': admin('repo'),
  'DELETE /api/v1/repos/{id}/vercel': admin('repo'),
  'GET /api/v1/tasks/{id}/deployments': member('task'),
  'POST /api/v1/tasks/{id}/deployments/{deploymentId}/promote': admin('task'),
  'POST /api/v1/tasks/{id}/deployments/{deploymentId}/promote-request': member('task'),
  'POST /api/v1/tasks/{id}/deployments/{deploymentId}/rollback': admin('task'),
  'POST /api/v1/tasks/{id}/deployments/{deploymentId}/redeploy': member('task'),

  'GET /api/integrations': 'signed-in',
  'GET /api/integrations/{provider}/auth': 'signed-in',
  'GET /api/integrations/{provider}/callback': 'signed-in',
  'POST /api/integrations/{provider}/token': 'signed-in',
  'DELETE /api/integrations/{provider}': 'signed-in',
  'GET /api/integrations/{provider}/repos': member('workspace', 'query.workspaceId'),
  'POST /api/integrations/{provider}/repos': member('workspace', 'body.workspaceId'),
};

/** The git server (`/git/{repoId}.git`): reading the code and pushing to it. */
export const GIT_ACCESS = {
  read: member('repo', 'params.repoId'),
  push: member('repo', 'params.repoId'),
} as const satisfies Record<string, RoleRule>;

/** A route's key as the table and the API reference write it: `GET /api/v1/tasks/{id}`. */
export function routeKey(method: string, url: string): string {
  return `${method === 'HEAD' ? 'GET' : method} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}

function fieldOf(request: FastifyRequest, from: ObjectField): string | undefined {
  const [where, name = ''] = from.split('.', 2) as ['params' | 'query' | 'body', string];
  const source = request[where] as Record<string, unknown> | null | undefined;
  const value = source?.[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Checks, before each route runs, the workspace role its row asks for (through `requireRoleOn`,
 * the one role check): a non-member learns the object does not exist, a member without the role
 * is refused with 403 `forbidden` naming it. Other rules are their routes' own authentication.
 */
export function installAccessCheck(app: FastifyInstance, db: Db): void {
  app.addHook('preHandler', async (request) => {
    const found = ROUTE_ACCESS[routeKey(request.method, request.routeOptions.url ?? '')];
    if (found === undefined || typeof found === 'string') return;
    const id = fieldOf(request, found.from);
    if (id === undefined) return;
    const { userId } = principalOf(request);
    const own = found.self !== undefined && fieldOf(request, found.self) === userId;
    await requireRoleOn(db, { kind: found.of, id }, userId, own ? 'viewer' : found.role);
  });
}
