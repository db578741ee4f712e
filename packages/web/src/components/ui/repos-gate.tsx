/**
 * @module components/ui/repos-gate
 * What a page that works on one of the user's repositories shows until it has one: loading, a
 * failure to load with a retry, or none yet with a way to add one. The page asks
 * `hasRepos(repos)` first, which also narrows the query to its list.
 */
import type { ReactNode } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import type { Repo } from '@lucid/contracts';
import { Link } from 'wouter';
import { buttonClass } from './button.tsx';
import { EmptyState } from './empty-state.tsx';
import { ErrorMessage } from './error-message.tsx';
import { Loading } from './loading.tsx';

export interface ReposGateProps {
  /** The repositories query (`useRepos()`). */
  repos: UseQueryResult<Repo[]>;
  /** The title of the empty state, when the user has no repository. */
  emptyTitle: string;
  /** What the empty state says under its title; it offers “Add a repository” itself. */
  emptyText: ReactNode;
}

/** True when the query holds at least one repository: the page can be drawn. */
export function hasRepos(
  repos: UseQueryResult<Repo[]>,
): repos is UseQueryResult<Repo[]> & { isSuccess: true; data: Repo[] } {
  return repos.isSuccess && repos.data.length > 0;
}

/**
 * Loading, the failure to load, or the empty state; nothing once there are repositories.
 *
 * @example
 * const repos = useRepos();
 * if (!hasRepos(repos)) return <ReposGate repos={repos} emptyTitle="No repository yet" emptyText="…" />;
 * repos.data.map((repo) => repo.name);
 */
export function ReposGate({ repos, emptyTitle, emptyText }: ReposGateProps) {
  if (repos.isPending) return <Loading label="Loading repositories…" />;
  if (repos.error) {
    return (
      <ErrorMessage
        title="Could not load your repositories"
        error={repos.error}
        onRetry={() => void repos.refetch()}
      />
    );
  }
  if (repos.data.length === 0) {
    return (
      <EmptyState
        title={emptyTitle}
        action={
          <Link href="/repos" className={buttonClass('primary')}>
            Add a repository
          </Link>
        }
      >
        {emptyText}
      </EmptyState>
    );
  }
  return null;
}
