/**
 * @module features/tasks/components/task-page
 * One task, live: its pipeline's timeline (source to production, a failed stage with its Retry),
 * its files | the conversation with a follow-up box and a Stop button | the
 * terminal, and while a file is open: the tree | the file, wide | the conversation; a Diff tab; a
 * banner once the branch is pushed (with its pull request's link), or a line saying the latest run
 * made no changes, or that its push was blocked by the safety checks (a Safety tab lists them). The header renames and deletes the task, shows the time, tokens and cost of its
 * runs, approves or rejects work in review and downloads it as a patch. Everything below the header
 * is a fold of the task's live stream; a task started from a Notion page shows the page's card,
 * with the last write-back Lucid made to it, and a task of a repository linked to Vercel its
 * deployments. A best-of-N task opens on its Attempts tab: the attempts side by side, a diff
 * between any two, and Keep. A task that plans first shows its plan as a checklist, approved,
 * edited or rejected there while it waits in plan review.
 * Loaded on demand, with the terminal and the highlighter.
 */
import { lazy, Suspense, useMemo, useState, type FormEvent, type KeyboardEvent } from 'react';
import { Link } from 'wouter';
import type { Task, TaskDetail, TaskStatus } from '@lucid/contracts';
import { Button, buttonClass } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { NotionTaskCard } from '../../../components/ui/notion-card.tsx';
import { ApiError } from '../../../lib/api.ts';
import { useTitle } from '../../../lib/use-title.ts';
import {
  patchUrl,
  runExportUrl,
  usePostMessage,
  useStopTask,
  useTask,
} from '../../../lib/queries/tasks.ts';
import { useTaskStream, type StreamConnection } from '../live/use-task-stream.ts';
import {
  chatItems,
  lastNotionWrite,
  endedWithoutChanges,
  lastFinishedRun,
  filesVersion,
  lastPullRequest,
  lastPush,
  liveTaskStatus,
  liveTaskStatusSeq,
  livePlan,
  pullRequestLabel,
  terminalChunks,
  type PullRequestLink,
} from '../live/view.ts';
import { Chat } from './chat.tsx';
import { DeleteTask } from './delete-task.tsx';
import { AttemptsPanel } from './attempts-panel.tsx';
import { DeploymentsCard } from './deployments-card.tsx';
import { DiffView } from './diff-view.tsx';
import { PlanCard } from './plan-card.tsx';
import { FileExplorer, FileView } from './file-explorer.tsx';
import { ReviewActions } from './review-actions.tsx';
import { lastSafetyChecks, PushBlockedBanner, SafetyPanel } from './safety-panel.tsx';
import { StatusBadge } from '../../../components/ui/status-badge.tsx';
import { TaskTitle } from './task-title.tsx';
import { TaskTotalsLine } from './task-totals.tsx';
import { Timeline, timelineVersion } from './timeline.tsx';

const Terminal = lazy(() => import('./terminal.tsx'));

const working = new Set(['queued', 'running']);

function ConnectionNote({ connection }: { connection: StreamConnection }) {
  if (connection === 'open') return null;
  return (
    <span role="status" className="text-xs text-amber-700">
      {connection === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
    </span>
  );
}

function FollowUp({
  task,
  status,
  statusSeq,
}: {
  task: Task;
  status: TaskStatus;
  /** The sequence number of the newest status change: a stop asked before it is answered. */
  statusSeq: number;
}) {
  const post = usePostMessage(task.id);
  const stop = useStopTask(task.id);
  const [text, setText] = useState('');
  /** The status change a Stop was asked after: "Stopping…" until the stream brings the next. */
  const [stopAskedAt, setStopAskedAt] = useState<number | null>(null);
  const busy = working.has(status);
  const stopping = busy && stopAskedAt === statusSeq;

  const send = (event?: FormEvent) => {
    event?.preventDefault();
    if (text.trim() === '' || post.isPending) return;
    post.mutate(text.trim(), { onSuccess: () => setText('') });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) send(event);
  };

  return (
    <form onSubmit={send} className="border-t border-slate-200 bg-white p-3">
      {(post.error || stop.error) && (
        <div className="mb-2">
          <ErrorMessage error={post.error ?? stop.error} />
        </div>
      )}
      <label htmlFor="follow-up" className="sr-only">
        Message to the agent
      </label>
      <textarea
        id="follow-up"
        rows={2}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
        placeholder={busy ? 'Add to what the agent is doing…' : 'Ask for a follow-up change…'}
        className="block w-full resize-none rounded-md border-0 px-3 py-2 text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600"
      />
      <div className="mt-2 flex items-center justify-between gap-2">
        <span className="text-xs text-slate-500">Enter sends, Shift+Enter starts a new line.</span>
        <div className="flex gap-2">
          {busy && (
            <Button
              variant="danger"
              size="sm"
              pending={stopping}
              pendingText="Stopping…"
              onClick={() => {
                setStopAskedAt(statusSeq);
                stop.mutate(undefined, { onError: () => setStopAskedAt(null) });
              }}
            >
              Stop
            </Button>
          )}
          <Button
            type="submit"
            size="sm"
            pending={post.isPending}
            pendingText="Sending…"
            disabled={text.trim() === ''}
          >
            Send
          </Button>
        </div>
      </div>
    </form>
  );
}

