/**
 * @module features/repos/components/repo-detail-page
 * One repository: a way to start a task on it, its clone URL, branches and recent commits, how to push to it, its settings,
 * its forge webhook when it is linked from one, and deleting it. It follows the repository's
 * stream, so a push or an approval moves "Last push", the branches and the commits at once.
 */
import { Link } from 'wouter';
import type { Repo } from '@lucid/contracts';
import { buttonClass } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { CodeBlock } from '../../../components/ui/code-block.tsx';
import { EmptyState } from '../../../components/ui/empty-state.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { ApiError } from '../../../lib/api.ts';
import { useActiveWorkspace } from '../../../lib/active-workspace.ts';
import { useRepoStream } from '../../../lib/use-repo-stream.ts';
import { useTitle } from '../../../lib/use-title.ts';
import { useBranches, useCommits } from '../../../lib/queries/repo-history.ts';
import { useRepo } from '../../../lib/queries/repos.ts';
import { BranchList } from './branch-list.tsx';
import { CommitList } from './commit-list.tsx';
import { DeleteRepoCard } from './delete-repo-card.tsx';
import { PushInstructions } from './push-instructions.tsx';
import { RepoSettingsForm } from './repo-settings-form.tsx';
import { VercelLinkCard } from './vercel-link-card.tsx';
import { WebhookCard } from './webhook-card.tsx';

function BackLink() {
  return (
    <Link
      href="/repos"
      className="rounded-sm text-sm font-medium text-slate-600 hover:text-slate-900"
    >
      ← Repositories
    </Link>
  );
}

function History({ repo }: { repo: Repo }) {
  const branches = useBranches(repo.id);
  const commits = useCommits(repo.id);

  if (branches.data?.length === 0) {
    return (
      <EmptyState title="Nothing pushed yet">
        <p className="mb-4">
          This repository is empty. Push a local repository into it and its branches and commits
          show here.
        </p>
        <PushInstructions repo={repo} />
      </EmptyState>
    );
  }

  return (
    <>
      <div className="grid gap-6 lg:grid-cols-5">
        <Card title="Branches" className="lg:col-span-2">
          {branches.isPending ? (
            <Loading label="Loading branches…" />
          ) : branches.error ? (
            <ErrorMessage error={branches.error} onRetry={() => void branches.refetch()} />
          ) : (
            <BranchList branches={branches.data} defaultBranch={repo.defaultBranch} />
          )}
        </Card>
        <Card title="Recent commits" className="lg:col-span-3">
          {commits.isPending ? (
            <Loading label="Loading commits…" />
          ) : commits.error ? (
            <ErrorMessage error={commits.error} onRetry={() => void commits.refetch()} />
          ) : commits.data.length === 0 ? (
            <p className="text-sm text-slate-600">No commits yet.</p>
          ) : (
            <CommitList commits={commits.data} />
          )}
        </Card>
      </div>
      <Card title="Push more code">
        <PushInstructions repo={repo} />
      </Card>
    </>
  );
}

export function RepoDetailPage({ id }: { id: string }) {
  const repo = useRepo(id);
  useTitle(repo.data?.name ?? 'Repository');
  useRepoStream(repo.data ? id : '');
  const { workspaces } = useActiveWorkspace();

  if (repo.isPending) return <Loading label="Loading repository…" />;
  if (repo.error) {
    const missing = repo.error instanceof ApiError && repo.error.status === 404;
    return (
      <ErrorMessage
        title={missing ? 'Repository not found' : 'Could not load the repository'}
        error={repo.error}
        onRetry={missing ? undefined : () => void repo.refetch()}
      >
        <Link href="/repos" className={buttonClass('secondary', 'sm')}>
          Back to repositories
        </Link>
      </ErrorMessage>
    );
  }

  const data = repo.data;
  const role = workspaces.find((w) => w.id === data.workspaceId)?.role;
  const manages = role === 'owner' || role === 'admin';
  // A viewer sees the board and its tasks' status, never the code, and starts nothing.
  const reads = role !== 'viewer';
  return (
    <div className="space-y-6">
      <div>
        <BackLink />
        <div className="mt-2 flex flex-wrap items-baseline justify-between gap-x-6 gap-y-2">
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{data.name}</h1>
          <p className="text-sm text-slate-600">
            Default branch{' '}
            <span className="rounded bg-slate-100 px-1.5 font-mono text-xs text-slate-800">
              {data.defaultBranch}
            </span>
            {' · '}
            Last push{' '}
            <span className="font-medium text-slate-800">
              {data.lastPushedAt ? <Time iso={data.lastPushedAt} /> : 'never'}
            </span>
          </p>
        </div>
        {data.description && <p className="mt-1 text-sm text-slate-600">{data.description}</p>}
        <div className="mt-3 flex gap-2">
          {reads && (
            <Link href={`/tasks/new?repo=${data.id}`} className={buttonClass('primary', 'sm')}>
              New task on {data.name}
            </Link>
          )}
          <Link href={`/repos/${data.id}/board`} className={buttonClass('secondary', 'sm')}>
            Open the board
          </Link>
        </div>
        {reads && (
          <div className="mt-4 flex items-center gap-3">
            <span className="shrink-0 text-xs font-medium text-slate-500 uppercase">Clone URL</span>
            <div className="min-w-0 flex-1">
              <CodeBlock code={data.cloneUrl} label="Copy clone URL" />
            </div>
          </div>
        )}
      </div>

      {reads ? (
        <History repo={data} />
      ) : (
        <p className="text-sm text-slate-600">
          As a viewer you follow this repository’s tasks on its board; its code, branches and
          commits need the member role.
        </p>
      )}

      {manages ? (
        <>
          <RepoSettingsForm repo={data} />
          <WebhookCard repo={data} />
          <VercelLinkCard repo={data} />
          <DeleteRepoCard repo={data} />
        </>
      ) : (
        <p className="text-sm text-slate-600">
          The workspace’s admins change this repository’s settings.
        </p>
      )}
    </div>
  );
}
