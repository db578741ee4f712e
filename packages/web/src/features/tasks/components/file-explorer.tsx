/**
 * @module features/tasks/components/file-explorer
 * The task's files as a tree whose folders open on demand, and the chosen file read-only with
 * syntax highlighting, shown wide by the page beside the tree. Both reload when the agent changes
 * a file.
 */
import { lazy, Suspense, useState } from 'react';
import type { FileEntry } from '@lucid/contracts';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { useFileContent, useFiles } from '../../../lib/queries/workspace.ts';

const HighlightedCode = lazy(() => import('./highlighted-code.tsx'));

interface TreeProps {
  taskId: string;
  path: string;
  version: number;
  selected: string | null;
  onSelect: (path: string) => void;
  depth: number;
}

function Directory({ taskId, path, version, selected, onSelect, depth }: TreeProps) {
  const files = useFiles(taskId, path, version);
  if (files.isPending) return <Loading label="Loading files…" />;
  if (files.error) {
    return <ErrorMessage error={files.error} onRetry={() => void files.refetch()} />;
  }
  if (files.data.entries.length === 0 && depth === 0) {
    return <p className="px-3 py-2 text-sm text-slate-500">No files yet.</p>;
  }
  return (
    <ul aria-label={depth === 0 ? 'Files' : `Files in ${path}`}>
      {files.data.entries.map((entry) => (
        <Node
          key={entry.path}
          entry={entry}
          taskId={taskId}
          version={version}
          selected={selected}
          onSelect={onSelect}
          depth={depth}
        />
      ))}
    </ul>
  );
}

function Node({ entry, ...props }: Omit<TreeProps, 'path'> & { entry: FileEntry }) {
  const [open, setOpen] = useState(false);
  const indent = { paddingLeft: `${0.75 + props.depth * 0.9}rem` };
  const row =
    'flex w-full items-center gap-1.5 truncate py-0.5 pr-2 text-left text-[13px] hover:bg-slate-100';
  if (entry.type === 'dir') {
    return (
      <li>
        <button
          type="button"
          className={row}
          style={indent}
          aria-expanded={open}
          onClick={() => setOpen(!open)}
        >
          <span aria-hidden="true" className="w-3 text-slate-400">
            {open ? '▾' : '▸'}
          </span>
          {entry.name}
        </button>
        {open && <Directory {...props} path={entry.path} depth={props.depth + 1} />}
      </li>
    );
  }
  const selected = props.selected === entry.path;
  return (
    <li>
      <button
        type="button"
        aria-current={selected || undefined}
        className={`${row} ${selected ? 'bg-indigo-50 font-medium text-indigo-800' : 'text-slate-700'}`}
        style={indent}
        onClick={() => props.onSelect(entry.path)}
      >
        <span aria-hidden="true" className="w-3" />
        {entry.name}
      </button>
    </li>
  );
}

/** One file of the task's workspace, read-only, with a button that closes it. */
export function FileView({
  taskId,
  path,
  version,
  onClose,
}: {
  taskId: string;
  path: string;
  version: number;
  onClose: () => void;
}) {
  const file = useFileContent(taskId, path, version);
  const close = (
    <button
      type="button"
      onClick={onClose}
      aria-label="Close the file"
      className="shrink-0 rounded px-1.5 font-sans text-slate-500 hover:bg-slate-100 hover:text-slate-900"
    >
      Close
    </button>
  );
  return (
    <section aria-label={`File ${path}`} className="flex h-full min-h-0 flex-col bg-white">
      <p className="flex items-center justify-between gap-3 border-b border-slate-200 px-3 py-1.5 font-mono text-xs text-slate-700">
        <span className="truncate">{path}</span>
        <span className="flex items-center gap-3">
          {file.data && <span className="shrink-0 text-slate-400">{file.data.size} bytes</span>}
          {close}
        </span>
      </p>
      <FileBody file={file} />
    </section>
  );
}

function FileBody({ file }: { file: ReturnType<typeof useFileContent> }) {
  if (file.isPending) return <Loading label="Loading the file…" />;
  if (file.error) return <ErrorMessage error={file.error} onRetry={() => void file.refetch()} />;
  const data = file.data;
  return (
    <>
      <div className="min-h-0 flex-1 overflow-auto px-2 py-2">
        {data.binary ? (
          <p className="text-sm text-slate-500">This file is binary and is not shown.</p>
        ) : (
          <Suspense fallback={<Loading label="Loading the viewer…" />}>
            <HighlightedCode path={data.path} code={data.content} />
          </Suspense>
        )}
        {data.truncated && (
          <p className="mt-2 text-xs text-amber-700">Only the first 1 MiB is shown.</p>
        )}
      </div>
    </>
  );
}

/** The tree of the task's files; choosing a file hands its path to `onSelect`. */
export function FileExplorer({
  taskId,
  version,
  selected,
  onSelect,
}: {
  taskId: string;
  version: number;
  selected: string | null;
  onSelect: (path: string) => void;
}) {
  return (
    <div className="flex h-full min-h-0 flex-col">
      <div className="min-h-0 flex-1 overflow-y-auto py-1">
        <Directory
          taskId={taskId}
          path=""
          version={version}
          selected={selected}
          onSelect={onSelect}
          depth={0}
        />
      </div>
      {!selected && (
        <p className="border-t border-slate-200 px-3 py-2 text-xs text-slate-500">
          Choose a file to read it.
        </p>
      )}
    </div>
  );
}