function PushBanner({
  task,
  branch,
  pullRequest,
}: {
  task: Task;
  branch: string;
  pullRequest: PullRequestLink | null;
}) {
  const pr =
    pullRequest ??
    (task.prUrl && task.prNumber
      ? {
          provider: task.prUrl.includes('/merge_requests/')
            ? ('gitlab' as const)
            : ('github' as const),
          url: task.prUrl,
          number: task.prNumber,
        }
      : null);
  return (
    <div
      role="status"
      className="flex flex-wrap items-center gap-2 border-b border-emerald-200 bg-emerald-50 px-4 py-2 text-sm text-emerald-900"
    >
      <span>
        Branch <span className="font-mono font-medium">{branch}</span> was pushed to this server.
      </span>
      {pr ? (
        <a href={pr.url} target="_blank" rel="noreferrer" className="font-medium underline">
          Open the {pullRequestLabel(pr)}
        </a>
      ) : task.prUrl ? (
        <a href={task.prUrl} target="_blank" rel="noreferrer" className="font-medium underline">
          Open the pull request
        </a>
      ) : (
        <span className="text-emerald-800">
          Fetch it with <code className="font-mono">git fetch lucid {branch}</code>.
        </span>
      )}
    </div>
  );
}

/** Said when the latest run changed nothing: its answer stays readable in the conversation. */
function NoChangesNote() {
  return (
    <p
      role="status"
      className="border-b border-slate-200 bg-slate-50 px-4 py-2 text-sm text-slate-700"
    >
      The agent made no changes, so there is nothing to review and nothing was pushed. Its answer is
      in the conversation; send a follow-up to ask for changes, or delete the task.
    </p>
  );
}

type Tab = 'workspace' | 'diff' | 'safety' | 'attempts';

