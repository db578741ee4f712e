/**
 * @module features/tasks/components/tasks-page
 * The conversations list, the home page: every task the user can see with its repository, status,
 * agent, branch and pull request, filtered by repository, status and words; statuses refresh on
 * their own.
 */
import { useState } from 'react';
import { Link } from 'wouter';
import type { TaskStatus } from '@lucid/contracts';
import { buttonClass } from '../../../components/ui/button.tsx';
import { EmptyState } from '../../../components/ui/empty-state.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { FilterBar, FilterChoice, FilterWords } from '../../../components/ui/filters.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { useTitle } from '../../../lib/use-title.ts';
import { useRepos } from '../../../lib/queries/repos.ts';
import { useTasks } from '../../../lib/queries/tasks.ts';
import { StatusBadge, statusLabel } from '../../../components/ui/status-badge.tsx';

/** Every task status, in the order work moves through them; the record keeps it complete. */
const taskStatuses = Object.keys({
  todo: 1,
  queued: 1,
  running: 1,
  plan_review: 1,
  in_review: 1,
  awaiting_merge: 1,
  done: 1,
  failed: 1,
  cancelled: 1,
} satisfies Record<TaskStatus, 1>) as TaskStatus[];

function Filters({
  repoId,
  status,
  q,
  onChange,
}: {
  repoId: string;
  status: string;
  q: string;
  onChange: (next: { repoId?: string; status?: string; q?: string }) => void;
}) {
  const repos = useRepos();
  return (
    <div className="mb-4">
      <FilterBar name="Filter tasks">
        <FilterChoice
          label="Repository"
          any="All repositories"
          value={repoId}
          options={(repos.data ?? []).map((repo) => ({ value: repo.id, label: repo.name }))}
          onChange={(repoId) => onChange({ repoId })}
        />
        <FilterChoice
          label="Status"
          any="Any status"
          value={status}
          options={taskStatuses.map((value) => ({ value, label: statusLabel(value) }))}
          onChange={(status) => onChange({ status })}
        />
        <FilterWords
          label="Search"
          placeholder="Words in the title or prompt"
          value={q}
          onChange={(q) => onChange({ q })}
        />
      </FilterBar>
    </div>
  );
}

export function TasksPage() {
  useTitle('Tasks');
  const [filters, setFilters] = useState({ repoId: '', status: '', q: '' });
  const tasks = useTasks({
    repoId: filters.repoId || undefined,
    status: (filters.status || undefined) as TaskStatus | undefined,
    q: filters.q || undefined,
  });
  const filtered = filters.repoId !== '' || filters.status !== '' || filters.q.trim() !== '';

  return (
    <>
      <PageHeader
        title="Tasks"
        description="Conversations with agents working on your repositories."
        actions={
          <Link href="/tasks/new" className={buttonClass('primary')}>
            New task
          </Link>
        }
      />
      <Filters {...filters} onChange={(next) => setFilters((old) => ({ ...old, ...next }))} />
      {tasks.isPending ? (
        <Loading label="Loading tasks…" />
      ) : tasks.error ? (
        <ErrorMessage
          title="Could not load your tasks"
          error={tasks.error}
          onRetry={() => void tasks.refetch()}
        />
      ) : tasks.data.length === 0 ? (
        filtered ? (
          <EmptyState title="No task matches these filters">
            Clear the search or choose another repository or status.
          </EmptyState>
        ) : (
          <EmptyState
            title="No tasks yet"
            action={
              <Link href="/tasks/new" className={buttonClass('primary')}>
                Start a task
              </Link>
            }
          >
            Describe a change to one of your repositories and an agent works on it in its own
            sandbox, on its own branch.
          </EmptyState>
        )
      ) : (
        <div className="overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Tasks</caption>
            <thead className="border-b border-slate-100 text-xs text-slate-500 uppercase">
              <tr>
                <th scope="col" className="px-4 py-2.5 font-medium">
                  Task
                </th>
                <th scope="col" className="px-4 py-2.5 font-medium">
                  Status
                </th>
                <th scope="col" className="px-4 py-2.5 font-medium">
                  Agent
                </th>
                <th scope="col" className="px-4 py-2.5 font-medium">
                  Branch
                </th>
                <th scope="col" className="px-4 py-2.5 text-right font-medium">
                  Updated
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {tasks.data.map((task) => (
                <tr key={task.id} className="hover:bg-slate-50">
                  <td className="max-w-md px-4 py-2.5">
                    <Link
                      href={`/tasks/${task.id}`}
                      className="block truncate rounded-sm font-medium text-indigo-700 hover:underline"
                    >
                      {task.title}
                    </Link>
                    <span className="text-xs text-slate-500">{task.repoName}</span>
                  </td>
                  <td className="px-4 py-2.5">
                    <StatusBadge status={task.status} />
                  </td>
                  <td className="px-4 py-2.5 text-slate-700">{task.agent ?? '—'}</td>
                  <td className="px-4 py-2.5">
                    <span className="font-mono text-xs text-slate-700">{task.branch}</span>
                    {task.prUrl && (
                      <a
                        href={task.prUrl}
                        className="ml-2 text-xs font-medium text-indigo-600 underline"
                        target="_blank"
                        rel="noreferrer"
                      >
                        {task.prNumber ? `PR #${task.prNumber}` : 'Pull request'}
                      </a>
                    )}
                  </td>
                  <td className="px-4 py-2.5 text-right whitespace-nowrap text-slate-600">
                    <Time iso={task.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
