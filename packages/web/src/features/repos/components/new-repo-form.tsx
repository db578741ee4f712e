/**
 * @module features/repos/components/new-repo-form
 * The form that creates an empty repository, with the server's validation shown by each field.
 */
import { useState, type FormEvent } from 'react';
import type { Repo } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { ApiError, fieldErrors } from '../../../lib/api.ts';
import { useCreateRepo } from '../api/create-repo.ts';

export interface NewRepoFormProps {
  onCreated: (repo: Repo) => void;
  onCancel: () => void;
}

export function NewRepoForm({ onCreated, onCancel }: NewRepoFormProps) {
  const createRepo = useCreateRepo();
  const [name, setName] = useState('');
  const [defaultBranch, setDefaultBranch] = useState('main');

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    createRepo.mutate(
      { name: name.trim(), defaultBranch: defaultBranch.trim() || 'main' },
      { onSuccess: onCreated },
    );
  };

  const error = createRepo.error;
  const fields = fieldErrors(error);
  const nameError =
    fields.name ??
    (error instanceof ApiError && error.code === 'name_taken' ? error.message : undefined);
  const branchError = fields.defaultBranch;
  const general = error && !nameError && !branchError ? error : null;

  return (
    <Card
      title="New repository"
      description="An empty repository on this server; push a local one into it."
      className="mb-6"
    >
      <form onSubmit={onSubmit} className="space-y-4">
        <div className="grid gap-4 sm:grid-cols-2">
          <InputField
            label="Name"
            name="name"
            required
            autoFocus
            autoComplete="off"
            spellCheck={false}
            placeholder="my-project"
            hint='Letters, digits, ".", "_" and "-".'
            error={nameError}
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
          <InputField
            label="Default branch"
            name="defaultBranch"
            autoComplete="off"
            spellCheck={false}
            error={branchError}
            value={defaultBranch}
            onChange={(event) => setDefaultBranch(event.target.value)}
          />
        </div>
        {general && <ErrorMessage title="Could not create the repository" error={general} />}
        <div className="flex gap-3">
          <Button type="submit" pending={createRepo.isPending} pendingText="Creating…">
            Create repository
          </Button>
          <Button variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}
