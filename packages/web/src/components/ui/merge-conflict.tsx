/**
 * @module components/ui/merge-conflict
 * The files a refused merge names (a `merge_conflict` error's details), listed under the error.
 */
import { ApiError } from '../../lib/api.ts';

/** The files a refused merge names, when the server lists them. */
function conflictFiles(error: unknown): string[] {
  if (!(error instanceof ApiError) || error.code !== 'merge_conflict') return [];
  const details = error.details as { files?: unknown; conflicts?: unknown } | undefined;
  const files = details?.files ?? details?.conflicts;
  return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [];
}

/** Nothing unless the error is a merge conflict that names its files. */
export function MergeConflict({ error }: { error: unknown }) {
  const files = conflictFiles(error);
  if (files.length === 0) return null;
  return (
    <div className="mt-2">
      <p className="text-sm font-medium text-red-800">Conflicting files:</p>
      <ul aria-label="Conflicting files" className="mt-1 list-disc pl-5 font-mono text-xs">
        {files.map((file) => (
          <li key={file}>{file}</li>
        ))}
      </ul>
    </div>
  );
}
