/**
 * @module features/board/components/diff-viewer
 * A card's changes against its base branch (the task's `/diff`), file by file, in a unified view
 * or a split view (old beside new), with line numbers; added lines green, removed lines red.
 */
import { useMemo, useState } from 'react';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { useDiff } from '../../../lib/queries/workspace.ts';
import { parseDiff, splitRows, type DiffLine } from '../diff-rows.ts';

type Mode = 'unified' | 'split';

const tones: Record<DiffLine['kind'], string> = {
  added: 'diff-added bg-emerald-50 text-emerald-900',
  removed: 'diff-removed bg-red-50 text-red-900',
  context: 'text-slate-700',
};
const marks: Record<DiffLine['kind'], string> = { added: '+', removed: '-', context: ' ' };

function No({ n }: { n: number | null }) {
  return <td className="w-10 pr-2 text-right align-top text-slate-400 select-none">{n ?? ''}</td>;
}

function Cell({ line }: { line: DiffLine | null }) {
  if (!line) return <td className="bg-slate-50" />;
  return (
    <td className={`px-2 break-all whitespace-pre-wrap ${tones[line.kind]}`}>
      {marks[line.kind]}
      {line.text}
    </td>
  );
}

export function DiffViewer({ taskId, version }: { taskId: string; version: number }) {
  const diff = useDiff(taskId, version, true);
  const [mode, setMode] = useState<Mode>('unified');
  const files = useMemo(() => parseDiff(diff.data?.diff ?? ''), [diff.data?.diff]);

  if (diff.isPending) return <Loading label="Loading the diff…" />;
  if (diff.error) return <ErrorMessage error={diff.error} onRetry={() => void diff.refetch()} />;
  if (files.length === 0) {
    return <p className="py-4 text-sm text-slate-500">No changes against {diff.data.base} yet.</p>;
  }

  return (
    <div>
      <div className="mb-2 flex items-center gap-3">
        <p className="text-xs text-slate-500">
          {files.length} file{files.length === 1 ? '' : 's'} changed against{' '}
          <span className="font-mono">{diff.data.base}</span>
          {diff.data.truncated && ' (cut short: the diff is too large to show whole)'}
        </p>
        <div role="radiogroup" aria-label="Diff view" className="ml-auto flex gap-1">
          {(['unified', 'split'] as const).map((value) => (
            <button
              key={value}
              type="button"
              role="radio"
              aria-checked={mode === value}
              onClick={() => setMode(value)}
              className={`rounded px-2 py-0.5 text-xs font-medium ${
                mode === value ? 'bg-slate-900 text-white' : 'text-slate-600 hover:bg-slate-100'
              }`}
            >
              {value === 'unified' ? 'Unified' : 'Split'}
            </button>
          ))}
        </div>
      </div>
      <div aria-label="Diff" className="space-y-3">
        {files.map((file) => (
          <section
            key={file.path}
            aria-label={`Changes to ${file.path}`}
            className="overflow-hidden rounded-md ring-1 ring-slate-200"
          >
            <h3 className="bg-slate-100 px-2 py-1 font-mono text-xs font-semibold">{file.path}</h3>
            <table className="w-full table-fixed font-mono text-xs leading-5">
              {mode === 'split' && (
                <colgroup>
                  <col className="w-10" />
                  <col />
                  <col className="w-10" />
                  <col />
                </colgroup>
              )}
              {file.hunks.map((hunk, h) => (
                <tbody key={h}>
                  <tr>
                    <td colSpan={mode === 'split' ? 4 : 3} className="bg-sky-50 px-2 text-sky-800">
                      {hunk.header}
                    </td>
                  </tr>
                  {mode === 'unified'
                    ? hunk.lines.map((line, i) => (
                        <tr key={i}>
                          <No n={line.oldNo} />
                          <No n={line.newNo} />
                          <Cell line={line} />
                        </tr>
                      ))
                    : splitRows(hunk.lines).map((row, i) => (
                        <tr key={i}>
                          <No n={row.left?.oldNo ?? null} />
                          <Cell line={row.left} />
                          <No n={row.right?.newNo ?? null} />
                          <Cell line={row.right} />
                        </tr>
                      ))}
                </tbody>
              ))}
            </table>
          </section>
        ))}
      </div>
    </div>
  );
}
