/**
 * @module features/tasks/components/diff-view
 * The task's changes against its base branch as a unified diff, added lines green and removed
 * lines red, file headers set apart.
 */
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { useDiff } from '../../../lib/queries/workspace.ts';

/** How a line of a unified diff is coloured. */
export function lineClass(line: string): string {
  if (line.startsWith('diff --git')) return 'mt-3 bg-slate-200 font-semibold text-slate-900';
  if (line.startsWith('+++') || line.startsWith('---')) return 'text-slate-500';
  if (line.startsWith('@@')) return 'bg-sky-50 text-sky-800';
  if (line.startsWith('+')) return 'diff-added bg-emerald-50 text-emerald-900';
  if (line.startsWith('-')) return 'diff-removed bg-red-50 text-red-900';
  return 'text-slate-700';
}

export function DiffView({ taskId, version }: { taskId: string; version: number }) {
  const diff = useDiff(taskId, version, true);
  if (diff.isPending) return <Loading label="Loading the diff…" />;
  if (diff.error) return <ErrorMessage error={diff.error} onRetry={() => void diff.refetch()} />;
  if (diff.data.diff.trim() === '') {
    return (
      <p className="px-4 py-6 text-sm text-slate-500">No changes against {diff.data.base} yet.</p>
    );
  }
  return (
    <div className="min-h-0 flex-1 overflow-auto p-3">
      <p className="mb-2 text-xs text-slate-500">
        Changes against <span className="font-mono">{diff.data.base}</span>
        {diff.data.truncated && ' (cut short: the diff is too large to show whole)'}
      </p>
      <pre aria-label="Diff" className="font-mono text-xs leading-5">
        {diff.data.diff.split('\n').map((line, index) => (
          <div key={index} className={`px-2 ${lineClass(line)}`}>
            {line || ' '}
          </div>
        ))}
      </pre>
    </div>
  );
}
