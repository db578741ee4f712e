/**
 * @module app/pages/repos-page
 * The home page: the user's repositories, a form to create one, and how to get code in.
 */
import { useState } from 'react';
import { useLocation } from 'wouter';
import { Button } from '../../components/ui/button.tsx';
import { Card } from '../../components/ui/card.tsx';
import { EmptyState } from '../../components/ui/empty-state.tsx';
import { ErrorMessage } from '../../components/ui/error-message.tsx';
import { Loading } from '../../components/ui/loading.tsx';
import { PageHeader } from '../../components/ui/page-header.tsx';
import { useTitle } from '../../lib/use-title.ts';
import { useRepos } from '../../lib/queries/repos.ts';
import { NewRepoForm } from '../../features/repos/components/new-repo-form.tsx';
import { RepoCard } from '../../features/repos/components/repo-card.tsx';
import { IngestInstructions } from '../../features/repos/components/push-instructions.tsx';
import { AddFromForge } from '../../features/integrations/components/add-from-forge.tsx';

function GettingStarted({ onNew }: { onNew: () => void }) {
  const server = window.location.origin;
  return (
    <EmptyState
      title="No repositories yet"
      action={<Button onClick={onNew}>New repository</Button>}
    >
      <p>
        Lucid works on code stored in its own git server. Bring in a repository from your computer
        in one of two ways:
      </p>
      <ol className="mt-4 list-decimal space-y-4 pl-5">
        <li>
          <p>With the Lucid CLI, which creates the repository and pushes in one step:</p>
          <div className="mt-2 max-w-3xl">
            <IngestInstructions server={server} />
          </div>
        </li>
        <li>
          <p>
            With plain git: create an empty repository below, then push to its clone URL. Git asks
            for a password: use an API token.
          </p>
        </li>
      </ol>
    </EmptyState>
  );
}

export function ReposPage() {
  useTitle('Repositories');
  const repos = useRepos();
  const [creating, setCreating] = useState(false);
  const [, navigate] = useLocation();

  return (
    <>
      <PageHeader
        title="Repositories"
        description="The code Lucid works on, each in its own git repository on this server."
        actions={
          !creating && repos.data && repos.data.length > 0 ? (
            <Button onClick={() => setCreating(true)}>New repository</Button>
          ) : undefined
        }
      />
      <div className="mb-6">
        <AddFromForge onAdded={(repo) => navigate(`/repos/${repo.id}`)} />
      </div>
      {creating && (
        <NewRepoForm onCreated={() => setCreating(false)} onCancel={() => setCreating(false)} />
      )}
      {repos.isPending ? (
        <Loading label="Loading repositories…" />
      ) : repos.error ? (
        <ErrorMessage
          title="Could not load your repositories"
          error={repos.error}
          onRetry={() => void repos.refetch()}
        />
      ) : repos.data.length === 0 ? (
        !creating && <GettingStarted onNew={() => setCreating(true)} />
      ) : (
        <>
          <ul aria-label="Repositories" className="space-y-4">
            {repos.data.map((repo) => (
              <RepoCard key={repo.id} repo={repo} />
            ))}
          </ul>
          <Card
            title="Import a local repository"
            label="Import a local repository"
            className="mt-8"
          >
            <IngestInstructions server={window.location.origin} />
          </Card>
        </>
      )}
    </>
  );
}