function TaskView({ task }: { task: TaskDetail }) {
  const { state, connection } = useTaskStream(task.id);
  const [tab, setTab] = useState<Tab>(task.attempts ? 'attempts' : 'workspace');
  const [openFile, setOpenFile] = useState<string | null>(null);
  const items = useMemo(() => chatItems(state), [state]);
  const chunks = useMemo(() => terminalChunks(state.events), [state.events]);
  const version = filesVersion(state.events);
  const push = lastPush(state.events);
  const finishedRun = task.agent ? lastFinishedRun(state.events) : null;
  const pullRequest = lastPullRequest(state.events);
  const status = liveTaskStatus(state.events) ?? task.status;
  const statusSeq = liveTaskStatusSeq(state.events);
  const checks = useMemo(() => lastSafetyChecks(state.events), [state.events]);
  const plan = useMemo(() => livePlan(state.events), [state.events]);

  const tabButton = (value: Tab, label: string) => (
    <button
      type="button"
      role="tab"
      id={`tab-${value}`}
      aria-selected={tab === value}
      aria-controls={`panel-${value}`}
      onClick={() => setTab(value)}
      className={`rounded-md px-3 py-1 text-sm font-medium ${
        tab === value ? 'bg-slate-900 text-white' : 'text-slate-600 hover:bg-slate-100'
      }`}
    >
      {label}
    </button>
  );

  return (
    <div className="flex h-[calc(100vh-3.5rem)] flex-col">
      <header className="flex flex-wrap items-center gap-x-4 gap-y-1 border-b border-slate-200 bg-white px-4 py-2">
        <Link href="/tasks" className="text-sm text-slate-600 hover:text-slate-900">
          ← Tasks
        </Link>
        <TaskTitle task={task} />
        <StatusBadge status={status} />
        <span className="text-xs text-slate-500">
          {task.agent ?? 'commands'}
          {task.model && ` · ${task.model}`} · <span className="font-mono">{task.branch}</span>
        </span>
        <TaskTotalsLine totals={task.totals} />
        <ConnectionNote connection={connection} />
        <div role="tablist" aria-label="Task views" className="ml-auto flex gap-1">
          {task.attempts !== null && tabButton('attempts', 'Attempts')}
          {tabButton('workspace', 'Workspace')}
          {tabButton('diff', 'Diff')}
          {tabButton('safety', 'Safety')}
        </div>
        {status === 'in_review' && <ReviewActions task={task} />}
        {push && (
          <a
            href={patchUrl(task.id)}
            download
            className={buttonClass('ghost', 'sm')}
            title="The branch's commits since its base branch, for git am or git apply"
          >
            Download patch
          </a>
        )}
        {finishedRun && (
          <a
            href={runExportUrl(finishedRun)}
            download
            className={buttonClass('ghost', 'sm')}
            title="The last run's model requests and answers, for lucid eval replay"
          >
            Download trajectory
          </a>
        )}
        <DeleteTask task={task} status={status} />
      </header>
      <Timeline taskId={task.id} version={timelineVersion(state.events)} />
      {task.source === 'notion' && (
        <NotionTaskCard taskId={task.id} write={lastNotionWrite(state.events)} />
      )}
      <DeploymentsCard taskId={task.id} workspaceId={task.workspaceId} />
      {plan && <PlanCard taskId={task.id} live={plan} status={status} />}
      {endedWithoutChanges(state.events) ? (
        <NoChangesNote />
      ) : (
        (push || pullRequest) && (
          <PushBanner task={task} branch={push?.branch ?? task.branch} pullRequest={pullRequest} />
        )
      )}
      <PushBlockedBanner checks={checks} onShow={() => setTab('safety')} />
      {tab === 'attempts' ? (
        <div
          id="panel-attempts"
          role="tabpanel"
          aria-labelledby="tab-attempts"
          className="min-h-0 flex-1 overflow-auto bg-slate-50"
        >
          <AttemptsPanel
            taskId={task.id}
            waiting={status === 'running'}
            stopped={status === 'cancelled'}
          />
        </div>
      ) : tab === 'safety' ? (
        <div
          id="panel-safety"
          role="tabpanel"
          aria-labelledby="tab-safety"
          className="min-h-0 flex-1 overflow-auto bg-white"
        >
          <SafetyPanel taskId={task.id} checks={checks} />
        </div>
      ) : tab === 'workspace' ? (
        <div
          id="panel-workspace"
          role="tabpanel"
          aria-labelledby="tab-workspace"
          className={`grid min-h-0 flex-1 ${
            openFile
              ? 'grid-cols-[16rem_minmax(0,1fr)_minmax(0,24rem)]'
              : 'grid-cols-[16rem_minmax(0,1fr)_minmax(0,26rem)]'
          }`}
        >
          <section
            aria-label="Files"
            className="min-h-0 overflow-hidden border-r border-slate-200 bg-white"
          >
            <FileExplorer
              taskId={task.id}
              version={version}
              selected={openFile}
              onSelect={setOpenFile}
            />
          </section>
          {openFile && (
            <div className="min-h-0 overflow-hidden">
              <FileView
                taskId={task.id}
                path={openFile}
                version={version}
                onClose={() => setOpenFile(null)}
              />
            </div>
          )}
          <section
            aria-label="Chat"
            className={`flex min-h-0 flex-col bg-slate-50 ${openFile ? 'border-l border-slate-200' : ''}`}
          >
            <Chat items={items} />
            <FollowUp task={task} status={status} statusSeq={statusSeq} />
          </section>
          {!openFile && (
            <section aria-label="Terminal" className="min-h-0 border-l border-slate-200">
              <Suspense fallback={<Loading label="Loading the terminal…" />}>
                <Terminal chunks={chunks} />
              </Suspense>
            </section>
          )}
        </div>
      ) : (
        <div
          id="panel-diff"
          role="tabpanel"
          aria-labelledby="tab-diff"
          className="flex min-h-0 flex-1 flex-col bg-white"
        >
          <DiffView taskId={task.id} version={version} />
        </div>
      )}
    </div>
  );
}

export default function TaskPage({ id }: { id: string }) {
  const task = useTask(id);
  useTitle(task.data?.title ?? 'Task');

  if (task.isPending) return <Loading label="Loading the task…" />;
  if (task.error) {
    const missing = task.error instanceof ApiError && task.error.status === 404;
    return (
      <div className="mx-auto max-w-3xl p-8">
        <ErrorMessage
          title={missing ? 'Task not found' : 'Could not load the task'}
          error={task.error}
          onRetry={missing ? undefined : () => void task.refetch()}
        >
          <Link href="/tasks" className="text-sm font-medium underline">
            Back to tasks
          </Link>
        </ErrorMessage>
      </div>
    );
  }
  return <TaskView task={task.data} />;
}
