/**
 * @module features/tasks/components/delete-task
 * Deleting a task from its page, after the user confirms. While a run is queued or running (or
 * when the server refuses because one is), the dialog offers "Stop and delete": the run is
 * stopped, and the task deleted once the stream says it has stopped.
 */
import { useEffect, useRef, useState } from 'react';
import { useLocation } from 'wouter';
import type { Task, TaskStatus } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { ApiError } from '../../../lib/api.ts';
import { useDeleteTask, useStopTask } from '../../../lib/queries/tasks.ts';

const working: readonly TaskStatus[] = ['queued', 'running'];

export function DeleteTask({ task, status }: { task: Task; status: TaskStatus }) {
  const deleteTask = useDeleteTask(task.id);
  const stop = useStopTask(task.id);
  const [confirming, setConfirming] = useState(false);
  const [deleteWhenStopped, setDeleteWhenStopped] = useState(false);
  const [, navigate] = useLocation();
  const busy = working.includes(status);
  const refusedWhileWorking =
    deleteTask.error instanceof ApiError && deleteTask.error.code === 'conflict';
  const mustStop = busy || refusedWhileWorking;

  /** The deletion that follows a stop is sent once. */
  const sent = useRef(false);
  const remove = () =>
    deleteTask.mutate(undefined, {
      onSuccess: () => navigate('/tasks', { replace: true }),
      onError: () => {
        sent.current = false;
        setDeleteWhenStopped(false);
      },
    });

  useEffect(() => {
    if (!deleteWhenStopped || busy || sent.current) return;
    sent.current = true;
    remove();
    // `remove` is a new function each render; the deletion is wanted once, when the run stops.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [deleteWhenStopped, busy]);

  const stopAndDelete = () => {
    deleteTask.reset();
    sent.current = false;
    setDeleteWhenStopped(true);
    stop.mutate(undefined, {
      onError: (error) => {
        // Nothing left to stop: the run ended meanwhile, and the deletion goes ahead.
        if (!(error instanceof ApiError && error.code === 'conflict')) setDeleteWhenStopped(false);
      },
    });
  };

  return (
    <>
      <Button variant="ghost" size="sm" onClick={() => setConfirming(true)}>
        Delete
      </Button>
      <ConfirmDialog
        open={confirming}
        title="Delete this task?"
        confirmLabel={mustStop ? 'Stop and delete' : 'Delete task'}
        pending={deleteTask.isPending || stop.isPending || deleteWhenStopped}
        pendingText={deleteTask.isPending ? 'Deleting…' : 'Stopping…'}
        error={deleteTask.error ?? (deleteWhenStopped ? null : stop.error)}
        onCancel={() => {
          setConfirming(false);
          setDeleteWhenStopped(false);
          deleteTask.reset();
          stop.reset();
        }}
        onConfirm={mustStop ? stopAndDelete : remove}
      >
        The conversation, runs and events of{' '}
        <strong className="text-slate-900">{task.title}</strong> are deleted; what was pushed to its
        branch <span className="font-mono">{task.branch}</span> stays in the repository. This cannot
        be undone.
        {busy && ' Its agent is working now: it is stopped first.'}
      </ConfirmDialog>
    </>
  );
}
