/**
 * @module app/pages/board-page
 * A repository's board: cards in the columns To Do, In Progress, In Review, Done and Failed, moved
 * by drag and drop (or each card's buttons) where the move means something (start, approve,
 * reject with a reason, retry); any other drop is refused with a message. Cards are created,
 * edited and deleted in modals, found by text, status and agent (kept in the URL), and the board
 * follows its live stream so every viewer sees the same board. A card's detail opens beside it.
 */
import { lazy, Suspense, useMemo, useState } from 'react';
import {
  DndContext,
  KeyboardSensor,
  PointerSensor,
  pointerWithin,
  useDroppable,
  useSensor,
  useSensors,
  type DragEndEvent,
} from '@dnd-kit/core';
import { Link, useSearchParams } from 'wouter';
import type { AgentName, BoardCard, TaskStatus } from '@lucid/contracts';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/confirm-dialog.tsx';
import { ErrorMessage } from '../../components/ui/error-message.tsx';
import { FilterBar, FilterChoice, FilterWords } from '../../components/ui/filters.tsx';
import { Loading } from '../../components/ui/loading.tsx';
import { ApiError, errorMessage } from '../../lib/api.ts';
import { useTitle } from '../../lib/use-title.ts';
import { useRepo } from '../../lib/queries/repos.ts';
import { useActiveWorkspace } from '../../lib/active-workspace.ts';
import { statusLabel } from '../../components/ui/status-badge.tsx';
import {
  useBoardAction,
  useBoardStream,
  useBoard,
  useDeleteCard,
  type BoardConnection,
  type CardFilters,
} from '../../features/board/api/board.ts';
import {
  actionLabels,
  columnOf,
  columns,
  moveAction,
  refusedMove,
  type BoardAction,
  type Column,
  type ColumnId,
} from '../../features/board/columns.ts';
import { agentLabels } from '../../components/ui/agent-model-fields.tsx';
import { CardTile } from '../../features/board/components/board-card.tsx';
import { CardFormDialog } from '../../features/board/components/card-form-dialog.tsx';
import { MergeConflict } from '../../components/ui/merge-conflict.tsx';
import { RejectDialog } from '../../components/ui/reject-dialog.tsx';

/** What acting on a card needs to know of it. */
type CardRef = Pick<BoardCard, 'id' | 'title'>;

const CardDetail = lazy(() => import('./card-detail.tsx'));

const allStatuses = Object.keys({
  todo: 1,
  queued: 1,
  running: 1,
  plan_review: 1,
  in_review: 1,
  awaiting_merge: 1,
  done: 1,
  failed: 1,
  cancelled: 1,
} satisfies Record<TaskStatus, 1>) as TaskStatus[];

function ColumnView({
  column,
  children,
  count,
}: {
  column: Column;
  children: React.ReactNode;
  count: number;
}) {
  const { setNodeRef, isOver } = useDroppable({ id: column.id });
  return (
    <section
      ref={setNodeRef}
      aria-label={column.title}
      data-column={column.id}
      className={`flex min-h-48 min-w-0 flex-col rounded-lg p-2 ${
        isOver ? 'bg-indigo-50 ring-2 ring-indigo-300' : 'bg-slate-100'
      }`}
    >
      <h2 className="flex items-center justify-between px-1 pb-2 text-sm font-semibold text-slate-700">
        {column.title}
        <span className="rounded-full bg-white px-2 text-xs font-medium text-slate-500">
          {count}
        </span>
      </h2>
      {children}
    </section>
  );
}

function ConnectionNote({ connection }: { connection: BoardConnection }) {
  if (connection === 'open') {
    return <span className="text-xs text-emerald-700">Live</span>;
  }
  return (
    <span role="status" className="text-xs text-amber-700">
      {connection === 'connecting' ? 'Connecting…' : 'Refreshing every few seconds'}
    </span>
  );
}

function CardFilterBar({
  filters,
  onChange,
}: {
  filters: CardFilters;
  onChange: (next: Partial<CardFilters>) => void;
}) {
  return (
    <FilterBar name="Find cards">
      <FilterWords
        label="Find"
        placeholder="Words in the title or description"
        value={filters.q}
        onChange={(q) => onChange({ q })}
      />
      <FilterChoice
        label="Status"
        any="Any status"
        value={filters.status}
        options={allStatuses.map((status) => ({ value: status, label: statusLabel(status) }))}
        onChange={(status) => onChange({ status })}
      />
      <FilterChoice
        label="Agent"
        any="Any agent"
        value={filters.agent}
        options={(Object.keys(agentLabels) as AgentName[]).map((agent) => ({
          value: agent,
          label: agentLabels[agent],
        }))}
        onChange={(agent) => onChange({ agent })}
      />
    </FilterBar>
  );
}

