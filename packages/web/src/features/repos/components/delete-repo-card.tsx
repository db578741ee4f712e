/**
 * @module features/repos/components/delete-repo-card
 * Deleting a repository, after the user confirms.
 */
import { useState } from 'react';
import { useLocation } from 'wouter';
import type { Repo } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { useDeleteRepo } from '../api/delete-repo.ts';

export function DeleteRepoCard({ repo }: { repo: Repo }) {
  const deleteRepo = useDeleteRepo(repo.id);
  const [confirming, setConfirming] = useState(false);
  const [, navigate] = useLocation();

  return (
    <>
      <Card
        tone="danger"
        title="Delete this repository"
        description="Removes the repository, its branches and its history from this server."
        actions={
          <Button variant="danger" onClick={() => setConfirming(true)}>
            Delete repository
          </Button>
        }
      />
      <ConfirmDialog
        open={confirming}
        title={`Delete ${repo.name}?`}
        confirmLabel="Delete repository"
        pending={deleteRepo.isPending}
        error={deleteRepo.error}
        onCancel={() => {
          setConfirming(false);
          deleteRepo.reset();
        }}
        onConfirm={() =>
          deleteRepo.mutate(undefined, { onSuccess: () => navigate('/repos', { replace: true }) })
        }
      >
        Every branch and commit in <strong className="text-slate-900">{repo.name}</strong> is
        deleted from Lucid. Copies elsewhere are not touched. This cannot be undone.
      </ConfirmDialog>
    </>
  );
}
