/**
 * @module app/pages/card-detail
 * A card's detail in a panel beside the board: its status and branch, the reason it was last
 * rejected, the board actions (Start, Retry, Cancel, Approve, Reject with a reason) with the conflicting
 * files when a merge is refused, and tabs: the live timeline (the task page's conversation, from
 * the same stream), its runs with status and duration, the diff (unified or split) and the graph of
 * the repository's commits. Escape or × closes it. Loaded on demand.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useLocation } from 'wouter';
import type { Run } from '@lucid/contracts';
import { Button } from '../../components/ui/button.tsx';
import { ErrorMessage } from '../../components/ui/error-message.tsx';
import { Loading } from '../../components/ui/loading.tsx';
import { Time } from '../../components/ui/time.tsx';
import { ApiError } from '../../lib/api.ts';
import { useTask } from '../../lib/queries/tasks.ts';
import { Chat } from '../../features/tasks/components/chat.tsx';
import { StatusBadge } from '../../components/ui/status-badge.tsx';
import { useTaskStream } from '../../features/tasks/live/use-task-stream.ts';
import { chatItems, filesVersion, liveTaskStatus } from '../../features/tasks/live/view.ts';
import { useBoardAction, useRuns } from '../../features/board/api/board.ts';
import { actionLabels, cardActions } from '../../features/board/columns.ts';
import { CommitGraph } from '../../features/board/components/commit-graph.tsx';
import { DiffViewer } from '../../features/board/components/diff-viewer.tsx';
import { MergeConflict } from '../../components/ui/merge-conflict.tsx';

type Tab = 'timeline' | 'runs' | 'diff' | 'graph';
const tabs: { id: Tab; label: string }[] = [
  { id: 'timeline', label: 'Timeline' },
  { id: 'runs', label: 'Runs' },
  { id: 'diff', label: 'Diff' },
  { id: 'graph', label: 'Graph' },
];

/**
 * How long a run took (or has taken so far), as "1 min 5 s".
 *
 * @example
 * runDuration({ startedAt: '…:00Z', finishedAt: '…:05Z' }); // '5 s'
 */
