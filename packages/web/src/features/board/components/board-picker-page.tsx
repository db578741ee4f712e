/**
 * @module features/board/components/board-picker-page
 * The Board entry of the navigation: choose the repository whose board to open; with a single
 * repository, its board opens at once.
 */
import { useState, type FormEvent } from 'react';
import { Redirect, useLocation } from 'wouter';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { hasRepos, ReposGate } from '../../../components/ui/repos-gate.tsx';
import { useTitle } from '../../../lib/use-title.ts';
import { useRepos } from '../../../lib/queries/repos.ts';

export function BoardPickerPage() {
  useTitle('Board');
  const repos = useRepos();
  const [, navigate] = useLocation();
  const [choice, setChoice] = useState('');

  if (!hasRepos(repos)) {
    return (
      <ReposGate
        repos={repos}
        emptyTitle="No repository has a board yet"
        emptyText="Each repository has a board of cards that agents work on."
      />
    );
  }
  const only = repos.data.length === 1 ? repos.data[0] : undefined;
  if (only) return <Redirect to={`/repos/${only.id}/board`} replace />;
  const repoId = choice || repos.data[0]?.id || '';
  const open = (event: FormEvent) => {
    event.preventDefault();
    if (repoId) navigate(`/repos/${repoId}/board`);
  };
  return (
    <>
      <PageHeader
        title="Board"
        description="Cards that agents work on, one board per repository."
      />
      <Card>
        <form onSubmit={open} aria-label="Open a board" className="flex items-end gap-3">
          <label className="block text-sm font-medium text-slate-700">
            Repository
            <select
              className="mt-1.5 block w-72 rounded-md border-0 py-2 pr-8 pl-3 text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600"
              value={repoId}
              onChange={(event) => setChoice(event.target.value)}
            >
              {repos.data.map((repo) => (
                <option key={repo.id} value={repo.id}>
                  {repo.name}
                </option>
              ))}
            </select>
          </label>
          <Button type="submit">Open board</Button>
        </form>
      </Card>
    </>
  );
}
