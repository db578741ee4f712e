/**
 * @module features/tasks/components/task-title
 * A task's title in the task page's header, renamed in place: Rename turns it into a field that
 * Enter saves and Escape cancels; a refused title is shown as the server words it.
 */
import { useState, type FormEvent } from 'react';
import type { Task } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { errorMessage } from '../../../lib/api.ts';
import { useRenameTask } from '../../../lib/queries/tasks.ts';

export function TaskTitle({ task }: { task: Task }) {
  const rename = useRenameTask(task.id);
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(task.title);

  if (!editing) {
    return (
      <>
        <h1 className="min-w-0 truncate text-base font-semibold text-slate-900">{task.title}</h1>
        <Button
          variant="ghost"
          size="sm"
          onClick={() => {
            setTitle(task.title);
            rename.reset();
            setEditing(true);
          }}
        >
          Rename
        </Button>
      </>
    );
  }

  const cancel = () => {
    rename.reset();
    setEditing(false);
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    if (title.trim() === task.title) return cancel();
    rename.mutate(title.trim(), { onSuccess: () => setEditing(false) });
  };

  return (
    <form onSubmit={save} aria-label="Rename the task" className="flex min-w-0 items-center gap-2">
      <label htmlFor="task-title" className="sr-only">
        Task title
      </label>
      <input
        id="task-title"
        autoFocus
        required
        maxLength={200}
        value={title}
        onChange={(event) => setTitle(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') cancel();
        }}
        aria-invalid={rename.error ? true : undefined}
        aria-describedby={rename.error ? 'task-title-error' : undefined}
        className="w-72 rounded-md border-0 px-2 py-1 text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600 aria-invalid:ring-red-500"
      />
      <Button
        type="submit"
        size="sm"
        pending={rename.isPending}
        pendingText="Saving…"
        disabled={title.trim() === ''}
      >
        Save
      </Button>
      <Button variant="ghost" size="sm" onClick={cancel} disabled={rename.isPending}>
        Cancel
      </Button>
      {rename.error && (
        <span id="task-title-error" role="alert" className="text-xs text-red-600">
          {errorMessage(rename.error)}
        </span>
      )}
    </form>
  );
}
