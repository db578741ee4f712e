/**
 * @module features/tasks/components/delete-task
 * Deleting a task from its page, after the user confirms. While a run is queued or running the
 * server refuses, and its message (stop the run first) stays in the dialog.
 */
import { useState } from 'react';
import { useLocation } from 'wouter';
import type { Task } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { useDeleteTask } from '../api/tasks.ts';

export function DeleteTask({ task }: { task: Task }) {
  const deleteTask = useDeleteTask(task.id);
  const [confirming, setConfirming] = useState(false);
  const [, navigate] = useLocation();

  return (
    <>
      <Button variant="ghost" size="sm" onClick={() => setConfirming(true)}>
        Delete
      </Button>
      <ConfirmDialog
        open={confirming}
        title="Delete this task?"
        confirmLabel="Delete task"
        pending={deleteTask.isPending}
        error={deleteTask.error}
        onCancel={() => {
          setConfirming(false);
          deleteTask.reset();
        }}
        onConfirm={() =>
          deleteTask.mutate(undefined, { onSuccess: () => navigate('/tasks', { replace: true }) })
        }
      >
        The conversation, runs and events of{' '}
        <strong className="text-slate-900">{task.title}</strong> are deleted; what was pushed to its
        branch <span className="font-mono">{task.branch}</span> stays in the repository. This cannot
        be undone.
      </ConfirmDialog>
    </>
  );
}
