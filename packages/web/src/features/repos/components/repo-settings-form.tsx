/**
 * @module features/repos/components/repo-settings-form
 * Renaming a repository and editing its description, default branch and check command (run in a
 * task's workspace after each agent run). Only changed fields are sent.
 */
import { useState, type FormEvent } from 'react';
import type { Repo, UpdateRepoBody } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField, TextareaField } from '../../../components/ui/input.tsx';
import { ApiError, fieldErrors } from '../../../lib/api.ts';
import { useUpdateRepo } from '../api/update-repo.ts';

export function RepoSettingsForm({ repo }: { repo: Repo }) {
  const updateRepo = useUpdateRepo(repo.id);
  const [name, setName] = useState(repo.name);
  const [description, setDescription] = useState(repo.description);
  const [defaultBranch, setDefaultBranch] = useState(repo.defaultBranch);
  const [checkCommand, setCheckCommand] = useState(repo.checkCommand ?? '');

  const changes: UpdateRepoBody = {};
  if (name.trim() !== repo.name) changes.name = name.trim();
  if (description !== repo.description) changes.description = description;
  if (defaultBranch.trim() !== repo.defaultBranch) changes.defaultBranch = defaultBranch.trim();
  if (checkCommand.trim() !== (repo.checkCommand ?? '')) {
    changes.checkCommand = checkCommand.trim() || null;
  }
  const changed = Object.keys(changes).length > 0;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (changed) updateRepo.mutate(changes);
  };

  const error = updateRepo.error;
  const fields = fieldErrors(error);
  const nameError =
    fields.name ??
    (error instanceof ApiError && error.code === 'name_taken' ? error.message : undefined);
  const general =
    error && !nameError && !fields.defaultBranch && !fields.description && !fields.checkCommand
      ? error
      : null;

  return (
    <Card
      title="Settings"
      description="Renaming keeps the clone URL, which is based on the repository's id."
    >
      <form onSubmit={onSubmit} className="space-y-4">
        <div className="grid gap-4 sm:grid-cols-2">
          <InputField
            label="Name"
            name="name"
            required
            autoComplete="off"
            spellCheck={false}
            error={nameError}
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
          <InputField
            label="Default branch"
            name="defaultBranch"
            required
            autoComplete="off"
            spellCheck={false}
            error={fields.defaultBranch}
            value={defaultBranch}
            onChange={(event) => setDefaultBranch(event.target.value)}
          />
        </div>
        <TextareaField
          label="Description"
          name="description"
          rows={2}
          error={fields.description}
          value={description}
          onChange={(event) => setDescription(event.target.value)}
        />
        <InputField
          label="Check command"
          name="checkCommand"
          autoComplete="off"
          spellCheck={false}
          placeholder="npm test"
          hint="Run in a task's workspace after each agent run; its result shows on the task, and ranks attempts."
          error={fields.checkCommand}
          value={checkCommand}
          onChange={(event) => setCheckCommand(event.target.value)}
        />
        {general && <ErrorMessage title="Could not save" error={general} />}
        <div className="flex items-center gap-3">
          <Button
            type="submit"
            disabled={!changed}
            pending={updateRepo.isPending}
            pendingText="Saving…"
          >
            Save changes
          </Button>
          <p role="status" className="text-sm text-green-700">
            {updateRepo.isSuccess && !changed ? 'Saved.' : ''}
          </p>
        </div>
      </form>
    </Card>
  );
}
