/**
 * @module features/tasks/components/attempts-panel
 * A best-of-N task's attempts side by side: each one's status, rank, check, diff stats, model and
 * cost, with Keep on those that have work to keep while the task waits for a choice, and Stop
 * attempts while they work (the task's stop, which cancels them all); below, once all have
 * finished, the diff between any two of them (chosen as From and To).
 */
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Attempt, AttemptDiff, AttemptList, KeptAttempt } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { StatusBadge } from '../../../components/ui/status-badge.tsx';
import { api } from '../../../lib/api.ts';
import { formatCost } from '../../../lib/format.ts';
import { taskQueryKey, useStopTask } from '../../../lib/queries/tasks.ts';
import { selectClass } from '../../../components/ui/agent-model-fields.tsx';
import { lineClass } from './diff-view.tsx';

/** Side by side: one column per attempt. */
const COLUMNS: Record<number, string> = {
  1: 'sm:grid-cols-1',
  2: 'sm:grid-cols-2',
  3: 'sm:grid-cols-3',
  4: 'sm:grid-cols-4',
  5: 'sm:grid-cols-5',
};

const attemptsKey = (taskId: string) => ['tasks', taskId, 'attempts'] as const;

function useAttempts(taskId: string) {
  return useQuery({
    queryKey: attemptsKey(taskId),
    queryFn: ({ signal }) =>
      api<AttemptList>(`/api/v1/tasks/${encodeURIComponent(taskId)}/attempts`, { signal }),
    refetchInterval: 3000,
  });
}

function useAttemptDiff(taskId: string, a: string, b: string) {
  return useQuery({
    queryKey: [...attemptsKey(taskId), 'diff', a, b],
    queryFn: ({ signal }) =>
      api<AttemptDiff>(
        `/api/v1/tasks/${encodeURIComponent(taskId)}/attempts/diff?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`,
        { signal },
      ),
    enabled: a !== '' && b !== '' && a !== b,
  });
}

function useKeepAttempt(taskId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (attemptId: string) =>
      api<KeptAttempt>(
        `/api/v1/tasks/${encodeURIComponent(taskId)}/attempts/${encodeURIComponent(attemptId)}/keep`,
        { method: 'POST' },
      ),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: taskQueryKey(taskId) });
    },
  });
}

function CheckLine({ attempt }: { attempt: Attempt }) {
  if (!attempt.check) return <span className="text-slate-500">No check ran</span>;
  const { passed, command, exitCode } = attempt.check;
  return (
    <span
      className={passed ? 'text-emerald-700' : 'text-red-700'}
      title={`${command} exited with ${exitCode ?? 'no code (killed)'}`}
    >
      {passed ? '✓ Checks passed' : '✗ Checks failed'}
    </span>
  );
}

function AttemptCard({
  attempt,
  canKeep,
  onKeep,
  keeping,
}: {
  attempt: Attempt;
  canKeep: boolean;
  onKeep: () => void;
  keeping: boolean;
}) {
  const stats = attempt.diffStats;
  return (
    <li
      aria-label={`Attempt ${attempt.number}`}
      className={`flex flex-col gap-2 rounded-lg border bg-white p-4 text-sm ${
        attempt.kept ? 'border-emerald-400 ring-1 ring-emerald-300' : 'border-slate-200'
      } ${attempt.discarded ? 'opacity-60' : ''}`}
    >
      <div className="flex items-center gap-2">
        <span className="font-semibold text-slate-900">Attempt {attempt.number}</span>
        {attempt.rank !== null && (
          <span className="rounded bg-indigo-50 px-1.5 py-0.5 text-xs font-medium text-indigo-800">
            Rank {attempt.rank}
          </span>
        )}
        {attempt.kept && (
          <span className="rounded bg-emerald-100 px-1.5 py-0.5 text-xs font-medium text-emerald-900">
            Kept
          </span>
        )}
        {attempt.discarded && <span className="text-xs text-slate-500">Discarded</span>}
        <span className="ml-auto">
          <StatusBadge status={attempt.status} />
        </span>
      </div>
      <CheckLine attempt={attempt} />
      <span className="text-slate-700">
        {stats
          ? `${stats.filesChanged} ${stats.filesChanged === 1 ? 'file' : 'files'}, +${stats.insertions} −${stats.deletions}`
          : 'No changes'}
      </span>
      <span className="text-xs text-slate-500">
        {attempt.agent ?? 'agent'}
        {attempt.model && ` · ${attempt.model}`} · {formatCost(attempt.costUsd)}
      </span>
      <span className="truncate font-mono text-xs text-slate-500" title={attempt.branch}>
        {attempt.branch}
      </span>
      {canKeep && attempt.status === 'in_review' && (
        <Button size="sm" onClick={onKeep} pending={keeping} pendingText="Keeping…">
          Keep attempt {attempt.number}
        </Button>
      )}
    </li>
  );
}

