/**
 * @module features/board/components/board-card
 * One card on the board: its title (opening the card's detail), status, agent, its branch with
 * what it changes (files, lines added and removed), one note when it has one ("Stopped", "No
 * changes"), the reason it was last rejected, and its actions as buttons (the keyboard's way to
 * move it). The
 * card is dragged by its handle.
 */
import { useDraggable } from '@dnd-kit/core';
import { Link } from 'wouter';
import type { BoardCard } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { NoteBadge } from '../../../components/ui/note-badge.tsx';
import { formatDuration } from '../../../lib/format.ts';
import { StatusBadge } from '../../../components/ui/status-badge.tsx';
import { actionLabels, cardActions, cardNote, type BoardAction } from '../columns.ts';

/** The card's branch, and what it changes against its base branch once it has commits. */
function BranchLine({ task }: { task: BoardCard }) {
  const stats = task.diffStats;
  return (
    <p
      aria-label={`Branch of ${task.title}`}
      className="mt-1 flex min-w-0 items-center gap-1.5 text-xs text-slate-500"
    >
      <span className="truncate font-mono text-slate-600" title={task.branch}>
        {task.branch}
      </span>
      {stats && stats.filesChanged > 0 && (
        <span
          className="shrink-0 whitespace-nowrap"
          title={`Against ${task.baseBranch}: ${plural(stats.filesChanged, 'file')} changed, ${plural(stats.insertions, 'line')} added, ${plural(stats.deletions, 'line')} removed`}
        >
          {plural(stats.filesChanged, 'file')}{' '}
          <span className="text-emerald-700">+{stats.insertions}</span>{' '}
          <span className="text-red-700">−{stats.deletions}</span>
        </span>
      )}
    </p>
  );
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function CardTile({
  task,
  repoId,
  selected,
  busy,
  stopping,
  onAction,
  onEdit,
  onDelete,
  readOnly = false,
}: {
  task: BoardCard;
  repoId: string;
  selected: boolean;
  busy: boolean;
  /** Cancel was asked for and the card's run has not stopped yet. */
  stopping: boolean;
  onAction: (task: BoardCard, action: BoardAction) => void;
  onEdit: (task: BoardCard) => void;
  onDelete: (task: BoardCard) => void;
  /** The caller is a viewer: no actions, no dragging. */
  readOnly?: boolean;
}) {
  const { attributes, listeners, setNodeRef, transform, isDragging } = useDraggable({
    id: task.id,
    disabled: readOnly,
  });
  const style = transform
    ? { transform: `translate3d(${transform.x}px, ${transform.y}px, 0)` }
    : undefined;
  const editable = task.status === 'todo' || task.status === 'cancelled';
  const note = cardNote(task);

  return (
    <li
      ref={setNodeRef}
      style={style}
      aria-label={task.title}
      data-task-id={task.id}
      className={`rounded-md bg-white p-2.5 shadow-sm ring-1 ${
        selected ? 'ring-2 ring-indigo-500' : 'ring-slate-200'
      } ${isDragging ? 'relative z-10 opacity-80 shadow-lg' : ''}`}
    >
      <div className="flex items-start gap-2">
        {!readOnly && (
          <button
            type="button"
            aria-label={`Drag ${task.title}`}
            title="Drag to another column"
            className="mt-0.5 cursor-grab touch-none rounded px-0.5 text-slate-400 hover:text-slate-700"
            {...listeners}
            {...attributes}
          >
            ⠿
          </button>
        )}
        <div className="min-w-0 flex-1">
          <Link
            href={`/repos/${repoId}/board/${task.id}`}
            className="block text-sm font-medium break-words text-slate-900 hover:text-indigo-700 hover:underline"
          >
            {task.title}
          </Link>
          <div className="mt-1 flex flex-wrap items-center gap-1.5 text-xs text-slate-500">
            {note ? (
              <NoteBadge title={note.title}>{note.text}</NoteBadge>
            ) : (
              <StatusBadge status={task.status} />
            )}
            {task.planReview && (
              <span
                className="rounded bg-violet-100 px-1.5 py-0.5 font-medium text-violet-900"
                title="Its plan waits for approval"
              >
                Plan
              </span>
            )}
            {task.awaitingMerge && (
              <span className="rounded bg-amber-100 px-1.5 py-0.5 font-medium text-amber-900">
                awaiting merge
              </span>
            )}
            <span>{task.agent ?? 'commands'}</span>
            {task.attempts && (
              <span
                className="rounded bg-indigo-50 px-1.5 py-0.5 font-medium text-indigo-800"
                title="Attempts, and how many passed the repository's check command"
              >
                {task.attempts.total} attempts, {task.attempts.green} green
              </span>
            )}
            {task.latestRun?.durationMs != null && (
              <span title="Duration of the latest run">
                {formatDuration(task.latestRun.durationMs)}
              </span>
            )}
          </div>
          {(task.diffStats || task.latestRun) && <BranchLine task={task} />}
          {task.reviewNote && (
            <p className="mt-1.5 rounded bg-amber-50 px-2 py-1 text-xs text-amber-900">
              <span className="font-medium">Rejected:</span> {task.reviewNote}
            </p>
          )}
        </div>
      </div>
      {!readOnly && (
        <div className="mt-2 flex flex-wrap gap-1">
          {cardActions(task.status).map((action) => (
            <Button
              key={action}
              size="sm"
              variant={action === 'reject' || action === 'cancel' ? 'secondary' : 'primary'}
              className="h-7 px-2 text-xs"
              disabled={busy}
              pending={action === 'cancel' && stopping}
              pendingText="Stopping…"
              aria-label={
                action === 'cancel' && stopping
                  ? `Stopping ${task.title}`
                  : `${actionLabels[action]} ${task.title}`
              }
              onClick={() => onAction(task, action)}
            >
              {actionLabels[action]}
            </Button>
          ))}
          {editable && (
            <>
              <Button
                size="sm"
                variant="ghost"
                className="h-7 px-2 text-xs"
                aria-label={`Edit ${task.title}`}
                onClick={() => onEdit(task)}
              >
                Edit
              </Button>
              <Button
                size="sm"
                variant="ghost"
                className="h-7 px-2 text-xs text-red-700"
                aria-label={`Delete ${task.title}`}
                onClick={() => onDelete(task)}
              >
                Delete
              </Button>
            </>
          )}
        </div>
      )}
    </li>
  );
}