export function BoardPage({ repoId, taskId }: { repoId: string; taskId?: string | undefined }) {
  const repo = useRepo(repoId);
  const { workspaces } = useActiveWorkspace();
  const readOnly = workspaces.find((w) => w.id === repo.data?.workspaceId)?.role === 'viewer';
  useTitle(repo.data ? `${repo.data.name} board` : 'Board');
  const connection = useBoardStream(repoId);
  const action = useBoardAction();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const statusFilter = params.get('status') ?? '';
  const agentFilter = params.get('agent') ?? '';
  const filters: CardFilters = useMemo(
    () => ({ q, status: statusFilter, agent: agentFilter }),
    [q, statusFilter, agentFilter],
  );
  const board = useBoard(repoId, filters, connection);
  const setFilters = (next: Partial<CardFilters>) =>
    setParams(
      (old) => {
        const merged = new URLSearchParams(old);
        for (const [key, value] of Object.entries(next)) {
          if (value) merged.set(key, value);
          else merged.delete(key);
        }
        return merged;
      },
      { replace: true },
    );

  const [notice, setNotice] = useState<string | null>(null);
  const [noticeError, setNoticeError] = useState<unknown>(null);
  const [editing, setEditing] = useState<BoardCard | null | 'new'>(null);
  const [rejecting, setRejecting] = useState<CardRef | null>(null);
  const [deleting, setDeleting] = useState<BoardCard | null>(null);
  /** Per card whose Cancel was asked for, the run it stops: "Stopping…" until it has stopped. */
  const [stopping, setStopping] = useState<ReadonlyMap<string, string | null>>(new Map());
  const setStoppingOf = (taskId: string, runId: string | null | undefined) =>
    setStopping((old) => {
      const next = new Map(old);
      if (runId !== undefined) next.set(taskId, runId);
      else next.delete(taskId);
      return next;
    });
  const isStopping = (card: BoardCard) =>
    stopping.has(card.id) &&
    stopping.get(card.id) === (card.latestRun?.id ?? null) &&
    columnOf(card.status) === 'in_progress';
  const remove = useDeleteCard(deleting?.id ?? '');

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor),
  );

  const all = useMemo(
    () => board.data?.columns.flatMap((column) => column.cards) ?? [],
    [board.data],
  );
  const filtered = filters.q.trim() !== '' || filters.status !== '' || filters.agent !== '';
  const search = params.toString();

  const run = (task: CardRef, act: BoardAction) => {
    setNotice(null);
    setNoticeError(null);
    if (act === 'reject') {
      action.reset();
      setRejecting(task);
      return;
    }
    if (act === 'cancel') {
      setStoppingOf(task.id, all.find((t) => t.id === task.id)?.latestRun?.id ?? null);
    }
    action.mutate(
      { taskId: task.id, action: act },
      {
        onError: (error) => {
          if (act === 'cancel') setStoppingOf(task.id, undefined);
          setNotice(
            `Could not ${actionLabels[act].toLowerCase()} “${task.title}”: ${errorMessage(error)}`,
          );
          setNoticeError(error);
        },
      },
    );
  };

  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over) return;
    const task = all.find((t) => t.id === active.id);
    if (!task) return;
    const from = columnOf(task.status);
    const to = over.id as ColumnId;
    if (from === to) return;
    const act = moveAction(from, to);
    if (!act) {
      setNotice(refusedMove(from, to));
      return;
    }
    run(task, act);
  };

  if (repo.error) {
    const missing = repo.error instanceof ApiError && repo.error.status === 404;
    return (
      <div className="mx-auto max-w-3xl p-8">
        <ErrorMessage
          title={missing ? 'Repository not found' : 'Could not load the repository'}
          error={repo.error}
          onRetry={missing ? undefined : () => void repo.refetch()}
        >
          <Link href="/repos" className="text-sm font-medium underline">
            Back to repositories
          </Link>
        </ErrorMessage>
      </div>
    );
  }

  return (
    <div className="flex min-h-[calc(100vh-3.5rem)] flex-col gap-3 px-4 py-4">
      <header className="flex flex-wrap items-center gap-x-4 gap-y-2">
        <Link href={`/repos/${repoId}`} className="text-sm text-slate-600 hover:text-slate-900">
          ← {repo.data?.name ?? 'Repository'}
        </Link>
        <h1 className="text-xl font-semibold text-slate-900">
          {repo.data ? `${repo.data.name} board` : 'Board'}
        </h1>
        <ConnectionNote connection={connection} />
        <div className="ml-auto flex gap-2">
          <Link href="/settings/runners" className="text-sm text-slate-600 underline">
            Runners
          </Link>
          {!readOnly && (
            <Button size="sm" onClick={() => setEditing('new')}>
              New card
            </Button>
          )}
        </div>
      </header>
      <CardFilterBar filters={filters} onChange={setFilters} />
      {notice && (
        <div
          role="alert"
          className="flex items-start justify-between gap-3 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          <div>
            <p>{notice}</p>
            <MergeConflict error={noticeError} />
          </div>
          <button
            type="button"
            className="text-xs font-medium underline"
            onClick={() => setNotice(null)}
          >
            Dismiss
          </button>
        </div>
      )}
      {board.isPending ? (
        <Loading label="Loading the board…" />
      ) : board.error ? (
        <ErrorMessage
          title="Could not load the board"
          error={board.error}
          onRetry={() => void board.refetch()}
        />
      ) : (
        <DndContext sensors={sensors} collisionDetection={pointerWithin} onDragEnd={onDragEnd}>
          {all.length === 0 && !filtered && (
            <p className="rounded-md bg-white px-4 py-3 text-sm text-slate-600 ring-1 ring-slate-200">
              No cards yet. Create one with <span className="font-medium">New card</span>: it waits
              in To Do until you start it.
            </p>
          )}
          {all.length === 0 && filtered && (
            <p className="rounded-md bg-white px-4 py-3 text-sm text-slate-600 ring-1 ring-slate-200">
              No card matches these filters.
            </p>
          )}
          <div className="grid flex-1 grid-cols-5 gap-3">
            {columns.map((column) => {
              const cards = board.data.columns.find((c) => c.id === column.id)?.cards ?? [];
              return (
                <ColumnView key={column.id} column={column} count={cards.length}>
                  <ul className="space-y-2">
                    {cards.map((task) => (
                      <CardTile
                        key={task.id}
                        task={task}
                        repoId={repoId}
                        selected={task.id === taskId}
                        busy={action.isPending && action.variables?.taskId === task.id}
                        stopping={isStopping(task)}
                        onAction={run}
                        onEdit={setEditing}
                        onDelete={setDeleting}
                        readOnly={readOnly}
                      />
                    ))}
                  </ul>
                </ColumnView>
              );
            })}
          </div>
        </DndContext>
      )}
      <CardFormDialog
        open={editing !== null}
        repoId={repoId}
        defaultBranch={repo.data?.defaultBranch ?? 'main'}
        card={editing === 'new' ? null : editing}
        onClose={() => setEditing(null)}
      />
      <RejectDialog
        key={rejecting?.id ?? 'none'}
        open={rejecting !== null}
        cardTitle={rejecting?.title ?? ''}
        pending={action.isPending}
        error={rejecting ? action.error : null}
        onClose={() => setRejecting(null)}
        onReject={(reason) => {
          if (!rejecting) return;
          action.mutate(
            { taskId: rejecting.id, action: 'reject', reason },
            { onSuccess: () => setRejecting(null) },
          );
        }}
      />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this card?"
        confirmLabel="Delete card"
        pending={remove.isPending}
        error={remove.error}
        onCancel={() => {
          remove.reset();
          setDeleting(null);
        }}
        onConfirm={() => remove.mutate(undefined, { onSuccess: () => setDeleting(null) })}
      >
        “{deleting?.title}” and its history are removed.
      </ConfirmDialog>
      {taskId && (
        <Suspense fallback={<Loading label="Loading the card…" />}>
          <CardDetail
            key={taskId}
            repoId={repoId}
            taskId={taskId}
            closeHref={`/repos/${repoId}/board${search ? `?${search}` : ''}`}
            onReject={(task) => run(task, 'reject')}
            readOnly={readOnly}
          />
        </Suspense>
      )}
    </div>
  );
}