export function runDuration(
  run: Pick<Run, 'startedAt' | 'finishedAt'>,
  now: number = Date.now(),
): string {
  if (!run.startedAt) return 'not started';
  const end = run.finishedAt ? Date.parse(run.finishedAt) : now;
  const seconds = Math.max(0, Math.round((end - Date.parse(run.startedAt)) / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

function Runs({ taskId }: { taskId: string }) {
  const runs = useRuns(taskId);
  if (runs.isPending) return <Loading label="Loading runs…" />;
  if (runs.error) return <ErrorMessage error={runs.error} onRetry={() => void runs.refetch()} />;
  if (runs.data.length === 0) return <p className="text-sm text-slate-500">No run yet.</p>;
  return (
    <ol aria-label="Runs" className="divide-y divide-slate-100 text-sm">
      {runs.data.map((run) => (
        <li key={run.id} className="flex flex-wrap items-center gap-3 py-2">
          <span className="font-medium">Attempt {run.attempt}</span>
          <StatusBadge status={run.status} />
          <span className="text-slate-600">{runDuration(run)}</span>
          <span className="text-xs text-slate-500">
            queued <Time iso={run.createdAt} />
          </span>
          {run.errorMessage && (
            <span className="w-full text-xs text-red-700">
              {run.errorCode}: {run.errorMessage}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}

function Detail({
  repoId,
  taskId,
  closeHref,
  onReject,
}: {
  repoId: string;
  taskId: string;
  closeHref: string;
  onReject: (task: { id: string; title: string }) => void;
}) {
  const task = useTask(taskId);
  const { state } = useTaskStream(taskId);
  const [tab, setTab] = useState<Tab>('timeline');
  const action = useBoardAction();
  const items = useMemo(() => chatItems(state), [state]);
  const version = filesVersion(state.events);

  if (task.isPending) return <Loading label="Loading the card…" />;
  if (task.error) {
    const missing = task.error instanceof ApiError && task.error.status === 404;
    return (
      <ErrorMessage
        title={missing ? 'Card not found' : 'Could not load the card'}
        error={task.error}
        onRetry={missing ? undefined : () => void task.refetch()}
      />
    );
  }
  const card = task.data;
  const status = liveTaskStatus(state.events) ?? card.status;

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="border-b border-slate-200 px-4 py-3">
        <div className="flex items-start gap-3">
          <h2 className="min-w-0 flex-1 text-lg font-semibold break-words text-slate-900">
            {card.title}
          </h2>
          <Link
            href={closeHref}
            aria-label="Close the card"
            className="rounded px-2 text-lg text-slate-500 hover:bg-slate-100"
          >
            ×
          </Link>
        </div>
        <div className="mt-1 flex flex-wrap items-center gap-2 text-xs text-slate-500">
          <StatusBadge status={status} />
          {status === 'awaiting_merge' && (
            <span className="rounded bg-amber-100 px-1.5 py-0.5 font-medium text-amber-900">
              awaiting merge
            </span>
          )}
          <span className="font-mono">{card.branch}</span>
          <span>→ {card.baseBranch}</span>
          {card.prUrl && (
            <a href={card.prUrl} target="_blank" rel="noreferrer" className="underline">
              Pull request
            </a>
          )}
          <Link href={`/tasks/${card.id}`} className="underline">
            Open as a task
          </Link>
        </div>
        {card.reviewNote && (
          <p className="mt-2 rounded bg-amber-50 px-2 py-1 text-sm text-amber-900">
            <span className="font-medium">Rejected:</span> {card.reviewNote}
          </p>
        )}
        <div className="mt-3 flex flex-wrap gap-2" aria-label="Card actions" role="group">
          {cardActions(status).map((act) => (
            <Button
              key={act}
              size="sm"
              variant={act === 'reject' || act === 'cancel' ? 'secondary' : 'primary'}
              pending={action.isPending && action.variables?.action === act}
              pendingText={`${actionLabels[act]}…`}
              onClick={() => {
                if (act === 'reject') onReject(card);
                else action.mutate({ taskId: card.id, action: act });
              }}
            >
              {actionLabels[act]}
            </Button>
          ))}
        </div>
        {action.error && (
          <div className="mt-2">
            <ErrorMessage
              title={`Could not ${actionLabels[action.variables?.action ?? 'start'].toLowerCase()} the card`}
              error={action.error}
            />
            <MergeConflict error={action.error} />
          </div>
        )}
      </div>
      <div
        role="tablist"
        aria-label="Card views"
        className="flex gap-1 border-b border-slate-200 px-4 py-2"
      >
        {tabs.map(({ id, label }) => (
          <button
            key={id}
            type="button"
            role="tab"
            id={`card-tab-${id}`}
            aria-selected={tab === id}
            aria-controls={`card-panel-${id}`}
            onClick={() => setTab(id)}
            className={`rounded-md px-3 py-1 text-sm font-medium ${
              tab === id ? 'bg-slate-900 text-white' : 'text-slate-600 hover:bg-slate-100'
            }`}
          >
            {label}
          </button>
        ))}
      </div>
      <div
        role="tabpanel"
        id={`card-panel-${tab}`}
        aria-labelledby={`card-tab-${tab}`}
        className={`min-h-0 flex-1 ${tab === 'timeline' ? 'flex flex-col bg-slate-50' : 'overflow-auto p-4'}`}
      >
        {tab === 'timeline' && <Chat items={items} />}
        {tab === 'runs' && <Runs taskId={card.id} />}
        {tab === 'diff' && <DiffViewer taskId={card.id} version={version} />}
        {tab === 'graph' && <CommitGraph repoId={repoId} />}
      </div>
    </div>
  );
}

/** What a viewer of the workspace sees of a card: its status, branch and pull request. */
function ViewerDetail({ taskId, closeHref }: { taskId: string; closeHref: string }) {
  const task = useTask(taskId);
  if (task.isPending) return <Loading label="Loading the card…" />;
  if (task.error) return <ErrorMessage title="Could not load the card" error={task.error} />;
  const card = task.data;
  return (
    <div className="px-4 py-3">
      <div className="flex items-start gap-3">
        <h2 className="min-w-0 flex-1 text-lg font-semibold break-words text-slate-900">
          {card.title}
        </h2>
        <Link
          href={closeHref}
          aria-label="Close the card"
          className="rounded px-2 text-lg text-slate-500 hover:bg-slate-100"
        >
          ×
        </Link>
      </div>
      <div className="mt-1 flex flex-wrap items-center gap-2 text-xs text-slate-500">
        <StatusBadge status={card.status} />
        <span className="font-mono">{card.branch}</span>
        <span>→ {card.baseBranch}</span>
        {card.prUrl && (
          <a href={card.prUrl} target="_blank" rel="noreferrer" className="underline">
            Pull request
          </a>
        )}
      </div>
      <p className="mt-4 text-sm text-slate-600">
        You are a viewer of this workspace: the work itself, its diff and the card&apos;s actions
        are for its members.
      </p>
    </div>
  );
}

export default function CardDetail(props: {
  repoId: string;
  taskId: string;
  closeHref: string;
  onReject: (task: { id: string; title: string }) => void;
  /** The caller is a viewer: status and links only, no work, diff or actions. */
  readOnly?: boolean;
}) {
  const [, navigate] = useLocation();
  const { closeHref } = props;
  useEffect(() => {
    /** Escape closes the panel, unless a dialog above it takes the key. */
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && !document.querySelector('dialog[open]')) navigate(closeHref);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [closeHref, navigate]);
  return (
    <aside
      aria-label="Card detail"
      className="fixed top-14 right-0 bottom-0 z-20 flex w-[min(46rem,62vw)] flex-col border-l border-slate-200 bg-white shadow-2xl"
    >
      {props.readOnly ? (
        <ViewerDetail taskId={props.taskId} closeHref={closeHref} />
      ) : (
        <Detail {...props} />
      )}
    </aside>
  );
}
