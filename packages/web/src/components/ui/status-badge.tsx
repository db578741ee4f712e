/**
 * @module components/ui/status-badge
 * A task's or a run's status as a coloured pill, with a pulse while work goes on.
 */
import type { RunStatus, TaskStatus } from '@lucid/contracts';

const tones: Record<TaskStatus | RunStatus, string> = {
  todo: 'bg-slate-100 text-slate-700',
  queued: 'bg-amber-50 text-amber-800',
  running: 'bg-sky-50 text-sky-800',
  plan_review: 'bg-violet-50 text-violet-800',
  in_review: 'bg-violet-50 text-violet-800',
  awaiting_merge: 'bg-violet-50 text-violet-800',
  done: 'bg-emerald-50 text-emerald-800',
  succeeded: 'bg-emerald-50 text-emerald-800',
  failed: 'bg-red-50 text-red-800',
  interrupted: 'bg-red-50 text-red-800',
  cancelled: 'bg-slate-100 text-slate-600',
};

/** A status as words: `in_review` → "in review"; `cancelled` (the user stopped it) → "stopped". */
export function statusLabel(status: TaskStatus | RunStatus): string {
  return status === 'cancelled' ? 'stopped' : status.replace(/_/g, ' ');
}

export function StatusBadge({ status }: { status: TaskStatus | RunStatus }) {
  const busy = status === 'running' || status === 'queued';
  return (
    <span
      className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ${tones[status]}`}
    >
      {busy && (
        <span aria-hidden="true" className="size-1.5 animate-pulse rounded-full bg-current" />
      )}
      {statusLabel(status)}
    </span>
  );
}