function AttemptsDiff({ taskId, attempts }: { taskId: string; attempts: Attempt[] }) {
  const comparable = attempts.filter((attempt) => !attempt.discarded);
  const [a, setA] = useState(comparable[0]?.id ?? '');
  const [b, setB] = useState(comparable[1]?.id ?? '');
  const diff = useAttemptDiff(taskId, a, b);
  const picker = (label: string, value: string, onChange: (id: string) => void) => (
    <label className="flex items-center gap-2 text-sm font-medium text-slate-700">
      {label}
      <select
        className={`${selectClass} mt-0 w-auto`}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      >
        {comparable.map((attempt) => (
          <option key={attempt.id} value={attempt.id}>
            Attempt {attempt.number}
          </option>
        ))}
      </select>
    </label>
  );
  if (comparable.length < 2) return null;
  return (
    <section aria-label="Compare attempts" className="mt-6">
      <div className="flex flex-wrap items-center gap-4">
        <h3 className="text-sm font-semibold text-slate-900">Compare</h3>
        {picker('From', a, setA)}
        {picker('To', b, setB)}
      </div>
      {a === b ? (
        <p className="mt-3 text-sm text-slate-500">Pick two different attempts.</p>
      ) : diff.isPending ? (
        <Loading label="Loading the diff…" />
      ) : diff.error ? (
        <ErrorMessage error={diff.error} onRetry={() => void diff.refetch()} />
      ) : diff.data.diff.trim() === '' ? (
        <p className="mt-3 text-sm text-slate-500">These two attempts left the same files.</p>
      ) : (
        <pre
          aria-label="Diff between attempts"
          className="mt-3 overflow-auto rounded-md border border-slate-200 font-mono text-xs leading-5"
        >
          {diff.data.diff.split('\n').map((line, index) => (
            <div key={index} className={`px-2 ${lineClass(line)}`}>
              {line || ' '}
            </div>
          ))}
        </pre>
      )}
    </section>
  );
}

/** The attempts of the best-of-N task `taskId`; Keep is offered while it waits for a choice. */
export function AttemptsPanel({
  taskId,
  waiting,
  stopped,
}: {
  taskId: string;
  /** The task runs: its attempts work, or wait for one to be kept. */
  waiting: boolean;
  /** The task was stopped (cancelled) before an attempt was kept. */
  stopped: boolean;
}) {
  const attempts = useAttempts(taskId);
  const keep = useKeepAttempt(taskId);
  const stop = useStopTask(taskId);
  if (attempts.isPending) return <Loading label="Loading the attempts…" />;
  if (attempts.error) {
    return <ErrorMessage error={attempts.error} onRetry={() => void attempts.refetch()} />;
  }
  const list = attempts.data;
  const canKeep = waiting && list.ranked && list.keptAttemptId === null;
  return (
    <div className="p-4">
      <div className="mb-3 flex flex-wrap items-center gap-3">
        <p role="status" className="text-sm text-slate-700">
          {list.keptAttemptId
            ? 'One attempt was kept: its branch is the task’s, and the others were removed.'
            : stopped
              ? 'The task was stopped: its attempts were cancelled, and none is kept.'
              : list.ranked
                ? list.keep === 'auto'
                  ? 'Ranked by checks passed, then diff size, then cost; the top one is kept.'
                  : 'Ranked by checks passed, then diff size, then cost. Keep one to publish it.'
                : 'The attempts are working; they are ranked once all have finished.'}
        </p>
        {waiting && !list.ranked && (
          <Button
            variant="danger"
            size="sm"
            pending={stop.isPending}
            pendingText="Stopping…"
            onClick={() => stop.mutate(undefined, { onSuccess: () => void attempts.refetch() })}
          >
            Stop attempts
          </Button>
        )}
      </div>
      {stop.error && <ErrorMessage title="Could not stop the attempts" error={stop.error} />}
      <ol className={`grid gap-3 ${COLUMNS[list.attempts.length] ?? 'sm:grid-cols-5'}`}>
        {list.attempts.map((attempt) => (
          <AttemptCard
            key={attempt.id}
            attempt={attempt}
            canKeep={canKeep}
            keeping={keep.isPending && keep.variables === attempt.id}
            onKeep={() => keep.mutate(attempt.id, { onSuccess: () => void attempts.refetch() })}
          />
        ))}
      </ol>
      {keep.error && <ErrorMessage title="Could not keep the attempt" error={keep.error} />}
      {/* Their branches settle once every attempt has finished: compared from then on. */}
      {list.ranked && <AttemptsDiff taskId={taskId} attempts={list.attempts} />}
    </div>
  );
}
