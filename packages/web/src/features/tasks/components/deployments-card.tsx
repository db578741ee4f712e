/**
 * @module features/tasks/components/deployments-card
 * A task's Vercel deployments: each preview's state, its URL once ready, Vercel's error with Retry
 * when its build failed; the gate to production by role (owners and admins: Promote to production
 * and Roll back; members: Request promotion, and who asked); the production deployments made,
 * with who approved them. Shown once the task's repository is linked to a Vercel project.
 */
import type { Deployment, WorkspaceRole } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { useDeploymentAction, useDeployments } from '../../../lib/queries/vercel.ts';
import { useMe } from '../../../lib/use-me.ts';

const stateTone: Record<string, string> = {
  READY: 'bg-emerald-100 text-emerald-800',
  ERROR: 'bg-red-100 text-red-800',
  CANCELED: 'bg-slate-100 text-slate-700',
};

function StateBadge({ state }: { state: string }) {
  return (
    <span
      className={`rounded px-1.5 py-0.5 text-xs font-medium ${stateTone[state] ?? 'bg-amber-100 text-amber-800'}`}
    >
      {state.toLowerCase()}
    </span>
  );
}

function DeploymentRow({
  deployment,
  taskId,
  role,
}: {
  deployment: Deployment;
  taskId: string;
  role: WorkspaceRole | undefined;
}) {
  const act = useDeploymentAction(taskId);
  const approves = role === 'owner' || role === 'admin';
  const asks = role === 'member';
  const preview = deployment.target === 'preview';
  const run = (action: 'promote' | 'promote-request' | 'rollback' | 'redeploy') =>
    act.mutate({ deploymentId: deployment.id, action });
  return (
    <li className="py-2" aria-label={`${deployment.target} ${deployment.commitSha.slice(0, 7)}`}>
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <span className="font-medium text-slate-900">
          {preview ? 'Preview' : deployment.action === 'rollback' ? 'Rollback' : 'Production'}
        </span>
        <span className="font-mono text-xs text-slate-600">{deployment.commitSha.slice(0, 7)}</span>
        <StateBadge state={deployment.state} />
        {deployment.current && (
          <span className="rounded bg-indigo-100 px-1.5 py-0.5 text-xs font-medium text-indigo-800">
            serving production
          </span>
        )}
        {deployment.url && deployment.state === 'READY' && (
          <a
            href={deployment.url}
            target="_blank"
            rel="noreferrer"
            className="text-indigo-700 underline"
          >
            {deployment.url}
          </a>
        )}
        <span className="text-xs text-slate-500">
          <Time iso={deployment.createdAt} />
        </span>
        <span className="ml-auto flex gap-2">
          {preview && deployment.state === 'ERROR' && role !== 'viewer' && (
            <Button
              size="sm"
              variant="secondary"
              pending={act.isPending}
              onClick={() => run('redeploy')}
            >
              Retry
            </Button>
          )}
          {preview && deployment.state === 'READY' && approves && (
            <Button size="sm" pending={act.isPending} onClick={() => run('promote')}>
              Promote to production
            </Button>
          )}
          {preview && deployment.state === 'READY' && asks && !deployment.requestedBy && (
            <Button
              size="sm"
              variant="secondary"
              pending={act.isPending}
              onClick={() => run('promote-request')}
            >
              Request promotion
            </Button>
          )}
          {!preview && deployment.current && approves && (
            <Button
              size="sm"
              variant="secondary"
              pending={act.isPending}
              onClick={() => run('rollback')}
            >
              Roll back
            </Button>
          )}
        </span>
      </div>
      {deployment.state === 'ERROR' && deployment.errorMessage && (
        <p className="mt-1 text-sm text-red-700">The build failed: {deployment.errorMessage}</p>
      )}
      {preview && deployment.requestedBy && (
        <p className="mt-1 text-sm text-slate-600">
          {deployment.requestedBy.name} asked for its promotion to production
          {deployment.requestedAt && (
            <>
              {' '}
              (<Time iso={deployment.requestedAt} />)
            </>
          )}
          ; an owner or admin of the workspace approves it.
        </p>
      )}
      {!preview && deployment.approvedBy && (
        <p className="mt-1 text-sm text-slate-600">
          Approved by {deployment.approvedBy.name}
          {deployment.requestedBy && deployment.requestedBy.id !== deployment.approvedBy.id
            ? `, asked by ${deployment.requestedBy.name}`
            : ''}
          .
        </p>
      )}
      {act.error && <ErrorMessage title="Not done" error={act.error} />}
    </li>
  );
}

export function DeploymentsCard({ taskId, workspaceId }: { taskId: string; workspaceId: string }) {
  const deployments = useDeployments(taskId);
  const me = useMe();
  const role = me.data?.workspaces.find((w) => w.id === workspaceId)?.role;
  const list = deployments.data;
  if (!list || (!list.linked && list.deployments.length === 0)) return null;
  return (
    <section
      aria-label="Deployments"
      className="rounded-lg bg-white px-4 py-3 ring-1 ring-slate-200"
    >
      <h2 className="text-sm font-semibold text-slate-900">Vercel</h2>
      {list.deployments.length === 0 ? (
        <p className="text-sm text-slate-600">
          A preview is deployed once the task’s work is pushed.
        </p>
      ) : (
        <ul className="divide-y divide-slate-100">
          {list.deployments.map((deployment) => (
            <DeploymentRow
              key={deployment.id}
              deployment={deployment}
              taskId={taskId}
              role={role}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
